package dev.shepherd.storage;

import dev.shepherd.api.device.DeviceId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
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

    private static final Logger log = LoggerFactory.getLogger(DeviceWorkQueue.class);
    private static final Pattern TABLE = Pattern.compile("[a-z_]+");
    private static final int BATCH = 200;
    /** A drain that stops only when the queue is empty. */
    public static final Duration UNTIL_EMPTY = Duration.ofNanos(Long.MAX_VALUE);

    private final String table;
    private final Transactions transactions;
    private final Clock clock;
    /** The generation each device had when the draining worker read it. */
    private final Map<DeviceId, Long> draining = new ConcurrentHashMap<>();
    /** Devices whose work failed and has not succeeded since, so a failure is logged as a warning once. */
    private final Set<DeviceId> failing = ConcurrentHashMap.newKeySet();

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
     * A device whose work fails is left queued behind the others ({@link #drain(String, int, BatchWorker)}).
     *
     * @return how many devices were worked on
     */
    public int drain(Consumer<DeviceId> worker) {
        return drain(worker, UNTIL_EMPTY);
    }

    /**
     * As {@link #drain(Consumer)}, but starts no further device once {@code slice} has passed (the first device always
     * runs), leaving the rest queued for the next drain. Periodic jobs sharing one thread drain with a slice, so a
     * queue of 100,000 devices (a policy assigned to the whole fleet, a compliance sweep) takes turns with the other
     * jobs instead of holding them back until it is empty.
     *
     * @return how many devices were worked on
     */
    public int drain(Consumer<DeviceId> worker, Duration slice) {
        requireNonNull(worker, "worker is null");
        Slice time = new Slice(slice);
        return drainPages(time, page -> {
            int done = 0;
            for (Map.Entry<DeviceId, Long> device : page.entrySet()) {
                if (!time.startsAnother()) {
                    break;
                }
                draining.put(device.getKey(), device.getValue());
                try {
                    worker.accept(device.getKey());
                    succeeded(device.getKey());
                    done++;
                } catch (RuntimeException e) {
                    deferFailed(device.getKey(), e);
                } finally {
                    draining.remove(device.getKey());
                }
            }
            return done;
        });
    }

    /** Works on several queued devices in the caller's transaction, which the queue opens, commits and dequeues them in. */
    @FunctionalInterface
    public interface BatchWorker {
        /**
         * @param tx the transaction; the queue takes the devices off the queue at its end
         * @param devices the devices, oldest queued first
         */
        void work(Tx tx, List<DeviceId> devices) throws SQLException;
    }

    /**
     * Works through the queue, oldest first, until it is empty, several devices per transaction: the worker's writes
     * and the devices' dequeuing ({@link #dequeue}, with its generation rule for each device) commit together. When a
     * transaction of several devices fails, its devices are worked on again one per transaction, so one bad device
     * never holds back the others; a device whose own transaction fails is logged (once, until it succeeds again) and
     * left queued behind every other device, to be tried again by the next drain.
     *
     * @param what what the work is, in words, for the transaction's name and the log
     * @param devicesPerTransaction at most this many devices in one transaction
     * @return how many devices were worked on
     */
    public int drain(String what, int devicesPerTransaction, BatchWorker worker) {
        return drain(what, devicesPerTransaction, worker, UNTIL_EMPTY);
    }

    /**
     * As {@link #drain(String, int, BatchWorker)}, but starts no further transaction once {@code slice} has passed
     * (the first always runs), leaving the rest queued for the next drain; see {@link #drain(Consumer, Duration)}.
     *
     * @return how many devices were worked on
     */
    public int drain(String what, int devicesPerTransaction, BatchWorker worker, Duration slice) {
        requireNonNull(what, "what is null");
        requireNonNull(worker, "worker is null");
        if (devicesPerTransaction < 1) {
            throw new IllegalArgumentException("devicesPerTransaction must be at least 1");
        }
        Slice time = new Slice(slice);
        return drainPages(time, page -> {
            List<Map.Entry<DeviceId, Long>> devices = new ArrayList<>(page.entrySet());
            int done = 0;
            for (int from = 0; from < devices.size() && time.startsAnother(); from += devicesPerTransaction) {
                List<Map.Entry<DeviceId, Long>> chunk = devices.subList(from, Math.min(devices.size(), from + devicesPerTransaction));
                if (workTogether(what, chunk, worker)) {
                    done += chunk.size();
                    continue;
                }
                for (Map.Entry<DeviceId, Long> device : chunk) {
                    if (workTogether(what, List.of(device), worker)) {
                        done++;
                    }
                }
            }
            return done;
        });
    }

    /** Works on devices in one transaction; false when it failed (a single device's failure is logged and deferred). */
    private boolean workTogether(String what, List<Map.Entry<DeviceId, Long>> chunk, BatchWorker worker) {
        List<DeviceId> ids = chunk.stream().map(Map.Entry::getKey).toList();
        chunk.forEach(device -> draining.put(device.getKey(), device.getValue()));
        try {
            transactions.inTransaction(what, tx -> {
                worker.work(tx, ids);
                // Last, so the queue rows are locked only for a moment.
                for (DeviceId device : ids) {
                    dequeue(tx, device);
                }
                return null;
            });
            ids.forEach(this::succeeded);
            return true;
        } catch (RuntimeException e) {
            if (ids.size() == 1) {
                deferFailed(ids.get(0), e);
            } else {
                log.debug("{} for {} devices at once failed; each goes again on its own: {}", what, ids.size(), e.toString());
            }
            return false;
        } finally {
            ids.forEach(draining::remove);
        }
    }

    /**
     * Reads the queue a page at a time, oldest first, handing each page to the worker until a page holds nothing this
     * drain has not seen.
     */
    private int drainPages(Slice time, Function<Map<DeviceId, Long>, Integer> pageWorker) {
        int done = 0;
        Set<DeviceId> seen = new HashSet<>();
        while (!time.over()) {
            Map<DeviceId, Long> page = new LinkedHashMap<>();
            try (Connection connection = transactions.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement(
                         "SELECT device_id, generation FROM " + table + " ORDER BY queued_at FETCH FIRST " + BATCH + " ROWS ONLY");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    page.put(DeviceId.parse(rows.getString(1).trim()), rows.getLong(2));
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read the queue " + table, e);
            }
            // Devices queued again while this drain worked on them wait for the next drain, so a device changing
            // all the time cannot keep one drain going for ever; nor can a device whose work keeps failing.
            page.keySet().removeAll(seen);
            if (page.isEmpty()) {
                return done;
            }
            seen.addAll(page.keySet());
            done += pageWorker.apply(page);
        }
        return done;
    }

    /** The time one drain may take, from its start; its first unit of work always runs. */
    private static final class Slice {

        private final long startedAt = System.nanoTime();
        private final long nanos;
        private boolean started;

        Slice(Duration slice) {
            this.nanos = requireNonNull(slice, "slice is null").isNegative() ? 0 : slice.toNanos();
        }

        /** Whether the next unit of work may start; counts it as started. */
        boolean startsAnother() {
            if (!started) {
                started = true;
                return true;
            }
            return !over();
        }

        boolean over() {
            return started && System.nanoTime() - startedAt >= nanos;
        }
    }

    private void succeeded(DeviceId device) {
        if (failing.remove(device)) {
            log.info("The work of {} on device {} succeeded again", table, device);
        }
    }

    /**
     * Leaves a device whose work failed queued, but behind every device queued before now, so it cannot block the
     * queue, which is read oldest first; the next drain tries it again.
     */
    private void deferFailed(DeviceId device, RuntimeException failure) {
        if (failing.add(device)) {
            log.warn("The work of {} on device {} failed; it stays queued behind the others and is tried again later", table,
                    device, failure);
        } else {
            log.debug("The work of {} on device {} failed again: {}", table, device, failure.toString());
        }
        transactions.inTransaction("move a failing device to the back of " + table, tx -> {
            try (PreparedStatement defer = tx.connection().prepareStatement("UPDATE " + table + " SET queued_at = ? WHERE device_id = ?")) {
                defer.setTimestamp(1, Timestamp.from(clock.instant()));
                defer.setString(2, device.toString());
                defer.executeUpdate();
            }
            return null;
        });
    }
}
