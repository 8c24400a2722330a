package dev.shepherd.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * Authenticates admin requests made with HTTP Basic credentials against the admin accounts.
 *
 * <p>bcrypt is deliberately slow, so a successful check is remembered for a minute under a digest of the
 * credentials (never the password itself). Repeated failures for one username lock it for a while, which
 * bounds online guessing.
 */
public final class AdminAuthenticator {

    /** What came of an authentication attempt. */
    public sealed interface Outcome {
        /** No credentials were presented. */
        record Anonymous() implements Outcome {
        }

        /** The credentials are valid. */
        record Authenticated(AdminUser user) implements Outcome {
        }

        /** The credentials are wrong or malformed. */
        record Rejected() implements Outcome {
        }

        /** Too many failures: the username is locked for a while. */
        record Locked(Duration retryAfter) implements Outcome {
        }
    }

    static final int MAX_FAILURES = 5;
    static final Duration LOCKOUT = Duration.ofMinutes(15);

    private final AdminUserStore users;
    private final Cache<String, AdminUser> verified = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(10_000).build();
    private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder()
            .expireAfterWrite(LOCKOUT).maximumSize(100_000).build();

    public AdminAuthenticator(AdminUserStore users) {
        this.users = requireNonNull(users, "users is null");
    }

    public Outcome authenticate(HttpServerExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header == null) {
            return new Outcome.Anonymous();
        }
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return new Outcome.Rejected();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return new Outcome.Rejected();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return new Outcome.Rejected();
        }
        String username = decoded.substring(0, colon);
        char[] password = decoded.substring(colon + 1).toCharArray();
        try {
            return authenticate(username, password);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    Outcome authenticate(String username, char[] password) {
        AtomicInteger failed = failures.getIfPresent(username);
        if (failed != null && failed.get() >= MAX_FAILURES) {
            return new Outcome.Locked(LOCKOUT);
        }
        String key = digest(username, password);
        AdminUser cached = verified.getIfPresent(key);
        if (cached != null) {
            return new Outcome.Authenticated(cached);
        }
        Optional<AdminUser> user = users.verify(username, password);
        if (user.isEmpty()) {
            failures.get(username, name -> new AtomicInteger()).incrementAndGet();
            return new Outcome.Rejected();
        }
        failures.invalidate(username);
        verified.put(key, user.get());
        return new Outcome.Authenticated(user.get());
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
