package dev.shepherd.directory;

import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.audit.Actor;
import dev.shepherd.plugin.IdentityProviders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Signs users in for platform plugins: the password is checked by the identity-provider plugins, and the user is
 * found in the directory, or added to it on first sign-in, under the provider that vouched for them.
 */
public final class DirectorySignIn implements UserAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(DirectorySignIn.class);

    private final IdentityProviders providers;
    private final DirectoryService directory;

    public DirectorySignIn(IdentityProviders providers, DirectoryService directory) {
        this.providers = requireNonNull(providers, "providers is null");
        this.directory = requireNonNull(directory, "directory is null");
    }

    @Override
    public Optional<SignedInUser> authenticate(String username, char[] password) {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        Optional<Identity> identity = providers.authenticate(username, password);
        if (identity.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(admit(identity.get()));
    }

    /**
     * The directory user an identity provider vouched for: found under the provider, or added to the directory at their
     * first sign-in.
     *
     * @throws IllegalArgumentException when the provider's username, name or e-mail cannot be kept in the directory
     */
    public SignedInUser admit(Identity who) {
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
        return new SignedInUser(user.id(), who);
    }
}
