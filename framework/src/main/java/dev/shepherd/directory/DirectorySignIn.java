package dev.shepherd.directory;

import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.audit.Actor;
import dev.shepherd.plugin.IdentityProviders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Signs users in for platform plugins: the password is checked by the identity-provider plugins, and the user is
 * found in the directory, or added to it on first sign-in, under the provider that vouched for them. A user who
 * signed in on the server's enrollment sign-in page comes as a one-time {@link SignInCodes code} instead. A person the
 * directory has deactivated is refused either way, even when their provider still accepts the password.
 */
public final class DirectorySignIn implements UserAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(DirectorySignIn.class);

    /** What the enrollment sign-in page issues its codes for. */
    public static final String ENROLLMENT_CODE = "enrollment";

    private final IdentityProviders providers;
    private final DirectoryService directory;
    private final SignInCodes codes;

    public DirectorySignIn(IdentityProviders providers, DirectoryService directory, SignInCodes codes) {
        this.providers = requireNonNull(providers, "providers is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.codes = requireNonNull(codes, "codes is null");
    }

    @Override
    public Optional<SignedInUser> redeemSignInCode(String code) {
        requireNonNull(code, "code is null");
        return codes.redeem(code, ENROLLMENT_CODE).flatMap(this::signedIn);
    }

    @Override
    public Optional<SignedInUser> checkSignInCode(String code) {
        requireNonNull(code, "code is null");
        return codes.check(code, ENROLLMENT_CODE).flatMap(this::signedIn);
    }

    private Optional<SignedInUser> signedIn(String userId) {
        // Deactivated between signing in on the page and enrolling: the code no longer stands for anyone.
        return directory.get(userId).filter(DirectoryUser::active).map(user -> new SignedInUser(user.id(),
                new Identity(user.provider(), user.username(), user.displayName(), user.email(), Set.of())));
    }

    @Override
    public Optional<SignedInUser> authenticate(String username, char[] password) {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        Optional<Identity> identity = providers.authenticate(username, password);
        if (identity.isEmpty()) {
            return Optional.empty();
        }
        return admit(identity.get());
    }

    /** @return whether the directory knows this person under their provider and has deactivated them */
    public boolean deactivated(Identity who) {
        requireNonNull(who, "who is null");
        return directory.find(who.providerId(), who.username()).map(user -> !user.active()).orElse(false);
    }

    /**
     * The directory user an identity provider vouched for: found under the provider, or added to the directory at their
     * first sign-in.
     *
     * @return empty when the directory has deactivated them
     * @throws IllegalArgumentException when the provider's username, name or e-mail cannot be kept in the directory
     */
    public Optional<SignedInUser> admit(Identity who) {
        requireNonNull(who, "who is null");
        DirectoryUser user = directory.find(who.providerId(), who.username()).orElseGet(() -> {
            try {
                log.info("Adding {} from identity provider {} to the directory at first sign-in", who.username(), who.providerId());
                return directory.create(Actor.SYSTEM, who.providerId(), who.username(),
                        who.displayName().isBlank() ? who.username() : who.displayName(), who.email());
            } catch (RuntimeException e) {
                // Signed in twice at once: the other sign-in added them.
                return directory.find(who.providerId(), who.username()).orElseThrow(() -> e);
            }
        });
        if (!user.active()) {
            log.info("Refusing the sign-in of {} from identity provider {}: the directory has deactivated them", who.username(),
                    who.providerId());
            return Optional.empty();
        }
        return Optional.of(new SignedInUser(user.id(), who));
    }
}
