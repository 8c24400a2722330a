package dev.shepherd.security;

import dev.shepherd.device.DeviceScope;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** Admin accounts in the kernel store, passwords kept as bcrypt hashes. */
public final class AdminUserStore {

    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");

    /** Checks a password with an identity provider, for admins whose accounts live there. */
    @FunctionalInterface
    public interface ExternalPasswords {
        /**
         * @return whether the provider accepts the password; empty when no such provider is running
         */
        Optional<Boolean> check(String provider, String username, char[] password);
    }

    private final DataSource dataSource;
    private final PasswordHasher hasher;
    private final AdminRoles roles;
    private final Transactions transactions;
    private final PasswordRules rules = PasswordRules.standard();
    private volatile ExternalPasswords external = (provider, username, password) -> Optional.empty();
    private volatile String timingDecoy;

    public AdminUserStore(DataSource dataSource, PasswordHasher hasher) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
        this.hasher = requireNonNull(hasher, "hasher is null");
        this.roles = new AdminRoles(dataSource);
        this.transactions = new Transactions(dataSource);
    }

    /** @return the roles accounts refer to */
    public AdminRoles roles() {
        return roles;
    }

    public void setExternalPasswords(ExternalPasswords external) {
        this.external = requireNonNull(external, "external is null");
    }

    /** Thrown when an account with that username exists already. */
    public static final class DuplicateUserException extends Exception {
        private static final long serialVersionUID = 1L;

        DuplicateUserException(String username) {
            super("an admin named '" + username + "' exists already");
        }
    }

    /**
     * Creates an account.
     *
     * @throws IllegalArgumentException for a malformed username or a weak password
     * @throws DuplicateUserException when the username is taken
     */
    public AdminUser create(String username, char[] password, Role role) throws DuplicateUserException {
        return create(username, password, role, DeviceScope.FLEET);
    }

    /**
     * Creates an account whose role is granted over a scope.
     *
     * @throws IllegalArgumentException for a malformed username or a weak password
     * @throws DuplicateUserException when the username is taken
     */
    public AdminUser create(String username, char[] password, Role role, DeviceScope scope) throws DuplicateUserException {
        requireNonNull(username, "username is null");
        requireNonNull(role, "role is null");
        requireNonNull(scope, "scope is null");
        if (!USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("usernames are 1 to 128 letters, digits and . _ @ -");
        }
        rules.check(username, password);
        String hash = hasher.hash(password);
        // Microseconds: the precision both store engines keep, so the account read back equals this one.
        AdminUser user = new AdminUser(UUID.randomUUID().toString(), username, role, Instant.now().truncatedTo(ChronoUnit.MICROS), false, scope);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO admin_user (id, username, password_hash, role, created_at, disabled, scope_groups) VALUES (?, ?, ?, ?, ?, 0, ?)")) {
            insert.setString(1, user.id());
            insert.setString(2, username);
            insert.setString(3, hash);
            insert.setString(4, role.id());
            insert.setTimestamp(5, Timestamp.from(user.createdAt()));
            insert.setString(6, scope.stored());
            insert.executeUpdate();
            return user;
        } catch (SQLException e) {
            if (Dialect.isConstraintViolation(e)) {
                throw new DuplicateUserException(username);
            }
            throw new StorageException("Cannot create admin " + username, e);
        }
    }

    /**
     * Creates an account whose password an identity-provider plugin checks; Shepherd keeps no password for it.
     *
     * @throws DuplicateUserException when the username is taken
     */
    public AdminUser createExternal(String username, Role role, String provider) throws DuplicateUserException {
        return createExternal(username, role, provider, DeviceScope.FLEET);
    }

    /**
     * Creates an account whose password an identity-provider plugin checks, its role granted over a scope.
     *
     * @throws DuplicateUserException when the username is taken
     */
    public AdminUser createExternal(String username, Role role, String provider, DeviceScope scope) throws DuplicateUserException {
        requireNonNull(provider, "provider is null");
        requireNonNull(scope, "scope is null");
        if (!USERNAME.matcher(requireNonNull(username, "username is null")).matches()) {
            throw new IllegalArgumentException("usernames are 1 to 128 letters, digits and . _ @ -");
        }
        if (provider.equals("local") || !provider.matches("[a-z][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("provider must be an identity provider's id, not 'local'");
        }
        // Microseconds: the precision both store engines keep, so the account read back equals this one.
        AdminUser user = new AdminUser(UUID.randomUUID().toString(), username, role, Instant.now().truncatedTo(ChronoUnit.MICROS), false, scope);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO admin_user (id, username, password_hash, role, created_at, disabled, provider, scope_groups) VALUES (?, ?, '!', ?, ?, 0, ?, ?)")) {
            insert.setString(1, user.id());
            insert.setString(2, username);
            insert.setString(3, role.id());
            insert.setTimestamp(4, Timestamp.from(user.createdAt()));
            insert.setString(5, provider);
            insert.setString(6, scope.stored());
            insert.executeUpdate();
            return user;
        } catch (SQLException e) {
            if (Dialect.isConstraintViolation(e)) {
                throw new DuplicateUserException(username);
            }
            throw new StorageException("Cannot create admin " + username, e);
        }
    }

    /** @return whether any admin account exists */
    public boolean any() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM admin_user");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getLong(1) > 0;
        } catch (SQLException e) {
            throw new StorageException("Cannot count admins", e);
        }
    }

    /**
     * Checks credentials.
     *
     * @return the account when the password matches and the account is enabled
     */
    public Optional<AdminUser> verify(String username, char[] password) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT id, username, password_hash, role, created_at, disabled, provider, scope_groups FROM admin_user WHERE username = ?")) {
            select.setString(1, username);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    // Spend the same time as a real check so response timing does not reveal which usernames exist.
                    hasher.matches(timingDecoy(), password);
                    return Optional.empty();
                }
                AdminUser user = new AdminUser(rows.getString(1), rows.getString(2), roles.resolve(rows.getString(4), customRolesIfNeeded(rows.getString(4))),
                        rows.getTimestamp(5).toInstant(), rows.getShort(6) != 0, DeviceScope.fromStored(rows.getString(8)));
                String provider = rows.getString(7);
                boolean matches = provider.equals("local") ? hasher.matches(rows.getString(3), password)
                        : external.check(provider, username, password).orElse(false);
                return matches && !user.disabled() ? Optional.of(user) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot check admin " + username, e);
        }
    }

    /** @return whether the account exists and Shepherd keeps its password (not an identity provider) */
    public boolean isLocal(String username) {
        return provider(username).filter("local"::equals).isPresent();
    }

    /**
     * @return where the account's sign-ins are checked: {@code local} (Shepherd keeps its password) or an identity
     *         provider's id; empty when there is no such account
     */
    public Optional<String> provider(String username) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT provider FROM admin_user WHERE username = ?")) {
            select.setString(1, username);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read admin " + username, e);
        }
    }

    /** All admin accounts, by username. */
    public List<AdminUser> list() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT id, username, role, created_at, disabled, scope_groups FROM admin_user ORDER BY username");
             ResultSet rows = select.executeQuery()) {
            List<AdminUser> users = new ArrayList<>();
            Map<String, CustomRole> custom = roles.customRoles();
            while (rows.next()) {
                users.add(new AdminUser(rows.getString(1), rows.getString(2), roles.resolve(rows.getString(3), custom),
                        rows.getTimestamp(4).toInstant(), rows.getShort(5) != 0, DeviceScope.fromStored(rows.getString(6))));
            }
            return users;
        } catch (SQLException e) {
            throw new StorageException("Cannot list admins", e);
        }
    }

    public Optional<AdminUser> find(String username) {
        return list().stream().filter(user -> user.username().equals(username)).findFirst();
    }

    /**
     * Changes an account's role or disables it.
     *
     * @return the account after, or empty when there is none
     */
    public Optional<AdminUser> update(String username, Optional<? extends Role> role, Optional<Boolean> disabled) {
        return update(username, role, disabled, Optional.empty());
    }

    /**
     * Changes an account's role, the scope it is granted over, or disables it; all or nothing.
     *
     * @param scope the new scope, when it changes
     * @return the account after, or empty when there is none
     */
    public Optional<AdminUser> update(String username, Optional<? extends Role> role, Optional<Boolean> disabled,
                                      Optional<DeviceScope> scope) {
        requireNonNull(scope, "scope is null");
        transactions.inTransaction("change admin " + username, tx -> {
            updateGrant(tx.connection(), username, role, disabled);
            if (scope.isPresent()) {
                try (PreparedStatement update = tx.connection().prepareStatement("UPDATE admin_user SET scope_groups = ? WHERE username = ?")) {
                    update.setString(1, scope.get().stored());
                    update.setString(2, username);
                    update.executeUpdate();
                }
            }
            return null;
        });
        return find(username);
    }

    private static void updateGrant(Connection connection, String username, Optional<? extends Role> role, Optional<Boolean> disabled)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                     "UPDATE admin_user SET role = COALESCE(?, role), disabled = COALESCE(?, disabled) WHERE username = ?")) {
            if (role.isPresent()) {
                update.setString(1, role.get().id());
            } else {
                update.setNull(1, java.sql.Types.VARCHAR);
            }
            if (disabled.isPresent()) {
                update.setShort(2, (short) (disabled.get() ? 1 : 0));
            } else {
                update.setNull(2, java.sql.Types.SMALLINT);
            }
            update.setString(3, username);
            update.executeUpdate();
        }
    }

    /**
     * Checks a new password of an account against the {@link PasswordRules} without storing anything, so a caller can
     * tell a refused password apart from other refusals.
     *
     * @throws IllegalArgumentException when the password breaks a rule, saying which
     */
    public void checkPassword(String username, char[] password) {
        rules.check(requireNonNull(username, "username is null"), requireNonNull(password, "password is null"));
    }

    /**
     * Sets a new password for a local account, checked against the {@link PasswordRules}.
     *
     * @return false when there is no local account of that name (none, or one whose password an identity provider keeps)
     * @throws IllegalArgumentException when the password breaks a rule
     */
    public boolean changePassword(String username, char[] password) {
        rules.check(username, password);
        String hash = hasher.hash(password);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement update = connection.prepareStatement(
                     "UPDATE admin_user SET password_hash = ? WHERE username = ? AND provider = 'local'")) {
            update.setString(1, hash);
            update.setString(2, username);
            return update.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StorageException("Cannot change the password of " + username, e);
        }
    }

    /** @return the custom roles when the id is not a built-in's, so reading a built-in holder costs no query */
    private Map<String, CustomRole> customRolesIfNeeded(String roleId) {
        return Arrays.stream(AdminRole.values()).anyMatch(role -> role.id().equals(roleId)) ? Map.of() : roles.customRoles();
    }

    /** A hash of a random password at the same cost, compared against when the username is unknown. */
    private String timingDecoy() {
        String decoy = timingDecoy;
        if (decoy == null) {
            decoy = hasher.hash(UUID.randomUUID().toString().toCharArray());
            timingDecoy = decoy;
        }
        return decoy;
    }
}
