package dev.shepherd.directory;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.security.PasswordHasher;
import dev.shepherd.security.PasswordRules;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Passwords of the built-in ({@code local}) directory's people, with which they sign in to the self-service portal.
 * An admin sets or resets one; it is checked against the same rules as admin passwords and kept only as a bcrypt
 * hash, which is never read back out of this class. People of identity-provider directories have no password here:
 * their provider checks it ({@link DirectorySignIn}).
 */
public final class DirectoryPasswords {

    private final Transactions transactions;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final PasswordRules rules;
    /** Checked against when the user is unknown, so a wrong username costs as long as a wrong password. */
    private final String decoy;

    public DirectoryPasswords(Transactions transactions, AuditLog audit, PasswordHasher hasher, PasswordRules rules) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.hasher = requireNonNull(hasher, "hasher is null");
        this.rules = requireNonNull(rules, "rules is null");
        this.decoy = hasher.hash("decoy-password-never-used".toCharArray());
    }

    /**
     * Sets a local user's password, audited ({@code user.password_set}) without it, and ends their portal sessions.
     *
     * @return false when there is no such user
     * @throws IllegalArgumentException when the user is not in the local directory, or the password breaks the rules
     */
    public boolean set(Actor actor, String userId, char[] password) {
        requireNonNull(actor, "actor is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(password, "password is null");
        return transactions.inTransaction("set a user's password", tx -> {
            Optional<Account> account = account(tx.connection(), "id = ?", userId);
            if (account.isEmpty()) {
                return false;
            }
            if (!account.get().provider().equals(DirectoryService.LOCAL)) {
                throw new IllegalArgumentException("this user comes from the identity provider '" + account.get().provider()
                        + "', which checks their password; only users of the local directory have one here");
            }
            rules.check(account.get().username(), password);
            try (PreparedStatement update = tx.connection().prepareStatement("UPDATE directory_user SET password_hash = ? WHERE id = ?")) {
                update.setString(1, hasher.hash(password));
                update.setString(2, userId);
                update.executeUpdate();
            }
            // a reset is what an admin does when the password leaked: the portal sessions opened with it end too
            try (PreparedStatement signOut = tx.connection().prepareStatement("DELETE FROM portal_session WHERE user_id = ?")) {
                signOut.setString(1, userId);
                signOut.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "user.password_set", "user", userId, Optional.empty(), Optional.empty()));
            return true;
        });
    }

    /**
     * Checks a local user's password.
     *
     * @return the user, when they exist in the local directory, have a password and it matches
     */
    public Optional<String> verify(String username, char[] password) {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        Optional<Account> account;
        try (Connection connection = transactions.dataSource().getConnection()) {
            account = account(connection, "provider = '" + DirectoryService.LOCAL + "' AND username = ?", username);
        } catch (SQLException e) {
            throw new StorageException("Cannot read the directory", e);
        }
        String hash = account.flatMap(Account::passwordHash).orElse(decoy);
        boolean matches = hasher.matches(hash, password);
        return matches && account.flatMap(Account::passwordHash).isPresent() ? account.map(Account::id) : Optional.empty();
    }

    private record Account(String id, String provider, String username, Optional<String> passwordHash) {
    }

    private static Optional<Account> account(Connection connection, String where, String value) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id, provider, username, password_hash FROM directory_user WHERE " + where)) {
            select.setString(1, value);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(new Account(rows.getString(1).trim(), rows.getString(2), rows.getString(3),
                        Optional.ofNullable(rows.getString(4)))) : Optional.empty();
            }
        }
    }
}
