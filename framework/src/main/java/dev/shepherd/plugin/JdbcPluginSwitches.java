package dev.shepherd.plugin;

import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/** Plugin on/off switches in the kernel store, so a disabled plugin stays disabled across restarts. */
public final class JdbcPluginSwitches implements PluginHost.PluginSwitches {

    private final Transactions transactions;

    public JdbcPluginSwitches(Transactions transactions) {
        this.transactions = requireNonNull(transactions, "transactions is null");
    }

    @Override
    public boolean isDisabled(String pluginId) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT enabled FROM plugin_switch WHERE plugin_id = ?")) {
            select.setString(1, pluginId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() && rows.getShort(1) == 0;
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the switch of plugin " + pluginId, e);
        }
    }

    @Override
    public Set<String> disabledIds() {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT plugin_id FROM plugin_switch WHERE enabled = 0");
             ResultSet rows = select.executeQuery()) {
            Set<String> ids = new HashSet<>();
            while (rows.next()) {
                ids.add(rows.getString(1).trim());
            }
            return ids;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the plugin switches", e);
        }
    }

    @Override
    public void set(String pluginId, boolean enabled, String changedBy) {
        transactions.inTransaction("switch a plugin", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM plugin_switch WHERE plugin_id = ?");
                 PreparedStatement insert = tx.connection().prepareStatement(
                         "INSERT INTO plugin_switch (plugin_id, enabled, changed_by, changed_at) VALUES (?, ?, ?, ?)")) {
                delete.setString(1, pluginId);
                delete.executeUpdate();
                insert.setString(1, pluginId);
                insert.setShort(2, (short) (enabled ? 1 : 0));
                insert.setString(3, changedBy);
                insert.setTimestamp(4, Timestamp.from(Instant.now()));
                insert.executeUpdate();
            }
            return null;
        });
    }
}
