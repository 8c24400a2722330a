package dev.shepherd.storage;

import dev.shepherd.api.device.DeviceId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A durable queue of devices with work pending (policy reconciliation, compliance evaluation): devices are queued
 * inside the transaction of the change that needs the work, at most once each, and drained in the background, so
 * a crash between the change and the work loses nothing. The table has columns {@code device_id} (primary key),
 * {@code queued_at} and {@code generation}.
 *
 * <p>A worker takes its device off the queue at the end of its transaction ({@link #dequeue}), and only if nobody
 * queued the device again meanwhile (the generation it read is unchanged): the queue row is then locked only for a
 * moment, so a change queuing a device (an inventory report on a device's request thread, say) never waits for a long
 * evaluation, and a device queued during its own evaluation is evaluated again.
 */
public final class DeviceWorkQueue {

    private static final Pattern TABLE = Pattern.compile("[a-z_]+");
    private static final int BATCH = 200;

    private final String table;
    private final Transactions transactions;
    private final Clock clock;
    /** The generation each device had when the draining worker read it. */
    private final java.util.Map<DeviceId, Long> draining = new java.util.concurrent.ConcurrentHashMap<>();

    public DeviceWorkQueue(String table, Transactions transactions, Clock clock) {
        if (!TABLE.matcher(requireNonNull(table, "table is null")).matches()) {
            throw new IllegalArgumentException("not a table name: " + table);
        }
        this.table = table;
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Queues one device, unless it is queued already. */
    public void enqueue(Tx tx, DeviceId device) throws SQLException {
        try (PreparedStatement bump = tx.connection().prepareStatement("UPDATE " + table + " SET generation = generation + 1 WHERE device_id = ?")) {
            bump.setString(1, device.toString());
            if (bump.executeUpdate() > 0) {
                return;
            }
        }
        // A one-row VALUES list selects from nothing on both engines; the casts type the parameters for PostgreSQL.
        try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO " + table + " (device_id, queued_at)"
                + " SELECT CAST(? AS CHAR(36)), CAST(? AS TIMESTAMP) FROM (VALUES (1)) AS one (x)"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE device_id = ?)")) {
            insert.setString(1, device.toString());
            insert.setTimestamp(2, Timestamp.from(clock.instant()));
            insert.setString(3, device.toString());
            insert.executeUpdate();
        }
    }

    /**
     * Queues every device a query selects, unless queued already.
     *
     * @param selectDeviceIds a query whose single column is device ids, aliased {@code device_id}
     * @param parameters its parameters
     * @return how many were queued
     */
    public int enqueueAll(Tx tx, String selectDeviceIds, List<Object> parameters) throws SQLException {
        try (PreparedStatement bump = tx.connection().prepareStatement("UPDATE " + table + " SET generation = generation + 1"
                + " WHERE device_id IN (SELECT s.device_id FROM (" + selectDeviceIds + ") s)")) {
            for (int i = 0; i < parameters.size(); i++) {
                bump.setObject(i + 1, parameters.get(i));
            }
            bump.executeUpdate();
        }
        try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO " + table + " (device_id, queued_at)"
                + " SELECT DISTINCT s.device_id, CAST(? AS TIMESTAMP) FROM (" + selectDeviceIds + ") s"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " q WHERE q.device_id = s.device_id)")) {
            insert.setTimestamp(1, Timestamp.from(clock.instant()));
            for (int i = 0; i < parameters.size(); i++) {
                insert.setObject(i + 2, parameters.get(i));
            }
            return insert.executeUpdate();
        }
    }

    /**
     * Takes a device off the queue, as the last step of the transaction that did its work; while the queue is being
     * drained, only if the device was not queued again since the worker read it.
     */
    public void dequeue(Tx tx, DeviceId device) throws SQLException {
        Long generation = draining.get(device);
        try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM " + table + " WHERE device_id = ?"
                + (generation == null ? "" : " AND generation = ?"))) {
            delete.setString(1, device.toString());
            if (generation != null) {
                delete.setLong(2, generation);
            }
            delete.executeUpdate();
        }
    }

    /**
     * Works through the queue, oldest first, until it is empty; the worker dequeues each device in its own transaction.
     *
     * @return how many devices were worked on
     */
    public int drain(Consumer<DeviceId> worker) {
        int done = 0;
        java.util.Set<DeviceId> worked = new java.util.HashSet<>();
        while (true) {
            java.util.Map<DeviceId, Long> batch = new java.util.LinkedHashMap<>();
            try (Connection connection = transactions.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement(
                         "SELECT device_id, generation FROM " + table + " ORDER BY queued_at FETCH FIRST " + BATCH + " ROWS ONLY");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    batch.put(DeviceId.parse(rows.getString(1).trim()), rows.getLong(2));
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read the queue " + table, e);
            }
            // Devices queued again while this drain worked on them wait for the next drain, so a device changing
            // all the time cannot keep one drain going for ever.
            batch.keySet().removeAll(worked);
            if (batch.isEmpty()) {
                return done;
            }
            for (java.util.Map.Entry<DeviceId, Long> device : batch.entrySet()) {
                draining.put(device.getKey(), device.getValue());
                try {
                    worker.accept(device.getKey());
                } finally {
                    draining.remove(device.getKey());
                }
                worked.add(device.getKey());
                done++;
            }
        }
    }
}
