package dev.shepherd.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.shepherd.cluster.ChangeFeed;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.util.Headers;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * Authenticates admin API requests: an API token ({@code Authorization: Bearer shp_…}), a browser session cookie,
 * or — only when the operator turns it on ({@code security.basicAuth}) for scripts — HTTP Basic credentials. Basic is
 * off by default because a browser caches Basic credentials and attaches them to any request to this server, even one
 * another site's page makes. Password checks are rate-limited: five failures lock the username for fifteen minutes,
 * and one address may try at most thirty times a minute; failures and lockouts are reported to the
 * {@link SignInEvents} (the audit log).
 */
public final class AdminAuthenticator {

    public static final String SESSION_COOKIE = "shepherd_session";

    /** What came of an authentication attempt. */
    public sealed interface Outcome {
        /** No credentials were presented. */
        record Anonymous() implements Outcome {
        }

        /** The credentials are valid. */
        record Authenticated(Principal principal) implements Outcome {
        }

        /** The credentials are wrong, expired or malformed. */
        record Rejected() implements Outcome {
        }

        /** Too many failures: locked for a while. */
        record Locked(Duration retryAfter) implements Outcome {
        }
    }

    /** Hears of failed sign-ins and lockouts, so they can be audited. */
    public interface SignInEvents {
        /** A password was wrong (or the account unknown or disabled). */
        void failed(String username, String remote, int failuresSoFar);

        /** The username or the address is now locked out for a while. */
        void locked(String username, String remote, Duration lockedFor, boolean byAddress);

        /** Hears nothing. */
        SignInEvents NONE = new SignInEvents() {
            @Override
            public void failed(String username, String remote, int failuresSoFar) {
            }

            @Override
            public void locked(String username, String remote, Duration lockedFor, boolean byAddress) {
            }
        };
    }

    /** Failures that lock a username, for {@link #LOCKOUT}; the self-service portal's sign-in keeps the same limits. */
    public static final int MAX_FAILURES = 5;
    public static final Duration LOCKOUT = Duration.ofMinutes(15);
    /** Failures one address may make within {@link #ADDRESS_WINDOW}, admin and portal sign-ins counted together. */
    public static final int MAX_FAILURES_PER_ADDRESS = 30;

    private final AdminUserStore users;
    private final AdminSessions sessions;
    private final ApiTokens tokens;
    private final Cache<String, AdminUser> verified = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();
    /** The change-feed topic of admin accounts changed; the key is the username. */
    static final String ADMIN_TOPIC = "admin.account";
    public static final Duration ADDRESS_WINDOW = Duration.ofMinutes(1);
    /** Failures are counted in the database, so the limits hold across every node. */
    private final SignInFailures failures;
    private final ChangeFeed changes;

    private final boolean basicAuth;
    private final Predicate<String> secondFactorActive;
    private final Predicate<String> localPasswordAllowed;
    private final SignInEvents events;

    /**
     * @param basicAuth whether HTTP Basic credentials are accepted ({@code security.basicAuth})
     * @param events told of failed sign-ins and lockouts
     */
    /**
     * @param failures where failed sign-ins are counted, for every node alike
     * @param changes where account changes are announced to the other nodes (their remembered password checks go)
     */
    public AdminAuthenticator(AdminUserStore users, AdminSessions sessions, ApiTokens tokens, boolean basicAuth, SignInEvents events,
                              SignInFailures failures, ChangeFeed changes) {
        this(users, sessions, tokens, basicAuth, events, failures, changes, username -> false);
    }

    /**
     * @param secondFactorActive whether an account signs in with a code after its password: its password alone then
     *                           opens nothing, so HTTP Basic credentials are refused for it
     */
    public AdminAuthenticator(AdminUserStore users, AdminSessions sessions, ApiTokens tokens, boolean basicAuth, SignInEvents events,
                              SignInFailures failures, ChangeFeed changes, Predicate<String> secondFactorActive) {
        this(users, sessions, tokens, basicAuth, events, failures, changes, secondFactorActive, username -> true);
    }

