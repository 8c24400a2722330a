package dev.shepherd.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.event.Event;
import dev.shepherd.json.Json;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.util.Objects.requireNonNull;

/**
 * The durable event log. An event is written in the transaction of the change that raised it (its row just before
 * the commit, with the transaction's other events) and handed to the in-memory bus only after that transaction
 * commits, so no subscriber ever hears of a change that was rolled back, and no committed change goes unrecorded.
 * Transactional hooks (webhook deliveries) join the same transaction.
 */
public final class EventLog implements EventSink {

    /** Joins the transaction that records an event, for work that must be kept or lost together with it. */
    @FunctionalInterface
    public interface TransactionalHook {
        void recorded(Tx tx, Event event) throws SQLException;
    }

    /**
     * A stored event with its position.
     *
     * @param seq position in the log
     * @param event the event
     */
    public record Logged(long seq, Event event) {
    }

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final Transactions transactions;
    private final Json json;
    private final KernelEventBus bus;
    private final List<TransactionalHook> hooks = new CopyOnWriteArrayList<>();

    public EventLog(Transactions transactions, Json json, KernelEventBus bus) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.json = requireNonNull(json, "json is null");
        this.bus = requireNonNull(bus, "bus is null");
    }

    public void addTransactionalHook(TransactionalHook hook) {
        hooks.add(requireNonNull(hook, "hook is null"));
    }

    /**
     * Records an event in the caller's transaction; subscribers hear of it once the transaction commits.
     *
     * @param tx the transaction of the change that raised the event
     * @param event the event
     */
    public void record(Tx tx, Event event) throws SQLException {
        recordAll(tx, List.of(requireNonNull(event, "event is null")));
    }

    /**
     * Records several events in the caller's transaction, in their order; the transactional hooks join it at once, and
     * subscribers hear of the events, in order, once it commits.
     *
     * <p>The rows are written just before the commit, with those of every other event of the transaction in one batched
     * insert in the order they were recorded: a device's answer and the command handed out with it cost one round trip
     * to {@code event_log}, not one per event, and the log's last page is held for the shortest time. Nothing in the
     * kernel reads the log inside the transaction that writes it. The data is turned into JSON here, so data that is not
     * JSON-like is refused to the caller.
     *
     * @param tx the transaction of the change that raised the events
     * @param events the events
     * @throws IllegalArgumentException when an event's data is not made of JSON-like values
     */
    public void recordAll(Tx tx, List<Event> events) throws SQLException {
        requireNonNull(tx, "tx is null");
        requireNonNull(events, "events is null");
        if (events.isEmpty()) {
            return;
        }
        List<Row> rows = new ArrayList<>(events.size());
        for (Event event : events) {
            rows.add(new Row(event, toJson(event.data()), deviceOf(event).map(DeviceId::toString).orElse(null)));
        }
        Pending pending = tx.kept(this, Pending::new);
        if (pending.rows.isEmpty()) {
            tx.beforeCommit(() -> write(tx, pending.drain()));
        }
        pending.rows.addAll(rows);
        for (Event event : events) {
            for (TransactionalHook hook : hooks) {
                hook.recorded(tx, event);
            }
        }
        List<Event> recorded = List.copyOf(events);
        tx.afterCommit(() -> recorded.forEach(bus::publish));
    }

    /** An event as its row will be written. */
    private record Row(Event event, String data, String deviceId) {
    }

    /** The rows of a transaction's events not written yet, in the order they were recorded. */
    private static final class Pending {
        private final List<Row> rows = new ArrayList<>();

        /** The rows so far, leaving none: an event recorded after them (by another before-commit action) gets a write of its own. */
        List<Row> drain() {
            List<Row> drained = List.copyOf(rows);
            rows.clear();
            return drained;
        }
    }

    private static void write(Tx tx, List<Row> rows) throws SQLException {
        try (PreparedStatement insert = tx.connection().prepareStatement(
                "INSERT INTO event_log (id, event_type, occurred_at, source, data, device_id) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (Row row : rows) {
                Event event = row.event();
                insert.setString(1, event.id().toString());
                insert.setString(2, event.type());
                insert.setTimestamp(3, Timestamp.from(event.occurredAt()));
                insert.setString(4, event.source());
                insert.setString(5, row.data());
                insert.setString(6, row.deviceId());
                if (rows.size() == 1) {
                    insert.executeUpdate();
                } else {
                    insert.addBatch();
                }
            }
            if (rows.size() > 1) {
                insert.executeBatch();
            }
        }
    }

    /** Records an event in a transaction of its own, for events not tied to a change in the store. */
    @Override
    public void publish(Event event) {
        transactions.inTransaction("record event " + event.type(), tx -> {
            record(tx, event);
            return null;
        });
    }

    /**
     * Reads events in order.
     *
     * @param typePrefix only events whose type starts with this
     * @param afterSeq the cursor: only events after this position
     * @param limit the most to return
     */
    public List<Logged> read(Optional<String> typePrefix, long afterSeq, int limit) {
        return read(typePrefix.map(List::of).orElse(List.of()), afterSeq, limit, false);
    }

    /**
     * Reads events oldest or newest first.
     *
     * @param typePrefixes only events whose type starts with one of these; all events when empty
     * @param cursor oldest first: only events after this position; newest first: only events before it (0 for none)
     * @param limit the most to return
     * @param newestFirst the order
     */
    public List<Logged> read(List<String> typePrefixes, long cursor, int limit, boolean newestFirst) {
        StringBuilder sql = new StringBuilder("SELECT seq, id, event_type, occurred_at, source, data FROM event_log WHERE ");
        sql.append(newestFirst ? (cursor > 0 ? "seq < ?" : "seq > ?") : "seq > ?");
        if (!typePrefixes.isEmpty()) {
            sql.append(" AND (").append(String.join(" OR ", java.util.Collections.nCopies(typePrefixes.size(), "event_type LIKE ? ESCAPE '!'")))
                    .append(')');
        }
        sql.append(" ORDER BY seq").append(newestFirst ? " DESC" : "").append(" FETCH FIRST ").append(Math.max(1, Math.min(limit, 1000)))
                .append(" ROWS ONLY");
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql.toString())) {
            select.setLong(1, cursor);
            int index = 2;
            for (String prefix : typePrefixes) {
                select.setString(index++, prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
            }
            return logged(select);
        } catch (SQLException | JsonProcessingException e) {
            throw new StorageException("Cannot read the event log", e);
        }
    }

    /**
     * One device's events, newest first.
     *
     * @param device the device its events name in their {@code deviceId}
     * @param before only events before this position (0 for the newest)
     * @param limit the most to return
     */
    public List<Logged> readOfDevice(DeviceId device, long before, int limit) {
        requireNonNull(device, "device is null");
        String sql = "SELECT seq, id, event_type, occurred_at, source, data FROM event_log WHERE device_id = ?"
                + (before > 0 ? " AND seq < ?" : "") + " ORDER BY seq DESC FETCH FIRST " + Math.max(1, Math.min(limit, 1000)) + " ROWS ONLY";
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, device.toString());
            if (before > 0) {
                select.setLong(2, before);
            }
            return logged(select);
        } catch (SQLException | JsonProcessingException e) {
            throw new StorageException("Cannot read the events of " + device, e);
        }
    }

    private List<Logged> logged(PreparedStatement select) throws SQLException, JsonProcessingException {
        List<Logged> events = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                events.add(new Logged(rows.getLong(1), new Event(UUID.fromString(rows.getString(2).trim()), rows.getString(3),
                        rows.getTimestamp(4).toInstant(), rows.getString(5), json.mapper().readValue(rows.getString(6), MAP))));
            }
        }
        return events;
    }

    /** The device an event is about, by the {@code deviceId} its data carries, the convention of every device event. */
    private static Optional<DeviceId> deviceOf(Event event) {
        Object named = event.data().get("deviceId");
        if (named instanceof DeviceId id) {
            return Optional.of(id);
        }
        if (!(named instanceof String text)) {
            return Optional.empty();
        }
        try {
            return Optional.of(DeviceId.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private String toJson(Map<String, Object> data) {
        try {
            return json.mapper().writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data must be JSON-like values: " + e.getOriginalMessage(), e);
        }
    }
}
