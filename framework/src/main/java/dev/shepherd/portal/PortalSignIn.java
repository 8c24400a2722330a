package dev.shepherd.portal;

import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.directory.DirectoryPasswords;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.SignInFailures;

import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Checks a directory user's password for the self-service portal: a user of the built-in directory against the
 * password an admin set ({@link DirectoryPasswords}), anyone else through the identity-provider plugins
 * ({@link dev.shepherd.directory.DirectorySignIn}). Throttled like admin sign-in, with the same limits and the same
 * database-backed counts: five failures lock a username for fifteen minutes, and an address's failures at the portal
 * and at the console count together. Failures and lockouts are reported to the {@link AdminAuthenticator.SignInEvents}.
 */
public final class PortalSignIn {

    /** What came of a sign-in. */
    public sealed interface Outcome {
        /** The password is right. */
        record SignedIn(String userId) implements Outcome {
        }

        /** The username or password is wrong. */
        record Rejected() implements Outcome {
        }

        /** Too many failures: locked for a while. */
        record Locked(Duration retryAfter) implements Outcome {
        }
    }

    private final DirectoryPasswords passwords;
    private final UserAuthenticator identityProviders;
    private final SignInFailures failures;
    private final AdminAuthenticator.SignInEvents events;

    /**
     * @param identityProviders checks the passwords of users the local directory has none for
     * @param events told of failed sign-ins and lockouts (the audit log)
     */
    public PortalSignIn(DirectoryPasswords passwords, UserAuthenticator identityProviders, SignInFailures failures,
                        AdminAuthenticator.SignInEvents events) {
        this.passwords = requireNonNull(passwords, "passwords is null");
        this.identityProviders = requireNonNull(identityProviders, "identityProviders is null");
        this.failures = requireNonNull(failures, "failures is null");
        this.events = requireNonNull(events, "events is null");
    }

    /** @param remote the caller's address, for rate limiting */
    public Outcome signIn(String username, char[] password, String remote) {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        requireNonNull(remote, "remote is null");
        String address = AdminAuthenticator.addressSubject(remote);
        if (failures.count(address, AdminAuthenticator.ADDRESS_WINDOW) >= AdminAuthenticator.MAX_FAILURES_PER_ADDRESS) {
            return new Outcome.Locked(AdminAuthenticator.ADDRESS_WINDOW);
        }
        String user = userSubject(username);
        if (failures.count(user, AdminAuthenticator.LOCKOUT) >= AdminAuthenticator.MAX_FAILURES) {
            return new Outcome.Locked(AdminAuthenticator.LOCKOUT);
        }
        Optional<String> userId = passwords.verify(username, password)
                .or(() -> identityProviders.authenticate(username, password).map(UserAuthenticator.SignedInUser::directoryUserId));
        if (userId.isEmpty()) {
            int failuresSoFar = failures.record(user, AdminAuthenticator.LOCKOUT);
            int failedFromAddress = failures.record(address, AdminAuthenticator.ADDRESS_WINDOW);
            events.failed(username, remote, failuresSoFar);
            if (failuresSoFar == AdminAuthenticator.MAX_FAILURES) {
                events.locked(username, remote, AdminAuthenticator.LOCKOUT, false);
            }
            if (failedFromAddress == AdminAuthenticator.MAX_FAILURES_PER_ADDRESS) {
                events.locked(username, remote, AdminAuthenticator.ADDRESS_WINDOW, true);
            }
            return new Outcome.Rejected();
        }
        failures.clear(user);
        return new Outcome.SignedIn(userId.get());
    }

    /** A portal username counts apart from an admin of the same name: locking one out must not lock the other. */
    private static String userSubject(String username) {
        return "portal-user:" + username;
    }
}
