package dev.shepherd.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.event.EventLog;
import dev.shepherd.json.Json;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The durable per-device command queue.
 *
 * <p>{@code QUEUED → SENT → ACKNOWLEDGED | FAILED | NOT_NOW}; {@code NOT_NOW} waits until the platform asks for
 * deferred commands again; {@code EXPIRED} and {@code CANCELLED} end commands that never completed. Delivery is
 * at least once: a command stays {@code SENT} until answered and is handed out again if the device asks for work
 * without answering it. Answers are idempotent by command id, and only the command's own device may answer.
 * A command is durable when {@code issue} returns.
 */
public final class CommandService {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final int INSERT_BATCH = 1000;
    private static final String COLUMNS = """
            c.id, c.device_id, c.command_type, COALESCE(c.parameters, b.parameters), c.priority, c.state, c.created_at,
            c.expires_at, c.batch_id, c.created_by, c.sent_at, c.completed_at, c.attempts, c.result, c.error_reason,
            c.updated_at""";
    private static final String FROM = " FROM command c LEFT JOIN command_batch b ON b.id = c.batch_id";

    /** Wakes a device so it fetches its commands; returns whether the push was accepted. */
    @FunctionalInterface
    public interface Waker {
        void wake(Collection<DeviceId> devices, Optional<String> batchId);
    }

    private final Transactions transactions;
    private final DeviceService devices;
    private final AuditLog audit;
    private final EventLog events;
    private final Json json;
    private final Clock clock;
    private final CommandIds ids;
    private volatile Waker waker = (ids, batch) -> { };

    public CommandService(Transactions transactions, DeviceService devices, AuditLog audit, EventLog events, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.ids = new CommandIds(clock);
    }

    public void setWaker(Waker waker) {
        this.waker = requireNonNull(waker, "waker is null");
    }

