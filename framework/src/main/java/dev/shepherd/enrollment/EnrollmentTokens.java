package dev.shepherd.enrollment;

import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;
import dev.shepherd.security.Secrets;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Enrollment tokens: created by admins, presented by devices. Secrets are 256 random bits; only their SHA-256 is
 * stored (a fast hash is right for a secret with that much entropy). Using a token is one conditional update, so
 * a single-use token enrolls exactly one device however many try at once.
 */
public final class EnrollmentTokens {

    private static final Pattern BINDING = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final String SELECT = """
            SELECT id, name, ownership, platform, group_id, user_id, max_uses, uses, expires_at, created_by, created_at,
                   revoked_at, require_sign_in FROM enrollment_token""";
    /** How long the token a person gets by signing in on a link that asks for it works: long enough to enroll now. */
    static final Duration SIGNED_IN_TOKEN_LIFETIME = Duration.ofHours(1);

    /**
     * A token bound to a person the directory deactivated enrolls nothing: the device would be theirs, and their
     * identity provider has disabled them.
     */
    private static final String USER_ACTIVE = "(user_id IS NULL OR NOT EXISTS (SELECT 1 FROM directory_user u"
            + " WHERE u.id = enrollment_token.user_id AND u.active = 0))";

    private final Transactions transactions;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public EnrollmentTokens(Transactions transactions, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public IssuedEnrollmentToken create(Actor actor, NewEnrollmentToken request) {
        requireNonNull(request, "request is null");
        Instant now = clock.instant();
        if (!request.expiresAt().isAfter(now)) {
            throw new IllegalArgumentException("expiresAt must be in the future");
        }
        String secret = newSecret();
        EnrollmentToken token = new EnrollmentToken(UUID.randomUUID().toString(), request.name(), request.ownership(),
                request.platform(), request.groupId(), request.userId(), request.maxUses(), 0, request.expiresAt(),
                actor.toString(), now, Optional.empty(), request.requireSignIn());
        transactions.inTransaction("create an enrollment token", tx -> {
            insert(tx, token, secret, actor);
            return null;
        });
        return new IssuedEnrollmentToken(token, secret);
    }

    /**
     * A link that asks for the user's sign-in, as whoever opens it sees it before signing in.
     *
     * @return the token, when it asks for a sign-in and would allow an enrollment now
     */
    public Optional<EnrollmentToken> checkSignInLink(String secret) {
        return query(SELECT + " WHERE token_hash = ? AND require_sign_in = 1", List.of(Secrets.sha256(secret))).stream().findFirst()
                .filter(token -> token.usableAt(clock.instant()));
    }

    /**
     * Spends one use of a link that asks for the user's sign-in on a one-time token of the person who signed in: the
     * link's platform, ownership and group, assigned to them, working for an hour (never past the link's expiry).
     *
     * @param userId the directory user who signed in
     * @param username their username, named in the new token
     * @return the person's token, or empty when the link is unknown, does not ask for a sign-in, or is expired, used up
     *         or revoked
     */
    public Optional<IssuedEnrollmentToken> issueForSignedInUser(String linkSecret, String userId, String username) {
        return issueForSignedInUser(linkSecret, userId, username, Optional.empty());
    }

    /**
     * As {@link #issueForSignedInUser(String, String, String)}, the token's secret ending with {@code .<binding>}: part of
     * the secret the kernel checks, so whoever holds the token cannot change it, and whoever reads it learns what the
     * token was issued for (Apple's account-driven enrollment binds the person's Managed Apple Account this way).
     *
     * @param binding appended to the secret after a dot; {@code [A-Za-z0-9_-]}, at most 64 characters
     */
    public Optional<IssuedEnrollmentToken> issueForSignedInUser(String linkSecret, String userId, String username, Optional<String> binding) {
        requireNonNull(linkSecret, "linkSecret is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(binding, "binding is null");
        if (binding.filter(value -> !BINDING.matcher(value).matches()).isPresent()) {
            throw new IllegalArgumentException("a token binding is 1 to 64 URL-safe characters");
        }
        Instant now = clock.instant();
        return transactions.inTransaction("issue the enrollment token of a signed-in user", tx -> {
            String hash = Secrets.sha256(linkSecret);
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE enrollment_token SET uses = uses + 1
                    WHERE token_hash = ? AND require_sign_in = 1 AND revoked_at IS NULL AND expires_at > ?
                      AND (max_uses IS NULL OR uses < max_uses)""")) {
                update.setString(1, hash);
                update.setTimestamp(2, Timestamp.from(now));
                if (update.executeUpdate() != 1) {
                    return Optional.<IssuedEnrollmentToken>empty();
                }
            }
            EnrollmentToken link = query(tx.connection(), SELECT + " WHERE token_hash = ?", List.of(hash)).get(0);
            Instant expires = now.plus(SIGNED_IN_TOKEN_LIFETIME);
            String name = link.name() + " — " + username;
            EnrollmentToken token = new EnrollmentToken(UUID.randomUUID().toString(), name.length() > 200 ? name.substring(0, 200) : name,
                    link.ownership(), link.platform(), link.groupId(), Optional.of(userId), OptionalInt.of(1), 0,
                    expires.isBefore(link.expiresAt()) ? expires : link.expiresAt(), Actor.user(userId).toString(), now, Optional.empty(), false);
            String secret = newSecret() + binding.map(value -> "." + value).orElse("");
            insert(tx, token, secret, Actor.user(userId));
            return Optional.of(new IssuedEnrollmentToken(token, secret));
        });
    }

    private String newSecret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Stores a token (only its secret's hash) and audits it, within the caller's transaction. */
    private void insert(Tx tx, EnrollmentToken token, String secret, Actor actor) throws SQLException {
        try (PreparedStatement insert = tx.connection().prepareStatement("""
                INSERT INTO enrollment_token (id, name, token_hash, ownership, platform, group_id, user_id, max_uses,
                                              uses, expires_at, created_by, created_at, require_sign_in)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)""")) {
            insert.setString(1, token.id());
            insert.setString(2, token.name());
            insert.setString(3, Secrets.sha256(secret));
            insert.setString(4, token.ownership().name());
            setOptional(insert, 5, token.platform().map(Platform::id));
            setOptional(insert, 6, token.groupId());
            setOptional(insert, 7, token.userId());
            if (token.maxUses().isPresent()) {
                insert.setInt(8, token.maxUses().getAsInt());
            } else {
                insert.setNull(8, Types.INTEGER);
            }
            insert.setTimestamp(9, Timestamp.from(token.expiresAt()));
            insert.setString(10, token.createdBy());
            insert.setTimestamp(11, Timestamp.from(token.createdAt()));
            insert.setInt(12, token.requireSignIn() ? 1 : 0);
            insert.executeUpdate();
        } catch (SQLException e) {
            if (!Dialect.isConstraintViolation(e)) {
                throw e;
            }
            throw new IllegalArgumentException("the token's user or group does not exist");
        }
        audit.append(tx, new AuditRecord(actor, "enrollment-token.create", "enrollment-token", token.id(),
                Optional.empty(), Optional.of(json.write(token))));
    }

    public List<EnrollmentToken> list() {
        return query(SELECT + " ORDER BY created_at DESC", List.of());
    }

    public Optional<EnrollmentToken> find(String id) {
        return query(SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /** @return false when there is no such token */
    public boolean revoke(Actor actor, String id) {
        return transactions.inTransaction("revoke an enrollment token", tx -> {
            Optional<EnrollmentToken> before = query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
            if (before.isEmpty()) {
                return false;
            }
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE enrollment_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, id);
                update.executeUpdate();
            }
            EnrollmentToken after = query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).get(0);
            audit.append(tx, new AuditRecord(actor, "enrollment-token.revoke", "enrollment-token", id,
                    Optional.of(json.write(before.get())), Optional.of(json.write(after))));
            return true;
        });
    }

    /** What a secret grants now, without using it up. */
    public Optional<EnrollmentGrant> check(String secret) {
        return query(SELECT + " WHERE token_hash = ? AND require_sign_in = 0 AND " + USER_ACTIVE, List.of(Secrets.sha256(secret))).stream().findFirst()
                .filter(token -> token.usableAt(clock.instant())).map(EnrollmentTokens::grantOf);
    }

    /**
     * Uses up one use of a token within the caller's transaction. A link that asks for the user's sign-in enrolls
     * nothing itself: only the token {@link #issueForSignedInUser} makes does.
     *
     * @return the token's grant, or empty when the secret is unknown, expired, used up or revoked, or its user deactivated
     */
    public Optional<EnrollmentGrant> consume(Tx tx, String secret) throws SQLException {
        String hash = Secrets.sha256(secret);
        try (PreparedStatement update = tx.connection().prepareStatement("""
                UPDATE enrollment_token SET uses = uses + 1
                WHERE token_hash = ? AND require_sign_in = 0 AND revoked_at IS NULL AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)
                  AND\s""" + USER_ACTIVE)) {
            update.setString(1, hash);
            update.setTimestamp(2, Timestamp.from(clock.instant()));
            if (update.executeUpdate() != 1) {
                return Optional.empty();
            }
        }
        return query(tx.connection(), SELECT + " WHERE token_hash = ?", List.of(hash)).stream().findFirst().map(EnrollmentTokens::grantOf);
    }

    private static EnrollmentGrant grantOf(EnrollmentToken token) {
        return new EnrollmentGrant(token.id(), token.ownership(), token.platform(), token.groupId(), token.userId(), token.expiresAt());
    }

    private List<EnrollmentToken> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read enrollment tokens", e);
        }
    }

    private static List<EnrollmentToken> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<EnrollmentToken> tokens = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    int maxUses = rows.getInt(7);
                    OptionalInt max = rows.wasNull() ? OptionalInt.empty() : OptionalInt.of(maxUses);
                    tokens.add(new EnrollmentToken(rows.getString(1).trim(), rows.getString(2), Ownership.valueOf(rows.getString(3)),
                            Optional.ofNullable(rows.getString(4)).map(Platform::new),
                            Optional.ofNullable(rows.getString(5)).map(String::trim),
                            Optional.ofNullable(rows.getString(6)).map(String::trim), max, rows.getInt(8),
                            rows.getTimestamp(9).toInstant(), rows.getString(10), rows.getTimestamp(11).toInstant(),
                            Optional.ofNullable(rows.getTimestamp(12)).map(Timestamp::toInstant), rows.getInt(13) == 1));
                }
            }
            return tokens;
        }
    }

    private static void setOptional(PreparedStatement statement, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            statement.setString(index, value.get());
        } else {
            statement.setNull(index, Types.VARCHAR);
        }
    }
}
