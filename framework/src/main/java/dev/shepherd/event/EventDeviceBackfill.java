package dev.shepherd.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.json.Json;
import dev.shepherd.storage.KernelJobs;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Gives the events recorded before {@code event_log.device_id} existed (migration V58) the device their data names,
 * so a device's activity ({@link EventLog#readOfDevice}) shows its history from before the upgrade too. The column is
 * filled as {@link EventLog} fills it for new events: from the {@code deviceId} in the event's data.
 *
 * <p>Events after the log's last position when the work starts were written by this version, which sets the column
 * itself, so only the log up to that position is read, in chunks of {@value #CHUNK} rows, one transaction each. Once
 * through, a {@code kernel_job} row says so for the whole cluster, and no node reads the log again. A node that stops
 * half-way leaves the rest to the next start (or the next leader), which begins again from the oldest event and skips
 * the rows already filled. Run by one node at a time (the maintenance leader).
 */
public final class EventDeviceBackfill {

    private static final Logger log = LoggerFactory.getLogger(EventDeviceBackfill.class);
    /** The {@code kernel_job} row that says the backfill is done. */
    static final String JOB = "event_log.device_id backfill";
    static final int CHUNK = 1000;

    private final Transactions transactions;
    private final Json json;
    private final Clock clock;
    /** The last position read; events up to it have their device if they name one. */
    private long readThrough;
    /** The last position to read, once known: the log's end when this node started the work. */
    private long end = -1;
    private long filled;
    private boolean done;

    public EventDeviceBackfill(Transactions transactions, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Fills chunks until the log is done or {@code slice} has passed (the first chunk always runs).
     *
     * @return whether some of the log is left for another run
     */
    public boolean run(Duration slice) {
        requireNonNull(slice, "slice is null");
        long deadline = System.nanoTime() + slice.toNanos();
        do {
            if (!runOnce()) {
                return false;
            }
        } while (System.nanoTime() < deadline);
        return true;
    }

    /**
     * Fills one chunk.
     *
     * @return whether some of the log is left for another run
     */
    public synchronized boolean runOnce() {
        if (done) {
            return false;
        }
        boolean left = transactions.inTransaction("fill in the device of older events", tx -> {
            if (end < 0) {
                if (KernelJobs.done(tx, JOB)) {
                    done = true;
                    return false;
                }
                end = lastPosition(tx);
            }
            Chunk chunk = fillChunk(tx);
            tx.afterCommit(() -> {
                readThrough = chunk.through();
                filled += chunk.filled();
            });
            if (chunk.read() < CHUNK || chunk.through() >= end) {
                // Another node that ran the backfill meanwhile (a leader change) may have recorded it already.
                KernelJobs.markDone(tx, JOB, clock.instant());
                return false;
            }
            return true;
        });
        if (!left && !done) {
            done = true;
            if (filled > 0) {
                log.info("Older events now name their device: {} event(s) filled in", filled);
            }
        }
        return left;
    }

    /** What one chunk did: the rows read, the position read through, the events given their device. */
    private record Chunk(int read, long through, int filled) {
    }

    /** Reads the next chunk of events without a device and fills in those whose data names one. */
    private Chunk fillChunk(Tx tx) throws SQLException {
        int read = 0;
        int batched = 0;
        long last = readThrough;
        // In the log's order by its key: Derby could otherwise pick the device index for IS NULL and sort the old log.
        try (PreparedStatement select = tx.connection().prepareStatement("SELECT seq, data FROM event_log"
                + " --DERBY-PROPERTIES constraint=PK_EVENT_LOG\n"
                + " WHERE seq > ? AND seq <= ? AND device_id IS NULL ORDER BY seq FETCH FIRST " + CHUNK + " ROWS ONLY");
             PreparedStatement update = tx.connection().prepareStatement(
                     "UPDATE event_log SET device_id = ? WHERE seq = ? AND device_id IS NULL")) {
            select.setLong(1, readThrough);
            select.setLong(2, end);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    read++;
                    last = rows.getLong(1);
                    Optional<DeviceId> device = deviceNamedIn(rows.getString(2));
                    if (device.isPresent()) {
                        update.setString(1, device.get().toString());
                        update.setLong(2, last);
                        update.addBatch();
                        batched++;
                    }
                }
            }
            if (batched > 0) {
                update.executeBatch();
            }
        }
        return new Chunk(read, read < CHUNK ? end : last, batched);
    }

    /** The device an event's stored data names in {@code deviceId}, as {@link EventLog} reads it from new events. */
    private Optional<DeviceId> deviceNamedIn(String data) {
        try {
            JsonNode named = json.mapper().readTree(data).path("deviceId");
            return named.isTextual() ? Optional.of(DeviceId.parse(named.asText())) : Optional.empty();
        } catch (JsonProcessingException | IllegalArgumentException notADevice) {
            return Optional.empty();
        }
    }

    private static long lastPosition(Tx tx) throws SQLException {
        try (PreparedStatement select = tx.connection().prepareStatement("SELECT MAX(seq) FROM event_log");
             ResultSet rows = select.executeQuery()) {
            return rows.next() ? rows.getLong(1) : 0;
        }
    }
}