    /**
     * Queues a command for one device and wakes it.
     *
     * @throws CommandRefusedException when the device is unknown, not managed, or the command does not fit it
     */
    public CommandRecord issue(Actor actor, DeviceId deviceId, CommandRequest request) {
        DeviceRecord device = devices.get(deviceId).orElseThrow(() -> new CommandRefusedException("no device " + deviceId));
        checkApplicable(device, request.type());
        Instant now = clock.instant();
        UUID id = ids.next();
        CommandRecord issued = transactions.inTransaction("queue a command", tx -> {
            try (PreparedStatement insert = insertStatement(tx.connection())) {
                bindInsert(insert, id, deviceId, Optional.empty(), request, Optional.of(json.write(request.parameters())), actor, now);
                insert.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "command.issue", "device", deviceId.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("commandId", id.toString(), "type", request.type(),
                            "parameters", redacted(request.parameters()), "priority", request.priority())))));
            recordStateEvent(tx, id, deviceId, CommandState.QUEUED);
            return find(tx.connection(), id).orElseThrow();
        });
        waker.wake(List.of(deviceId), Optional.empty());
        return issued;
    }

    /**
     * Queues one command for many devices in one transaction, then wakes them through the platform plugins at the
     * push rate. Devices the command does not fit (retired, wiped, personal for a full wipe) are skipped.
     *
     * @param description what was targeted, in words, for the batch's progress view
     * @return the batch
     */
    public CommandBatch issueToMany(Actor actor, List<DeviceId> targets, CommandRequest request, String description) {
        requireNonNull(targets, "targets is null");
        String batchId = UUID.randomUUID().toString();
        Instant now = clock.instant();
        List<DeviceId> queued = new ArrayList<>();
        transactions.inTransaction("queue a command for many devices", tx -> {
            queued.clear();
            Connection connection = tx.connection();
            List<DeviceId> eligible = eligible(connection, targets, request.type());
            try (PreparedStatement batch = connection.prepareStatement("""
                    INSERT INTO command_batch (id, command_type, parameters, priority, description, total, pushed, created_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)""")) {
                batch.setString(1, batchId);
                batch.setString(2, request.type().name());
                batch.setString(3, json.write(request.parameters()));
                batch.setInt(4, request.priority());
                batch.setString(5, description.length() > 500 ? description.substring(0, 500) : description);
                batch.setInt(6, eligible.size());
                batch.setString(7, actor.toString());
                batch.setTimestamp(8, Timestamp.from(now));
                batch.executeUpdate();
            }
            try (PreparedStatement insert = insertStatement(connection)) {
                int pending = 0;
                for (DeviceId deviceId : eligible) {
                    bindInsert(insert, ids.next(), deviceId, Optional.of(batchId), request, Optional.empty(), actor, now);
                    insert.addBatch();
                    if (++pending == INSERT_BATCH) {
                        insert.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) {
                    insert.executeBatch();
                }
            }
            audit.append(tx, new AuditRecord(actor, "command.issue-batch", "command-batch", batchId, Optional.empty(),
                    Optional.of(json.write(Map.of("type", request.type(), "parameters", redacted(request.parameters()),
                            "description", description, "devices", eligible.size(), "skipped", targets.size() - eligible.size())))));
            events.record(tx, Event.of("command.batch_queued", "kernel", Map.of("batchId", batchId,
                    "type", request.type().name(), "devices", eligible.size())));
            queued.addAll(eligible);
            return null;
        });
        waker.wake(queued, Optional.of(batchId));
        return batch(batchId).orElseThrow();
    }

    /** Records that wake-ups for part of a batch were handed to the push service. */
    public void recordPushed(String batchId, int count) {
        transactions.inTransaction("record batch push progress", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("UPDATE command_batch SET pushed = pushed + ? WHERE id = ?")) {
                update.setInt(1, count);
                update.setString(2, batchId);
                update.executeUpdate();
            }
            return null;
        });
    }

    private List<DeviceId> eligible(Connection connection, List<DeviceId> targets, CommandType type) throws SQLException {
        // Read status and ownership in pages, so a fan-out to 100,000 devices is a few hundred queries, not 100,000.
        List<DeviceId> eligible = new ArrayList<>(targets.size());
        for (int from = 0; from < targets.size(); from += 500) {
            List<DeviceId> page = targets.subList(from, Math.min(targets.size(), from + 500));
            String placeholders = page.stream().map(id -> "?").collect(Collectors.joining(", "));
            Map<String, String[]> facts = new LinkedHashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, status, ownership FROM device WHERE id IN (" + placeholders + ")")) {
                for (int i = 0; i < page.size(); i++) {
                    select.setString(i + 1, page.get(i).toString());
                }
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        facts.put(rows.getString(1).trim(), new String[]{rows.getString(2), rows.getString(3)});
                    }
                }
            }
            for (DeviceId id : page) {
                String[] fact = facts.get(id.toString());
                if (fact != null && applicable(DeviceStatus.valueOf(fact[0]), Ownership.valueOf(fact[1]), type).isEmpty()) {
                    eligible.add(id);
                }
            }
        }
        return eligible;
    }

    private static void checkApplicable(DeviceRecord device, CommandType type) {
        applicable(device.device().status(), device.device().ownership(), type).ifPresent(reason -> {
            throw new CommandRefusedException(reason);
        });
    }

    /** Why a command cannot go to a device, or empty when it can. */
    static Optional<String> applicable(DeviceStatus status, Ownership ownership, CommandType type) {
        if (status == DeviceStatus.RETIRED || status == DeviceStatus.WIPED) {
            return Optional.of("the device is " + status.name().toLowerCase() + " and no longer managed");
        }
        if (type == CommandType.WIPE && ownership == Ownership.PERSONAL) {
            return Optional.of("a personal device cannot be fully wiped; use an enterprise wipe to remove corporate data");
        }
        return Optional.empty();
    }

    /**
     * Hands out a device's next commands, highest priority first then oldest, marking them sent. Commands sent
     * before but never answered are handed out again; deferred ({@code NOT_NOW}) ones wait for
     * {@link #requeueDeferred}.
     */
    public List<Command> take(DeviceId deviceId, int max) {
        if (max < 1) {
            return List.of();
        }
        Instant now = clock.instant();
        return transactions.inTransaction("hand out commands", tx -> {
            List<CommandRecord> next = new ArrayList<>();
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT " + COLUMNS + FROM
                    + " WHERE c.device_id = ? AND c.state IN ('QUEUED', 'SENT') AND (c.expires_at IS NULL OR c.expires_at > ?)"
                    + " ORDER BY c.priority DESC, c.seq FETCH FIRST " + max + " ROWS ONLY")) {
                select.setString(1, deviceId.toString());
                select.setTimestamp(2, Timestamp.from(now));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        next.add(recordOf(rows));
                    }
                }
            }
            List<Command> handed = new ArrayList<>();
            for (CommandRecord record : next) {
                try (PreparedStatement update = tx.connection().prepareStatement(
                        "UPDATE command SET state = 'SENT', sent_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('QUEUED', 'SENT')")) {
                    update.setTimestamp(1, Timestamp.from(now));
                    update.setTimestamp(2, Timestamp.from(now));
                    update.setString(3, record.command().id().toString());
                    if (update.executeUpdate() == 1) {
                        Command command = record.command();
                        handed.add(new Command(command.id(), command.deviceId(), command.type(), command.parameters(),
                                command.priority(), CommandState.SENT, command.createdAt(), command.expiresAt()));
                        if (command.state() != CommandState.SENT) {
                            recordStateEvent(tx, command.id(), deviceId, CommandState.SENT);
                        }
                    }
                }
            }
            return handed;
        });
    }

    /** Makes a device's deferred commands eligible again; platforms call it when the device says it is idle. */
    public int requeueDeferred(DeviceId deviceId) {
        return transactions.inTransaction("requeue deferred commands", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE command SET state = 'QUEUED', updated_at = ? WHERE device_id = ? AND state = 'NOT_NOW'")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, deviceId.toString());
                return update.executeUpdate();
            }
        });
    }

    /**
     * Records a device's answer. Repeated answers, and answers to commands already ended, change nothing.
     *
     * @throws IllegalArgumentException when the command is unknown or belongs to another device
     */
    public CommandRecord report(DeviceId deviceId, CommandResult result) {
        Instant now = clock.instant();
        return transactions.inTransaction("record a command result", tx -> {
            // Lock the row first, so two answers to one command are applied one after the other.
            try (PreparedStatement lock = tx.connection().prepareStatement("UPDATE command SET attempts = attempts WHERE id = ?")) {
                lock.setString(1, result.commandId().toString());
                lock.executeUpdate();
            }
            CommandRecord current = find(tx.connection(), result.commandId())
                    .filter(record -> record.command().deviceId().equals(deviceId))
                    .orElseThrow(() -> new IllegalArgumentException("device " + deviceId + " has no command " + result.commandId()));
            if (current.command().state().isFinal()) {
                return current;
            }
            boolean isFinal = result.state().isFinal();
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE command SET state = ?, result = ?, error_reason = ?, completed_at = ?, updated_at = ? WHERE id = ?""")) {
                update.setString(1, result.state().name());
                if (result.response().isEmpty()) {
                    update.setNull(2, Types.CLOB);
                } else {
                    update.setString(2, json.write(result.response()));
                }
                if (result.errorReason().isPresent()) {
                    String reason = result.errorReason().get();
                    update.setString(3, reason.length() > 2000 ? reason.substring(0, 2000) : reason);
                } else {
                    update.setNull(3, Types.VARCHAR);
                }
                if (isFinal) {
                    update.setTimestamp(4, Timestamp.from(now));
                } else {
                    update.setNull(4, Types.TIMESTAMP);
                }
                update.setTimestamp(5, Timestamp.from(now));
                update.setString(6, result.commandId().toString());
                update.executeUpdate();
            }
            recordStateEvent(tx, result.commandId(), deviceId, result.state());
            return find(tx.connection(), result.commandId()).orElseThrow();
        });
    }

    /**
     * Withdraws a command that has not completed.
     *
     * @return the command after, or empty when there is no such command
     * @throws CommandRefusedException when it has already ended
     */
    public Optional<CommandRecord> cancel(Actor actor, UUID commandId) {
        return transactions.inTransaction("cancel a command", tx -> {
            Optional<CommandRecord> current = find(tx.connection(), commandId);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            if (current.get().command().state().isFinal()) {
                throw new CommandRefusedException("the command is already " + current.get().command().state().name().toLowerCase());
            }
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE command SET state = 'CANCELLED', completed_at = ?, updated_at = ? WHERE id = ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')")) {
                Timestamp now = Timestamp.from(clock.instant());
                update.setTimestamp(1, now);
                update.setTimestamp(2, now);
                update.setString(3, commandId.toString());
                update.executeUpdate();
            }
            DeviceId deviceId = current.get().command().deviceId();
            audit.append(tx, new AuditRecord(actor, "command.cancel", "device", deviceId.toString(),
                    Optional.of(json.write(Map.of("commandId", commandId.toString(), "state", current.get().command().state()))),
                    Optional.of(json.write(Map.of("commandId", commandId.toString(), "state", CommandState.CANCELLED)))));
            recordStateEvent(tx, commandId, deviceId, CommandState.CANCELLED);
            return find(tx.connection(), commandId);
        });
    }

    /** Ends commands whose time to live has passed; called periodically. */
    public int expireDue() {
        Instant now = clock.instant();
        return transactions.inTransaction("expire commands", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE command SET state = 'EXPIRED', completed_at = ?, updated_at = ?
                    WHERE expires_at <= ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')""")) {
                update.setTimestamp(1, Timestamp.from(now));
                update.setTimestamp(2, Timestamp.from(now));
                update.setTimestamp(3, Timestamp.from(now));
                int expired = update.executeUpdate();
                if (expired > 0) {
                    events.record(tx, Event.of("command.expired", "kernel", Map.of("count", expired)));
                }
                return expired;
            }
        });
    }

    public Optional<CommandRecord> get(UUID id) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return find(connection, id);
        } catch (SQLException e) {
            throw new StorageException("Cannot read command " + id, e);
        }
    }

    /** A device's commands, newest first. */
    public List<CommandRecord> history(DeviceId deviceId, Optional<Long> beforeSeq, int limit) {
        String sql = "SELECT " + COLUMNS + ", c.seq" + FROM + " WHERE c.device_id = ?"
                + (beforeSeq.isPresent() ? " AND c.seq < ?" : "") + " ORDER BY c.seq DESC FETCH FIRST "
                + Math.max(1, Math.min(limit, 500)) + " ROWS ONLY";
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, deviceId.toString());
            if (beforeSeq.isPresent()) {
                select.setLong(2, beforeSeq.get());
            }
            List<CommandRecord> records = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    records.add(recordOf(rows));
                }
            }
            return records;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the command history of " + deviceId, e);
        }
    }

    public Optional<CommandBatch> batch(String batchId) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            CommandBatch batch = null;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, command_type, description, total, pushed, created_by, created_at FROM command_batch WHERE id = ?")) {
                select.setString(1, batchId);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        batch = new CommandBatch(rows.getString(1).trim(), CommandType.valueOf(rows.getString(2)), rows.getString(3),
                                rows.getInt(4), rows.getInt(5), Map.of(), rows.getString(6), rows.getTimestamp(7).toInstant());
                    }
                }
            }
            if (batch == null) {
                return Optional.empty();
            }
            Map<CommandState, Integer> states = new EnumMap<>(CommandState.class);
            try (PreparedStatement count = connection.prepareStatement(
                    "SELECT state, COUNT(*) FROM command WHERE batch_id = ? GROUP BY state")) {
                count.setString(1, batchId);
                try (ResultSet rows = count.executeQuery()) {
                    while (rows.next()) {
                        states.put(CommandState.valueOf(rows.getString(1)), rows.getInt(2));
                    }
                }
            }
            return Optional.of(new CommandBatch(batch.id(), batch.type(), batch.description(), batch.total(), batch.pushed(),
                    states, batch.createdBy(), batch.createdAt()));
        } catch (SQLException e) {
            throw new StorageException("Cannot read command batch " + batchId, e);
        }
    }

    private Optional<CommandRecord> find(Connection connection, UUID id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + FROM + " WHERE c.id = ?")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(recordOf(rows)) : Optional.empty();
            }
        }
    }

    private static PreparedStatement insertStatement(Connection connection) throws SQLException {
        return connection.prepareStatement("""
                INSERT INTO command (id, device_id, batch_id, command_type, parameters, priority, state, created_by, created_at,
                                     expires_at, attempts, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'QUEUED', ?, ?, ?, 0, ?)""");
    }

    private static void bindInsert(PreparedStatement insert, UUID id, DeviceId deviceId, Optional<String> batchId,
                                   CommandRequest request, Optional<String> parameters, Actor actor, Instant now) throws SQLException {
        insert.setString(1, id.toString());
        insert.setString(2, deviceId.toString());
        if (batchId.isPresent()) {
            insert.setString(3, batchId.get());
        } else {
            insert.setNull(3, Types.CHAR);
        }
        insert.setString(4, request.type().name());
        if (parameters.isPresent()) {
            insert.setString(5, parameters.get());
        } else {
            insert.setNull(5, Types.CLOB);
        }
        insert.setInt(6, request.priority());
        insert.setString(7, actor.toString());
        insert.setTimestamp(8, Timestamp.from(now));
        if (request.timeToLive().isPresent()) {
            insert.setTimestamp(9, Timestamp.from(now.plus(request.timeToLive().get())));
        } else {
            insert.setNull(9, Types.TIMESTAMP);
        }
        insert.setTimestamp(10, Timestamp.from(now));
    }

    private CommandRecord recordOf(ResultSet rows) throws SQLException {
        Command command = new Command(UUID.fromString(rows.getString(1).trim()), DeviceId.parse(rows.getString(2).trim()),
                CommandType.valueOf(rows.getString(3)), parse(rows.getString(4)), rows.getInt(5),
                CommandState.valueOf(rows.getString(6)), rows.getTimestamp(7).toInstant(),
                Optional.ofNullable(rows.getTimestamp(8)).map(Timestamp::toInstant));
        return new CommandRecord(command, Optional.ofNullable(rows.getString(9)).map(String::trim), rows.getString(10),
                Optional.ofNullable(rows.getTimestamp(11)).map(Timestamp::toInstant),
                Optional.ofNullable(rows.getTimestamp(12)).map(Timestamp::toInstant), rows.getInt(13),
                rows.getString(14) == null ? Map.of() : parse(rows.getString(14)), Optional.ofNullable(rows.getString(15)),
                rows.getTimestamp(16).toInstant());
    }

    private Map<String, Object> parse(String text) {
        try {
            return text == null ? Map.of() : json.mapper().readValue(text, MAP);
        } catch (JsonProcessingException e) {
            throw new StorageException("A stored command holds malformed JSON", e);
        }
    }

    private void recordStateEvent(Tx tx, UUID commandId, DeviceId deviceId, CommandState state) throws SQLException {
        events.record(tx, Event.of(EventTypes.COMMAND_STATE_CHANGED, "kernel", Map.of("commandId", commandId.toString(),
                "deviceId", deviceId.toString(), "state", state.name())));
    }

    /** Passcodes and similar secrets in parameters are kept out of the audit log. */
    static Map<String, Object> redacted(Map<String, Object> parameters) {
        Map<String, Object> copy = new LinkedHashMap<>();
        parameters.forEach((key, value) -> {
            String lower = key.toLowerCase(java.util.Locale.ROOT);
            copy.put(key, lower.contains("passcode") || lower.contains("password") || lower.contains("pin")
                    || lower.contains("secret") || lower.contains("token") ? "(redacted)" : value);
        });
        return copy;
    }
}
