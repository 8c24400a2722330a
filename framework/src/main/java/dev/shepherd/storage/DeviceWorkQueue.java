package dev.shepherd.storage;

import dev.shepherd.api.device.DeviceId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A durable queue of devices with work pending (policy reconciliation, compliance evaluation): devices are queued
 * inside the transaction of the change that needs the work, at most once each, and drained in the background, so
 * a crash between the change and the work loses nothing. The table has columns {@code device_id} (primary key) and
 * {@code queued_at}.
 */
public final class DeviceWorkQueue {

    private static final Pattern TABLE = Pattern.compile("[a-z_]+");
    private static final int BATCH = 200;

    private final String table;
    private final Transactions transactions;
    private final Clock clock;

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
        try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO " + table + " (device_id, queued_at)"
                + " SELECT ?, ? FROM SYSIBM.SYSDUMMY1 WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE device_id = ?)")) {
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
        try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO " + table + " (device_id, queued_at)"
                + " SELECT DISTINCT s.device_id, ? FROM (" + selectDeviceIds + ") s"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " q WHERE q.device_id = s.device_id)")) {
            insert.setTimestamp(1, Timestamp.from(clock.instant()));
            for (int i = 0; i < parameters.size(); i++) {
                insert.setObject(i + 2, parameters.get(i));
            }
            return insert.executeUpdate();
        }
    }

    /** Takes a device off the queue, inside the transaction that does its work. */
    public void dequeue(Tx tx, DeviceId device) throws SQLException {
        try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM " + table + " WHERE device_id = ?")) {
            delete.setString(1, device.toString());
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
        while (true) {
            List<DeviceId> batch = new ArrayList<>();
            try (Connection connection = transactions.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement(
                         "SELECT device_id FROM " + table + " ORDER BY queued_at FETCH FIRST " + BATCH + " ROWS ONLY");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    batch.add(DeviceId.parse(rows.getString(1).trim()));
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read the queue " + table, e);
            }
            if (batch.isEmpty()) {
                return done;
            }
            for (DeviceId device : batch) {
                worker.accept(device);
                done++;
            }
        }
    }
}
