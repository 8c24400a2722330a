package dev.shepherd.setup;

import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the setup checklist keeps (table {@code setup_state}: the dismissal, the Windows discovery domain) and the
 * counts it reads from the kernel's tables.
 */
final class SetupStore {

    private final Transactions transactions;

    SetupStore(Transactions transactions) {
        this.transactions = requireNonNull(transactions, "transactions is null");
    }

    Optional<String> get(String name) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT value FROM setup_state WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the setup state " + name, e);
        }
    }

    /** Sets a value inside the caller's transaction (with the audit entry that records it). */
    void put(Connection connection, String name, String value, String by, Instant at) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE setup_state SET value = ?, updated_by = ?, updated_at = ? WHERE name = ?")) {
            update.setString(1, value);
            update.setString(2, by);
            update.setTimestamp(3, Timestamp.from(at));
            update.setString(4, name);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO setup_state (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, name);
            insert.setString(2, value);
            insert.setString(3, by);
            insert.setTimestamp(4, Timestamp.from(at));
            insert.executeUpdate();
        }
    }

    /** @return whether the table has at least one row: "has an enrollment link ever been made", without counting them all */
    boolean any(String table) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT 1 FROM " + table + " FETCH FIRST 1 ROWS ONLY");
             ResultSet rows = select.executeQuery()) {
            return rows.next();
        } catch (SQLException e) {
            throw new StorageException("Cannot read " + table, e);
        }
    }
}