    /**
     * @param localPasswordAllowed whether a local account may sign in with its password
     *                             ({@code security.breakGlassAdmins}); accounts an identity provider checks are not asked
     */
    public AdminAuthenticator(AdminUserStore users, AdminSessions sessions, ApiTokens tokens, boolean basicAuth, SignInEvents events,
                              SignInFailures failures, ChangeFeed changes, Predicate<String> secondFactorActive,
                              Predicate<String> localPasswordAllowed) {
        this.localPasswordAllowed = requireNonNull(localPasswordAllowed, "localPasswordAllowed is null");
        this.secondFactorActive = requireNonNull(secondFactorActive, "secondFactorActive is null");
        this.failures = requireNonNull(failures, "failures is null");
        this.changes = requireNonNull(changes, "changes is null");
        changes.subscribe(ADMIN_TOPIC, this::forgetHere, verified::invalidateAll);
        this.users = requireNonNull(users, "users is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.basicAuth = basicAuth;
        this.events = requireNonNull(events, "events is null");
    }

    /** @return whether HTTP Basic credentials are accepted */
    public boolean basicAuth() {
        return basicAuth;
    }

    public Outcome authenticate(HttpServerExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header != null) {
            if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                // A token acts for its owner: it stops working while the owner is disabled, and once the owner's role
                // no longer covers the token's, role or scope (a demotion must not leave the old powers in a script's hands).
                return tokens.authenticate(header.substring(7).trim())
                        .filter(token -> users.find(token.username()).filter(owner -> !owner.disabled())
                                .map(owner -> owner.role().covers(token.role()) && owner.scope().covers(token.scope())).orElse(false))
                        .<Outcome>map(Outcome.Authenticated::new).orElse(new Outcome.Rejected());
            }
            if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
                return basicAuth ? basic(header.substring(6).trim(), remote(exchange)) : new Outcome.Rejected();
            }
            return new Outcome.Rejected();
        }
        Cookie cookie = exchange.getRequestCookie(SESSION_COOKIE);
        if (cookie != null) {
            return sessions.find(cookie.getValue())
                    .flatMap(live -> users.find(live.username()).filter(user -> !user.disabled())
                            .map(user -> (Outcome) new Outcome.Authenticated(new Principal(user.username(), user.role(),
                                    Principal.Via.SESSION, Optional.of(live.csrfHash()), user.scope()))))
                    .orElse(new Outcome.Rejected());
        }
        return new Outcome.Anonymous();
    }

    /**
     * Checks a password for a sign-in.
     *
     * @param remote the caller's address, for rate limiting
     */
    public Outcome checkPassword(String username, char[] password, String remote) {
        if (failures.count(addressSubject(remote), ADDRESS_WINDOW) >= MAX_FAILURES_PER_ADDRESS) {
            return new Outcome.Locked(ADDRESS_WINDOW);
        }
        if (locked(username)) {
            return new Outcome.Locked(LOCKOUT);
        }
        String key = digest(username, password);
        AdminUser cached = verified.getIfPresent(key);
        if (cached != null) {
            // The cache spares the password hash, not the grant: the account's role and scope are read afresh, so a
            // custom role edited or a scope narrowed since holds at once.
            Optional<AdminUser> current = users.find(cached.username()).filter(account -> !account.disabled());
            if (current.isPresent()) {
                return new Outcome.Authenticated(new Principal(cached.username(), current.get().role(), Principal.Via.BASIC,
                        Optional.empty(), current.get().scope()));
            }
            verified.invalidate(key);
        }
        Optional<AdminUser> user = users.verify(username, password);
        if (user.isEmpty()) {
            countFailure(userSubject(username), username, remote);
            return new Outcome.Rejected();
        }
        failures.clear(userSubject(username));
        verified.put(key, user.get());
        return new Outcome.Authenticated(new Principal(user.get().username(), user.get().role(), Principal.Via.BASIC, Optional.empty(),
                user.get().scope()));
    }

    /**
     * Whether a second-factor code may be checked now: wrong codes lock the account's second step as wrong passwords
     * lock its password, with the same limits, and count against the address like any failed sign-in. They are counted
     * apart from password failures, which a right password clears: otherwise a known password would reopen the codes.
     *
     * @return how long to wait, when the account's codes or the address are locked
     */
    public Optional<Duration> secondFactorLocked(String username, String remote) {
        if (failures.count(addressSubject(remote), ADDRESS_WINDOW) >= MAX_FAILURES_PER_ADDRESS) {
            return Optional.of(ADDRESS_WINDOW);
        }
        return failures.count(secondFactorSubject(username), LOCKOUT) >= MAX_FAILURES ? Optional.of(LOCKOUT) : Optional.empty();
    }

    /** Counts a wrong second-factor code, audited and locking like a wrong password. */
    public void secondFactorFailed(String username, String remote) {
        countFailure(secondFactorSubject(username), username, remote);
    }

    /** Counts a failure against the subject and the address, and reports it and any lockout it starts. */
    private void countFailure(String subject, String username, String remote) {
        int failuresSoFar = failures.record(subject, LOCKOUT);
        int failedFromAddress = failures.record(addressSubject(remote), ADDRESS_WINDOW);
        events.failed(username, remote, failuresSoFar);
        if (failuresSoFar == MAX_FAILURES) {
            events.locked(username, remote, LOCKOUT, false);
        }
        if (failedFromAddress == MAX_FAILURES_PER_ADDRESS) {
            events.locked(username, remote, ADDRESS_WINDOW, true);
        }
    }

    /**
     * Whether an account may sign in with its password: every account an identity provider checks, and the local
     * accounts the server allows ({@code security.breakGlassAdmins}: once admins sign in with their organisation, only
     * the break-glass accounts keep a password sign-in).
     */
    public boolean passwordSignInAllowed(String username) {
        return !users.isLocal(username) || localPasswordAllowed.test(username);
    }

    /** @return the account, when it exists and is enabled */
    public Optional<AdminUser> account(String username) {
        return users.find(username).filter(user -> !user.disabled());
    }

    /** Forgets an account's wrong codes once a right one came. */
    public void secondFactorPassed(String username) {
        failures.clear(secondFactorSubject(username));
    }

    /**
     * Lifts a username's lockout (an admin's unlock, or a password reset), on every node.
     *
     * @return whether it was locked
     */
    public boolean unlock(String username) {
        boolean wasLocked = locked(username) || failures.count(secondFactorSubject(username), LOCKOUT) >= MAX_FAILURES;
        failures.clear(userSubject(username));
        failures.clear(secondFactorSubject(username));
        return wasLocked;
    }

    /** @return whether the username is locked out now */
    public boolean locked(String username) {
        return failures.count(userSubject(username), LOCKOUT) >= MAX_FAILURES;
    }

    /** Forgets remembered password checks, after a password, role or account change, on this node and every other. */
    public void forget(String username) {
        forgetHere(username);
        changes.publish(ADMIN_TOPIC, username);
    }

    private void forgetHere(String username) {
        verified.asMap().values().removeIf(user -> user.username().equals(username));
    }

    private static String userSubject(String username) {
        return "user:" + username;
    }

    /** The {@link SignInFailures} subject of an account's wrong second-factor codes. */
    public static String secondFactorSubject(String username) {
        return "second-factor:" + username;
    }

    /** The {@link SignInFailures} subject of an address, shared by every kind of sign-in. */
    public static String addressSubject(String remote) {
        return "address:" + remote;
    }

    private Outcome basic(String encoded, String remote) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return new Outcome.Rejected();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return new Outcome.Rejected();
        }
        char[] password = decoded.substring(colon + 1).toCharArray();
        try {
            Outcome outcome = checkPassword(decoded.substring(0, colon), password, remote);
            return outcome instanceof Outcome.Authenticated authenticated && (secondFactorActive.test(authenticated.principal().username())
                    || !passwordSignInAllowed(authenticated.principal().username())) ? new Outcome.Rejected() : outcome;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    public static String remote(HttpServerExchange exchange) {
        return exchange.getSourceAddress() == null || exchange.getSourceAddress().getAddress() == null ? "unknown"
                : exchange.getSourceAddress().getAddress().getHostAddress();
    }

    private static String digest(String username, char[] password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(username.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(new String(password).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
