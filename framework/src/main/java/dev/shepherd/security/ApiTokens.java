package dev.shepherd.security;

import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.json.Json;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/** API tokens for automation: created by an authenticated admin, shown once, kept hashed, scoped, expiring, revocable. */
public final class ApiTokens {

    public static final String PREFIX = "shp_";
    private static final Duration LONGEST = Duration.ofDays(366);
    private static final String SELECT = """
            SELECT id, name, prefix, role, owner, created_at, expires_at, last_used_at, revoked_at, scope_groups FROM api_token""";

    /**
     * A new token with its secret.
     *
     * @param token the token
     * @param secret the value for {@code Authorization: Bearer}
     */
    public record Issued(ApiToken token, String secret) {
        @Override
        public String toString() {
            return "Issued[token=" + token + ", secret=(hidden)]";
        }
    }

    private final Transactions transactions;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final AdminRoles roles;

    public ApiTokens(Transactions transactions, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.roles = new AdminRoles(transactions.dataSource());
    }

    /**
     * A token with its creator's scope.
     *
     * @throws IllegalArgumentException for a role above the creator's, or a lifetime out of range
     */
    public Issued create(Principal creator, String name, Role role, Duration lifetime) {
        return create(creator, name, role, creator.scope(), lifetime);
    }

    /**
     * @param scope the devices the token reaches: the creator's scope or a narrower one
     * @throws IllegalArgumentException for a role above the creator's, a scope wider than theirs, or a lifetime out of range
     */
    public Issued create(Principal creator, String name, Role role, DeviceScope scope, Duration lifetime) {
        requireNonNull(name, "name is null");
        requireNonNull(scope, "scope is null");
        if (!creator.scope().covers(scope)) {
            throw new IllegalArgumentException("a token cannot reach devices outside its creator's scope (" + creator.scope() + ")");
        }
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("name must be 1 to 200 characters");
        }
        if (!creator.role().covers(role)) {
            throw new IllegalArgumentException("a " + creator.role().name().toLowerCase() + " cannot create a token with the "
                    + role.name().toLowerCase() + " role");
        }
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("a token lives between one second and 366 days");
        }
        String secret = Secrets.random(PREFIX);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        ApiToken token = new ApiToken(UUID.randomUUID().toString(), name, secret.substring(0, 10), role, creator.username(), now,
                now.plus(lifetime), Optional.empty(), Optional.empty(), scope);
        transactions.inTransaction("create an API token", tx -> {
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO api_token (id, name, token_hash, prefix, role, owner, created_at, expires_at, scope_groups)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                insert.setString(1, token.id());
                insert.setString(2, name);
                insert.setString(3, Secrets.sha256(secret));
                insert.setString(4, token.prefix());
                insert.setString(5, role.id());
                insert.setString(6, creator.username());
                insert.setTimestamp(7, Timestamp.from(now));
                insert.setTimestamp(8, Timestamp.from(token.expiresAt()));
                insert.setString(9, scope.stored());
                insert.executeUpdate();
            }
            audit.append(tx, new AuditRecord(creator.actor(), "api-token.create", "api-token", token.id(), Optional.empty(),
                    Optional.of(json.write(Map.of("name", name, "role", role, "expiresAt", token.expiresAt().toString(),
                            "scope", scope.groupIds().map(Object.class::cast).orElse("fleet"))))));
            return null;
        });
        return new Issued(token, secret);
    }

    /** The tokens an admin may see: all for those who manage admins, their own for everyone else. */
    public List<ApiToken> list(Principal viewer) {
        return viewer.role().allows(Permission.ADMIN_MANAGE)
                ? query(SELECT + " ORDER BY created_at DESC", List.of())
                : query(SELECT + " WHERE owner = ? ORDER BY created_at DESC", List.of(viewer.username()));
    }

    /** @return false when there is no such token visible to the caller */
    public boolean revoke(Principal caller, String id) {
        Optional<ApiToken> token = list(caller).stream().filter(candidate -> candidate.id().equals(id)).findFirst();
        if (token.isEmpty()) {
            return false;
        }
        transactions.inTransaction("revoke an API token", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, id);
                update.executeUpdate();
            }
            audit.append(tx, new AuditRecord(caller.actor(), "api-token.revoke", "api-token", id, Optional.empty(), Optional.empty()));
            return null;
        });
        return true;
    }

    /** The principal a presented secret stands for, if it is a live token. */
    public Optional<Principal> authenticate(String secret) {
        if (!secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<ApiToken> token = query(SELECT + " WHERE token_hash = ?", List.of(Secrets.sha256(secret))).stream().findFirst()
                .filter(candidate -> candidate.revokedAt().isEmpty() && now.isBefore(candidate.expiresAt()));
        token.ifPresent(live -> {
            if (live.lastUsedAt().map(last -> last.isBefore(now.minus(Duration.ofMinutes(1)))).orElse(true)) {
                markUsed(live.id(), now);
            }
        });
        return token.map(live -> new Principal(live.owner(), live.role(), Principal.Via.API_TOKEN, Optional.empty(), live.scope()));
    }

    private void markUsed(String id, Instant at) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement update = connection.prepareStatement("UPDATE api_token SET last_used_at = ? WHERE id = ?")) {
            update.setTimestamp(1, Timestamp.from(at));
            update.setString(2, id);
            update.executeUpdate();
        } catch (SQLException e) {
            throw new StorageException("Cannot record the use of an API token", e);
        }
    }

    private List<ApiToken> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<ApiToken> tokens = new ArrayList<>();
            Map<String, CustomRole> custom = roles.customRoles();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    tokens.add(new ApiToken(rows.getString(1).trim(), rows.getString(2), rows.getString(3),
                            roles.resolve(rows.getString(4).trim(), custom), rows.getString(5), rows.getTimestamp(6).toInstant(),
                            rows.getTimestamp(7).toInstant(), Optional.ofNullable(rows.getTimestamp(8)).map(Timestamp::toInstant),
                            Optional.ofNullable(rows.getTimestamp(9)).map(Timestamp::toInstant), DeviceScope.fromStored(rows.getString(10))));
                }
            }
            return tokens;
        } catch (SQLException e) {
            throw new StorageException("Cannot read API tokens", e);
        }
    }
}
