package dev.shepherd.security;

import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;

import javax.sql.DataSource;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The admin roles: the four built-in presets ({@link AdminRole}, read-only) and the custom roles admins make from the
 * existing permissions, kept in the kernel store. Nothing is cached: every lookup reads the store, so an edited role
 * takes effect on its holders' next request on every node.
 */
public final class AdminRoles {

    private static final int NAME_MAX = 64;
    private static final int DESCRIPTION_MAX = 500;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Thrown when another role has that name already. */
    public static final class DuplicateRoleException extends Exception {
        private static final long serialVersionUID = 1L;

        DuplicateRoleException(String name) {
            super("a role named '" + name + "' exists already");
        }
    }

    /** Thrown when a role that accounts or live API tokens hold is to be deleted. */
    public static final class RoleInUseException extends Exception {
        private static final long serialVersionUID = 1L;

        RoleInUseException(String id) {
            super("the role '" + id + "' is held by admin accounts or API tokens; give them another role first");
        }
    }

    private final DataSource dataSource;

    public AdminRoles(DataSource dataSource) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
    }

    /** @return the built-ins, most to least powerful, then the custom roles by name */
    public List<Role> list() {
        List<Role> roles = new ArrayList<>(Arrays.asList(AdminRole.values()));
        roles.addAll(customRoles().values());
        return roles;
    }

    /** @return the role with that id, read from the store for custom roles */
    public Optional<Role> find(String id) {
        requireNonNull(id, "id is null");
        Optional<AdminRole> builtIn = builtIn(id);
        if (builtIn.isPresent()) {
            return Optional.of(builtIn.get());
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT id, name, description, permissions FROM admin_role WHERE id = ? AND built_in = 0")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(read(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read role " + id, e);
        }
    }

    /**
     * @return the role with that id; a role that is gone (only possible for a revoked API token's) grants nothing
     */
    Role resolve(String id, Map<String, CustomRole> custom) {
        return builtIn(id).<Role>map(role -> role)
                .orElseGet(() -> custom.containsKey(id) ? custom.get(id) : new CustomRole(id, id, "deleted", Set.of()));
    }

    /** @return the custom roles by id, in name order */
    Map<String, CustomRole> customRoles() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT id, name, description, permissions FROM admin_role WHERE built_in = 0 ORDER BY name");
             ResultSet rows = select.executeQuery()) {
            Map<String, CustomRole> roles = new LinkedHashMap<>();
            while (rows.next()) {
                CustomRole role = read(rows);
                roles.put(role.id(), role);
            }
            return roles;
        } catch (SQLException e) {
            throw new StorageException("Cannot list roles", e);
        }
    }

    /**
     * Creates a custom role.
     *
     * @throws IllegalArgumentException for a blank or over-long name or description, or no permissions
     * @throws DuplicateRoleException when another role has that name
     */
    public CustomRole create(String name, String description, Set<Permission> permissions) throws DuplicateRoleException {
        CustomRole role = new CustomRole("role-" + HexFormat.of().formatHex(randomBytes()),
                checkedName(name), checkedDescription(description), checkedPermissions(permissions));
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO admin_role (id, name, description, permissions, built_in) VALUES (?, ?, ?, ?, 0)")) {
            insert.setString(1, role.id());
            insert.setString(2, role.name());
            insert.setString(3, role.description());
            insert.setString(4, encode(role.permissions()));
            insert.executeUpdate();
            return role;
        } catch (SQLException e) {
            if (Dialect.isConstraintViolation(e)) {
                throw new DuplicateRoleException(role.name());
            }
            throw new StorageException("Cannot create role " + role.name(), e);
        }
    }

    /**
     * Replaces a custom role's name, description and permissions; its holders have the new rights from their next request.
     *
     * @return the role after, or empty when there is no custom role with that id (built-ins cannot be changed)
     * @throws IllegalArgumentException for a blank or over-long name or description, or no permissions
     * @throws DuplicateRoleException when another role has that name
     */
    public Optional<CustomRole> update(String id, String name, String description, Set<Permission> permissions)
            throws DuplicateRoleException {
        CustomRole role = new CustomRole(requireNonNull(id, "id is null"), checkedName(name), checkedDescription(description),
                checkedPermissions(permissions));
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement(
                     "UPDATE admin_role SET name = ?, description = ?, permissions = ? WHERE id = ? AND built_in = 0")) {
            update.setString(1, role.name());
            update.setString(2, role.description());
            update.setString(3, encode(role.permissions()));
            update.setString(4, id);
            return update.executeUpdate() == 1 ? Optional.of(role) : Optional.empty();
        } catch (SQLException e) {
            if (Dialect.isConstraintViolation(e)) {
                throw new DuplicateRoleException(role.name());
            }
            throw new StorageException("Cannot change role " + id, e);
        }
    }

    /**
     * Deletes a custom role no account and no unrevoked API token holds.
     *
     * @return false when there is no custom role with that id
     * @throws RoleInUseException while an account or an unrevoked token holds it
     */
    public boolean delete(String id) throws RoleInUseException {
        requireNonNull(id, "id is null");
        try (Connection connection = dataSource.getConnection();
             PreparedStatement tokens = connection.prepareStatement(
                     "SELECT COUNT(*) FROM api_token WHERE role = ? AND revoked_at IS NULL");
             PreparedStatement delete = connection.prepareStatement("DELETE FROM admin_role WHERE id = ? AND built_in = 0")) {
            tokens.setString(1, id);
            try (ResultSet rows = tokens.executeQuery()) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    throw new RoleInUseException(id);
                }
            }
            delete.setString(1, id);
            // Accounts are guarded by the foreign key, so a concurrent assignment cannot slip between check and delete.
            return delete.executeUpdate() == 1;
        } catch (SQLException e) {
            if (Dialect.isConstraintViolation(e)) {
                throw new RoleInUseException(id);
            }
            throw new StorageException("Cannot delete role " + id, e);
        }
    }

    private static Optional<AdminRole> builtIn(String id) {
        return Arrays.stream(AdminRole.values()).filter(role -> role.id().equals(id)).findFirst();
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[10];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static CustomRole read(ResultSet rows) throws SQLException {
        return new CustomRole(rows.getString(1), rows.getString(2), rows.getString(3), decode(rows.getString(4)));
    }

    private static String encode(Set<Permission> permissions) {
        return permissions.stream().sorted().map(Permission::name).collect(Collectors.joining(","));
    }

    /** Names of permissions a later version no longer has are skipped: a role never gains rights from a stale name. */
    private static Set<Permission> decode(String text) {
        Set<Permission> permissions = EnumSet.noneOf(Permission.class);
        for (String name : text.split(",")) {
            Arrays.stream(Permission.values()).filter(permission -> permission.name().equals(name)).forEach(permissions::add);
        }
        return permissions;
    }

    private static String checkedName(String name) {
        String trimmed = requireNonNull(name, "name is null").strip();
        if (trimmed.isEmpty() || trimmed.length() > NAME_MAX || trimmed.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a role's name is 1 to " + NAME_MAX + " printable characters");
        }
        return trimmed;
    }

    private static String checkedDescription(String description) {
        String trimmed = requireNonNull(description, "description is null").strip();
        if (trimmed.length() > DESCRIPTION_MAX) {
            throw new IllegalArgumentException("a role's description is at most " + DESCRIPTION_MAX + " characters");
        }
        return trimmed;
    }

    private static Set<Permission> checkedPermissions(Set<Permission> permissions) {
        if (requireNonNull(permissions, "permissions is null").isEmpty()) {
            throw new IllegalArgumentException("a role needs at least one permission");
        }
        return permissions;
    }
}
