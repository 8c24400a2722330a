package dev.shepherd.storage;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/** {@link PluginKeyValueStore} over portable SQL, so it runs on Derby and PostgreSQL alike. */
public final class JdbcPluginKeyValueStore implements PluginKeyValueStore {

    private final DataSource dataSource;

    public JdbcPluginKeyValueStore(DataSource dataSource) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
    }

    @Override
    public Optional<byte[]> get(String pluginId, String key) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT entry_value FROM plugin_kv WHERE plugin_id = ? AND entry_key = ?")) {
            select.setString(1, pluginId);
            select.setString(2, key);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read plugin entry " + pluginId + "/" + key, e);
        }
    }

    @Override
    public Set<String> present(String pluginId, Collection<String> keys) {
        List<String> asked = List.copyOf(new LinkedHashSet<>(keys));
        if (asked.isEmpty()) {
            return Set.of();
        }
        try (Connection connection = dataSource.getConnection();
             // One primary-key probe per key: with "entry_key IN (...)" Derby's optimiser scans the whole table, which
             // cost a third of the server's CPU in the device-loop benchmark and grows with the fleet.
             PreparedStatement select = connection.prepareStatement(String.join(" UNION ALL ",
                     Collections.nCopies(asked.size(), "SELECT entry_key FROM plugin_kv WHERE plugin_id = ? AND entry_key = ?")))) {
            for (int i = 0; i < asked.size(); i++) {
                select.setString(2 * i + 1, pluginId);
                select.setString(2 * i + 2, asked.get(i));
            }
            Set<String> present = new LinkedHashSet<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    present.add(rows.getString(1));
                }
            }
            return present;
        } catch (SQLException e) {
            throw new StorageException("Cannot read plugin entries of " + pluginId, e);
        }
    }

    @Override
    public boolean putIfAbsent(String pluginId, String key, byte[] value) {
        requireNonNull(value, "value is null");
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO plugin_kv (plugin_id, entry_key, entry_value, updated_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, pluginId);
            insert.setString(2, key);
            insert.setBytes(3, value);
            insert.setTimestamp(4, Timestamp.from(Instant.now()));
            insert.executeUpdate();
            return true;
        } catch (SQLException e) {
            // The primary key decides between racing writers: the first insert wins, the others violate it.
            if (Dialect.isConstraintViolation(e)) {
                return false;
            }
            throw new StorageException("Cannot write plugin entry " + pluginId + "/" + key, e);
        }
    }

    @Override
    public void put(String pluginId, String key, byte[] value) {
        requireNonNull(value, "value is null");
        Timestamp now = Timestamp.from(Instant.now());
        try (Connection connection = dataSource.getConnection()) {
            // Update first, insert when absent; a concurrent insert of the same key turns into an update.
            for (int attempt = 0; attempt < 3; attempt++) {
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE plugin_kv SET entry_value = ?, updated_at = ? WHERE plugin_id = ? AND entry_key = ?")) {
                    update.setBytes(1, value);
                    update.setTimestamp(2, now);
                    update.setString(3, pluginId);
                    update.setString(4, key);
                    if (update.executeUpdate() == 1) {
                        return;
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO plugin_kv (plugin_id, entry_key, entry_value, updated_at) VALUES (?, ?, ?, ?)")) {
                    insert.setString(1, pluginId);
                    insert.setString(2, key);
                    insert.setBytes(3, value);
                    insert.setTimestamp(4, now);
                    insert.executeUpdate();
                    return;
                } catch (SQLException raced) {
                    if (!Dialect.isConstraintViolation(raced)) {
                        throw raced;
                    }
                    // another writer inserted the key between our update and insert: update again
                }
            }
            throw new StorageException("Cannot write plugin entry " + pluginId + "/" + key + ": contended", null);
        } catch (SQLException e) {
            throw new StorageException("Cannot write plugin entry " + pluginId + "/" + key, e);
        }
    }

    @Override
    public boolean delete(String pluginId, String key) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement(
                     "DELETE FROM plugin_kv WHERE plugin_id = ? AND entry_key = ?")) {
            delete.setString(1, pluginId);
            delete.setString(2, key);
            return delete.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new StorageException("Cannot delete plugin entry " + pluginId + "/" + key, e);
        }
    }

    @Override
    public List<String> keys(String pluginId, String prefix) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT entry_key FROM plugin_kv WHERE plugin_id = ? AND entry_key LIKE ? ESCAPE '!' ORDER BY entry_key")) {
            select.setString(1, pluginId);
            select.setString(2, escapeLike(prefix) + "%");
            List<String> keys = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.add(rows.getString(1));
                }
            }
            return keys;
        } catch (SQLException e) {
            throw new StorageException("Cannot list plugin entries of " + pluginId, e);
        }
    }

    private static String escapeLike(String text) {
        return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }
}
