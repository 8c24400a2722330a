package dev.shepherd.security;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Which console role, over which devices, a directory group opens, per single sign-on provider. An admin signing in
 * through a provider gets the role and scope of the first mapping (in the order they were made) whose group is among
 * the groups the provider reports for them; an admin none of whose groups is mapped is refused. Changes are audited.
 */
public final class RoleMappings {

    private static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final String SELECT = "SELECT id, provider, group_name, role_id, created_at, scope_groups FROM sso_role_mapping";

    /**
     * One mapping.
     *
     * @param id its id
     * @param provider the sign-in provider's id
     * @param group the directory group's name as the provider reports it
     * @param roleId the role it opens
     * @param createdAt when it was made
     * @param scope the devices the role is granted over
     */
    public record RoleMapping(String id, String provider, String group, String roleId, Instant createdAt, DeviceScope scope) {
        public RoleMapping {
            requireNonNull(id, "id is null");
            requireNonNull(provider, "provider is null");
            requireNonNull(group, "group is null");
            requireNonNull(roleId, "roleId is null");
            requireNonNull(createdAt, "createdAt is null");
            requireNonNull(scope, "scope is null");
        }
    }

    /**
     * What a sign-in through a provider grants.
     *
     * @param role what the admin may do
     * @param scope on which devices
     */
    public record Grant(Role role, DeviceScope scope) {
        public Grant {
            requireNonNull(role, "role is null");
            requireNonNull(scope, "scope is null");
        }
    }

    private final Transactions transactions;
    private final AdminRoles roles;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;

    public RoleMappings(Transactions transactions, AdminRoles roles, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.roles = requireNonNull(roles, "roles is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return every mapping, in the order they apply */
    public List<RoleMapping> list() {
        return query(SELECT + " ORDER BY position", List.of());
    }

    public Optional<RoleMapping> get(String id) {
        return query(SELECT + " WHERE id = ?", List.of(requireNonNull(id, "id is null"))).stream().findFirst();
    }

    /**
     * Maps a group to a role granted over a scope.
     *
     * @throws IllegalArgumentException for a malformed provider id or group name, an unknown role, or a group of the
     *         provider that is mapped already
     */
    public RoleMapping create(Actor actor, String provider, String group, String roleId, DeviceScope scope) {
        requireNonNull(scope, "scope is null");
        requireNonNull(actor, "actor is null");
        if (!PROVIDER.matcher(requireNonNull(provider, "provider is null")).matches()) {
            throw new IllegalArgumentException("provider must be a sign-in provider's id: lower-case letters, digits and -, starting with a letter");
        }
        if (requireNonNull(group, "group is null").isBlank() || group.length() > 200) {
            throw new IllegalArgumentException("group must be 1 to 200 characters");
        }
        if (roles.find(requireNonNull(roleId, "roleId is null")).isEmpty()) {
            throw new IllegalArgumentException("there is no role '" + roleId + "'");
        }
        RoleMapping mapping = new RoleMapping(UUID.randomUUID().toString(), provider, group, roleId, clock.instant(), scope);
        return transactions.inTransaction("map a group to a role", tx -> {
            int position;
            try (PreparedStatement last = tx.connection().prepareStatement("SELECT COALESCE(MAX(position), 0) FROM sso_role_mapping");
                 ResultSet rows = last.executeQuery()) {
                rows.next();
                position = rows.getInt(1) + 1;
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO sso_role_mapping (id, provider, group_name, role_id, position, created_at, scope_groups)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, mapping.id());
                insert.setString(2, provider);
                insert.setString(3, group);
                insert.setString(4, roleId);
                insert.setInt(5, position);
                insert.setTimestamp(6, Timestamp.from(mapping.createdAt()));
                insert.setString(7, scope.stored());
                insert.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new IllegalArgumentException("the group '" + group + "' of " + provider + " is mapped already");
            }
            audit.append(tx, new AuditRecord(actor, "role_mapping.create", "role_mapping", mapping.id(), Optional.empty(),
                    Optional.of(json.write(mapping))));
            return mapping;
        });
    }

    /** @return false when there is no such mapping */
    public boolean delete(Actor actor, String id) {
        requireNonNull(actor, "actor is null");
        return transactions.inTransaction("remove a role mapping", tx -> {
            Optional<RoleMapping> before = query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
            if (before.isEmpty()) {
                return false;
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM sso_role_mapping WHERE id = ?")) {
                delete.setString(1, id);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "role_mapping.delete", "role_mapping", id, Optional.of(json.write(before.get())),
                    Optional.empty()));
            return true;
        });
    }

    /**
     * The role and scope a provider's user with these groups signs in with.
     *
     * @return the grant of the first mapping of the provider whose group is among them; empty when none is
     */
    public Optional<Grant> grantFor(String provider, Set<String> groups) {
        requireNonNull(groups, "groups is null");
        return query(SELECT + " WHERE provider = ? ORDER BY position", List.of(requireNonNull(provider, "provider is null"))).stream()
                .filter(mapping -> groups.contains(mapping.group()))
                .flatMap(mapping -> roles.find(mapping.roleId()).map(role -> new Grant(role, mapping.scope())).stream())
                .findFirst();
    }

    private List<RoleMapping> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read the role mappings", e);
        }
    }

    private static List<RoleMapping> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<RoleMapping> mappings = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    mappings.add(new RoleMapping(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
                            rows.getTimestamp(5).toInstant(), DeviceScope.fromStored(rows.getString(6))));
                }
            }
            return mappings;
        }
    }
}
