package dev.shepherd.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.device.DeviceService;
import dev.shepherd.event.EventLog;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The durable per-device command queue.
 *
 * <p>{@code QUEUED → SENT → ACKNOWLEDGED | FAILED | NOT_NOW}; {@code NOT_NOW} waits until the platform asks for
 * deferred commands again; {@code EXPIRED} and {@code CANCELLED} end commands that never completed. Delivery is
 * at least once: a command stays {@code SENT} until answered and is handed out again if the device asks for work
 * without answering it, until it has been handed out {@code maxAttempts} times unanswered, when it is FAILED.
 * Answers are idempotent by command id, and only the command's own device may answer.
 * A command is durable when {@code issue} returns. Before it is queued, the device's platform checks it
 * ({@link PlatformCheck}): what the platform cannot carry out is refused with its reason, and for a fan-out
 * recorded FAILED with it.
 *
 * <p>A {@code WIPE} or {@code ENTERPRISE_WIPE} is never queued as a plain command: however it is issued (one device, a
 * fan-out's target as its row is written, a compliance remediation) it ends the device's management
 * ({@link #endManagement}), exactly as the retire and wipe actions do.
 *
 * <p>A fan-out writes one batch row holding the sorted target ids; each target's own command row is written
 * in the background by {@link #materializePending()}, or on demand when the device asks for work first. Either
 * way the device gets exactly one copy, in the position the batch's time gives it.
 */
public final class CommandService {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final int MATERIALIZE_CHUNK = 2000;
    /** What the commands handed out and not yet answered may hold in memory at most, weighed by their parameters. */
    private static final long HANDED_OUT_BYTES = 32L * 1024 * 1024;
    /** The most characters of fan-out parameters kept in memory ({@link #batchParameters}). */
    private static final long BATCH_PARAMETERS_CHARS = 16L * 1024 * 1024;
    /** How old {@link #pendingCount()} may get: as old as the metrics' store gauges. */
    static final long PENDING_COUNT_MAX_AGE_SECONDS = 5;
    /** How many times a command is handed to its device without an answer before it is FAILED, by default. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    private static final String COLUMNS = """
            c.id, c.device_id, c.command_type, COALESCE(c.parameters, b.parameters), c.priority, c.state, c.created_at,
            c.expires_at, c.batch_id, c.created_by, c.sent_at, c.completed_at, c.attempts, c.result, c.error_reason,
            c.updated_at""";
    /** {@link #COLUMNS} from the command row alone: a fan-out's row leaves its parameters to the batch (NULL here). */
    private static final String OWN_COLUMNS = COLUMNS.replace("COALESCE(c.parameters, b.parameters)", "c.parameters");
    static final String MATERIALIZING = "MATERIALIZING";
    static final String COMPLETE = "COMPLETE";
    static final String CANCELLED = "CANCELLED";
    static final String EXPIRED = "EXPIRED";
    private static final String FROM = " FROM command c LEFT JOIN command_batch b ON b.id = c.batch_id";
    /** Highest priority first, then oldest: ids are time-ordered, compared as the store compares their text. */
    private static final Comparator<Offer> DELIVERY_ORDER = Comparator
            .comparingInt((Offer offer) -> -offer.record().command().priority())
            .thenComparing(offer -> offer.record().command().id().toString());

    /** Told, in the answering transaction, that a command reached a new state from a device's answer or a cancel. */
    @FunctionalInterface
    public interface ResultListener {
        void answered(Tx tx, CommandRecord command) throws SQLException;
    }

    /**
     * Asks the device's platform whether it can carry out a command ({@code PlatformSupport.translateCommand}).
     */
    @FunctionalInterface
    public interface PlatformCheck {
        /** Checks nothing: every command is queued, as when no platform plugin is running. */
        PlatformCheck NONE = (device, command) -> Optional.empty();

        /**
         * @param device the device the command is for
         * @param command the command as it would be queued
         * @return why the platform cannot carry it out, or empty when it can or no plugin for the platform is running
         */
        Optional<String> refusal(Device device, Command command);
    }

    /** Asks the device's platform which command ends its management ({@code PlatformSupport.endManagement}). */
    @FunctionalInterface
    public interface FinalCommands {
        /** What most platforms do, as when no platform plugin is running: {@link ManagementEnd#standard}. */
        FinalCommands STANDARD = (device, wipe) -> Optional.of(ManagementEnd.standard(wipe));

        /**
         * @param device the device whose management ends
         * @param wipe whether it is wiped (rather than retired)
         * @return the command that tells the device, or empty when there is none to send
         */
        Optional<ManagementEnd> endManagement(Device device, boolean wipe);
    }

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
    private volatile Dialect dialect;
    private volatile PlatformCheck platformCheck = PlatformCheck.NONE;
    private volatile FinalCommands finalCommands = FinalCommands.STANDARD;
    private volatile int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private final List<ResultListener> resultListeners = new CopyOnWriteArrayList<>();
    /** Batches whose per-device rows are not all written yet; a device asking for work checks these. */
    private final Set<String> materializing = ConcurrentHashMap.newKeySet();
    /**
     * The commands this node handed out, as they were when handed out (state SENT), so that recording the device's
     * answer need not read the row again: nothing an answer leaves alone changes while the attempts count stays the
     * same (see {@link #report}). Weighed by the parameters' stored size; a miss (another node handed it out, a
     * restart, an eviction) reads the row as before.
     */
    private final Cache<UUID, HandedOut> handedOut = Caffeine.newBuilder()
            .maximumWeight(HANDED_OUT_BYTES).weigher((UUID id, HandedOut sent) -> sent.bytes())
            .build();
    /**
     * Fan-outs' parameters, which never change once the batch is written: handing out a fan-out's command then needs no
     * read of its batch. A batch is deleted only after its last command row (the rows' foreign key), so no row can
     * name a batch whose parameters are gone. Weighed by the parameters' length.
     */
    private final Cache<String, String> batchParameters = Caffeine.newBuilder()
            .maximumWeight(BATCH_PARAMETERS_CHARS).weigher((String id, String parameters) -> parameters.length())
            .build();
    /** The waiting commands, counted for dashboards at most every few seconds. */
    private final PendingCommandCount pendingCount;
    private final Cache<String, BatchTargets> targets = Caffeine.newBuilder()
            .maximumWeight(256L * 1024 * 1024).weigher((String id, BatchTargets batch) -> (int) Math.min(Integer.MAX_VALUE, batch.bytes()))
            .build();

    public CommandService(Transactions transactions, DeviceService devices, AuditLog audit, EventLog events, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.ids = new CommandIds(clock);
        this.pendingCount = new PendingCommandCount(transactions.dataSource(), Duration.ofSeconds(PENDING_COUNT_MAX_AGE_SECONDS),
                System::nanoTime);
        materializing.addAll(batchIdsIn(MATERIALIZING));
    }

    public void addResultListener(ResultListener listener) {
        resultListeners.add(requireNonNull(listener, "listener is null"));
    }

    /**
     * Queues a command inside the caller's transaction, for kernel work that queues commands as part of a larger
     * change (compliance remediation); the caller audits. The device is woken once the transaction commits. A
     * {@code WIPE} or {@code ENTERPRISE_WIPE} ends the device's management ({@link #endManagement(Tx, Actor, DeviceId,
     * boolean, String)}) and the platform's final command is returned.
     *
     * @throws CommandRefusedException when there is no such device, or an ending leaves nothing to tell the device (it
     *         never enrolled)
     * @throws CommandNotSupportedException when the device's platform cannot carry out the command
     */
    public CommandRecord issue(Tx tx, Actor actor, DeviceId deviceId, CommandRequest request) throws SQLException {
        if (endsManagement(request.type())) {
            return endIn(tx, actor, deviceId, request.type() == CommandType.WIPE, "a " + request.type() + " command",
                    request.parameters(), ids.next(), Optional.empty())
                    .flatMap(ManagementEnding::finalCommand)
                    .orElseThrow(() -> new CommandRefusedException("device " + deviceId + " has no command to be told that its management ends"));
        }
        DeviceRecord device = devices.get(tx, deviceId).orElseThrow(() -> new CommandRefusedException("no device " + deviceId));
        IssueOutcome outcome = issueAll(tx, actor, device, List.of(request)).get(0);
        if (outcome instanceof IssueOutcome.Refused refused) {
            throw new CommandNotSupportedException(refused.reason());
        }
        return ((IssueOutcome.Queued) outcome).command();
    }

    /**
     * Queues several commands for one device inside the caller's transaction, for kernel work that queues them as part
     * of a larger change (policy reconciliation); the caller audits. Each command is checked with the device's platform
     * ({@link PlatformCheck}), since its refusal may depend on the value; those it accepts are inserted, with their
     * QUEUED events, in one batch each, and the device is woken once when the transaction commits.
     *
     * @param device the device as the caller read it in this transaction
     * @param requests the commands, in the order they are queued; none may end management (use {@link #issue(Tx, Actor,
     *        DeviceId, CommandRequest)})
     * @return one outcome per request, in order
     */
    public List<IssueOutcome> issueAll(Tx tx, Actor actor, DeviceRecord device, List<CommandRequest> requests) throws SQLException {
        requireNonNull(actor, "actor is null");
        requireNonNull(device, "device is null");
        requireNonNull(requests, "requests is null");
        for (CommandRequest request : requests) {
            if (endsManagement(requireNonNull(request, "a request is null").type())) {
                throw new IllegalArgumentException(request.type() + " ends the device's management; issue it on its own");
            }
        }
        DeviceId deviceId = device.device().id();
        // The record built here equals the one read back.
        Instant now = storable(clock.instant());
        String createdBy = actor.toString();
        List<IssueOutcome> outcomes = new ArrayList<>(requests.size());
        List<Event> queuedEvents = new ArrayList<>(requests.size());
        try (PreparedStatement insert = insertStatement(tx.connection())) {
            for (CommandRequest request : requests) {
                UUID id = ids.next();
                Optional<Instant> expiresAt = request.timeToLive().map(ttl -> storable(now.plus(ttl)));
                Command command = new Command(id, deviceId, request.type(), request.parameters(), request.priority(),
                        CommandState.QUEUED, now, expiresAt);
                Optional<String> refusal = platformCheck.refusal(device.device(), command);
                if (refusal.isPresent()) {
                    outcomes.add(new IssueOutcome.Refused(request, refusal.get()));
                    continue;
                }
                String parameters = json.write(request.parameters());
                bindInsert(insert, id, deviceId, Optional.empty(), request.type(), request.priority(), Optional.of(parameters),
                        createdBy, now, expiresAt);
                insert.addBatch();
                // The parameters as reading them back gives them: JSON's own number and collection types.
                Command stored = new Command(id, deviceId, request.type(), parse(parameters), request.priority(),
                        CommandState.QUEUED, now, expiresAt);
                outcomes.add(new IssueOutcome.Queued(new CommandRecord(stored, Optional.empty(), createdBy, Optional.empty(),
                        Optional.empty(), 0, Map.of(), Optional.empty(), now)));
                queuedEvents.add(stateEvent(id, deviceId, CommandState.QUEUED));
            }
            if (!queuedEvents.isEmpty()) {
                insert.executeBatch();
            }
        }
        if (!queuedEvents.isEmpty()) {
            events.recordAll(tx, queuedEvents);
            tx.afterCommit(() -> waker.wake(List.of(deviceId), Optional.empty()));
        }
        return outcomes;
    }

    public void setWaker(Waker waker) {
        this.waker = requireNonNull(waker, "waker is null");
    }

    /** Sets where the platforms' final commands come from; until set, the standard ones ({@link ManagementEnd#standard}). */
    public void setFinalCommands(FinalCommands finalCommands) {
        this.finalCommands = requireNonNull(finalCommands, "finalCommands is null");
    }

    /** Sets who checks commands with the device's platform before they are queued; by default nobody does. */
    public void setPlatformCheck(PlatformCheck platformCheck) {
        this.platformCheck = requireNonNull(platformCheck, "platformCheck is null");
    }

    /**
     * Sets how many times a command is handed to its device without an answer before it is FAILED
     * ({@code commands.maxAttempts}); a device's deferral (NotNow) is an answer and starts the count again.
     */
    public void setMaxAttempts(int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        this.maxAttempts = maxAttempts;
    }

    /**
     * Queues a command for one device and wakes it. A {@code WIPE} or {@code ENTERPRISE_WIPE} ends the device's
     * management instead ({@link #endManagement}: WIPED or RETIRED, open commands cancelled); what is returned is then
     * the platform's final command, carrying the admin's parameters when it is of the type asked for.
     *
     * @throws CommandRefusedException when the device is unknown, not managed, or the command does not fit it
     * @throws CommandNotSupportedException when the device's platform cannot carry out the command
     * @throws DeviceConflictException when the device changed status while its management was being ended
     */
    public CommandRecord issue(Actor actor, DeviceId deviceId, CommandRequest request) {
        DeviceRecord device = devices.get(deviceId).orElseThrow(() -> new CommandRefusedException("no device " + deviceId));
        checkApplicable(device, request.type());
        if (endsManagement(request.type())) {
            if (device.device().status() == DeviceStatus.PENDING) {
                throw new CommandRefusedException("the device never enrolled, so there is nothing to " + (request.type() == CommandType.WIPE
                        ? "erase" : "remove") + "; retire it instead");
            }
            return end(actor, deviceId, request.type() == CommandType.WIPE, "a " + request.type() + " command", request.parameters(), true)
                    .flatMap(ManagementEnding::finalCommand)
                    .orElseThrow(() -> new CommandRefusedException("no device " + deviceId));
        }
        Instant now = clock.instant();
        UUID id = ids.next();
        checkWithPlatform(device, id, request, now);
        CommandRecord issued = transactions.inTransaction("queue a command", tx -> {
            try (PreparedStatement insert = insertStatement(tx.connection())) {
                bindInsert(insert, id, deviceId, Optional.empty(), request.type(), request.priority(),
                        Optional.of(json.write(request.parameters())), actor.toString(), now,
                        request.timeToLive().map(now::plus));
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
     * Queues one command for many devices: durable when this returns, whatever the number of devices. Devices the
     * command does not fit (retired, wiped, personal for a full wipe) are left out. The devices are then woken
     * through their platform plugins at the push rate. A {@code WIPE} or {@code ENTERPRISE_WIPE} ends each target's
     * management as its row is written ({@link #endManagement}).
     *
     * @param description what was targeted, in words, for the batch's progress view
     * @return the batch
     */
    public CommandBatch issueToMany(Actor actor, CommandTargets to, CommandRequest request, String description) {
        requireNonNull(to, "to is null");
        requireNonNull(description, "description is null");
        boolean corporateOnly = request.type() == CommandType.WIPE;
        List<DeviceId> devicesToReach = to instanceof CommandTargets.Matching matching
                ? devices.manageable(matching.filter(), corporateOnly)
                : devices.manageableAmong(((CommandTargets.Listed) to).devices(), corporateOnly);
        BatchTargets batchTargets = BatchTargets.of(devicesToReach);
        UUID batchUuid = ids.next();
        String batchId = batchUuid.toString();
        Instant now = clock.instant();
        int requested = to instanceof CommandTargets.Listed listed ? listed.devices().size() : batchTargets.size();
        transactions.inTransaction("queue a command for many devices", tx -> {
            try (PreparedStatement batch = tx.connection().prepareStatement("""
                    INSERT INTO command_batch (id, command_type, parameters, priority, description, state, targets, total,
                                               materialized, pushed, expires_at, created_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)""")) {
                batch.setString(1, batchId);
                batch.setString(2, request.type().name());
                batch.setString(3, json.write(request.parameters()));
                batch.setInt(4, request.priority());
                batch.setString(5, description.length() > 500 ? description.substring(0, 500) : description);
                batch.setString(6, batchTargets.size() == 0 ? COMPLETE : MATERIALIZING);
                batch.setBytes(7, batchTargets.encode());
                batch.setInt(8, batchTargets.size());
                if (request.timeToLive().isPresent()) {
                    batch.setTimestamp(9, Timestamp.from(now.plus(request.timeToLive().get())));
                } else {
                    batch.setNull(9, Types.TIMESTAMP);
                }
                batch.setString(10, actor.toString());
                batch.setTimestamp(11, Timestamp.from(now));
                batch.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "command.issue-batch", "command-batch", batchId, Optional.empty(),
                    Optional.of(json.write(Map.of("type", request.type(), "parameters", redacted(request.parameters()),
                            "description", description, "devices", batchTargets.size(),
                            "skipped", Math.max(0, requested - batchTargets.size()))))));
            events.record(tx, Event.of("command.batch_queued", "kernel", Map.of("batchId", batchId,
                    "type", request.type().name(), "devices", batchTargets.size())));
            tx.afterCommit(() -> {
                if (batchTargets.size() > 0) {
                    targets.put(batchId, batchTargets);
                    materializing.add(batchId);
                }
            });
            return null;
        });
        waker.wake(devicesToReach, Optional.of(batchId));
        return batch(batchId).orElseThrow();
    }

    /**
     * Records how the wake-ups for part of a batch went.
     *
     * @param pushed targets a push service took a wake-up for
     * @param awaitingEnrollment targets that never enrolled, so nothing was pushed
     * @param unreachable enrolled targets their platform could not wake
     */
    public void recordReach(String batchId, int pushed, int awaitingEnrollment, int unreachable) {
        transactions.inTransaction("record batch push progress", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE command_batch SET pushed = pushed + ?, awaiting_enrollment = awaiting_enrollment + ?,
                                             unreachable = unreachable + ? WHERE id = ?""")) {
                update.setInt(1, pushed);
                update.setInt(2, awaitingEnrollment);
                update.setInt(3, unreachable);
                update.setString(4, batchId);
                update.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Writes the per-device rows of every batch still materialising, a chunk per transaction; resumable, since
     * rows already written are skipped. Called in the background; returns how many rows it wrote.
     */
    public int materializePending() {
        refreshMaterializing();
        int written = 0;
        for (String batchId : List.copyOf(materializing)) {
            written += materializeBatch(batchId);
        }
        return written;
    }

    /**
     * Learns from the database which batches are still materialising: those issued on other nodes (so a device asking
     * this node for work gets its row of them too, and so the node running {@link #materializePending()} finishes a
     * batch whose node died before writing it), and those finished or cancelled elsewhere. Called by
     * {@link #materializePending()}, and in the background on nodes that do not run it.
     */
    public void refreshMaterializing() {
        // Known before the read means committed before it: if the read does not list it, it is over.
        Set<String> knownBefore = Set.copyOf(materializing);
        Set<String> inStore = new HashSet<>(batchIdsIn(MATERIALIZING));
        materializing.addAll(inStore);
        for (String batchId : knownBefore) {
            if (!inStore.contains(batchId)) {
                materializing.remove(batchId);
                targets.invalidate(batchId);
            }
        }
    }

    private int materializeBatch(String batchId) {
        Optional<BatchHead> head = batchHead(batchId);
        if (head.isEmpty() || !head.get().state().equals(MATERIALIZING)) {
            materializing.remove(batchId);
            return 0;
        }
        if (head.get().expiresAt().isPresent() && !head.get().expiresAt().get().isAfter(clock.instant())) {
            finishBatch(batchId, EXPIRED);
            return 0;
        }
        BatchTargets all = targetsOf(batchId);
        int written = 0;
        for (int from = 0; from < all.size() && materializing.contains(batchId); from += MATERIALIZE_CHUNK) {
            List<DeviceId> chunk = all.slice(from, Math.min(all.size(), from + MATERIALIZE_CHUNK));
            int chunkWritten = transactions.inTransaction("write fan-out commands", tx -> {
                // Locks the batch row, as a device asking for work does, and stops when the batch is no longer
                // materialising (cancelled, perhaps on another node).
                try (PreparedStatement lock = tx.connection().prepareStatement(
                        "UPDATE command_batch SET materialized = materialized WHERE id = ? AND state = 'MATERIALIZING'")) {
                    lock.setString(1, batchId);
                    if (lock.executeUpdate() == 0) {
                        return -1;
                    }
                }
                Set<String> present = new HashSet<>();
                // The chunk is a contiguous run of sorted ids: one range scan of the (batch, device) index.
                try (PreparedStatement select = tx.connection().prepareStatement(
                        "SELECT device_id FROM command WHERE batch_id = ? AND device_id >= ? AND device_id <= ?")) {
                    select.setString(1, batchId);
                    select.setString(2, chunk.get(0).toString());
                    select.setString(3, chunk.get(chunk.size() - 1).toString());
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            present.add(rows.getString(1).trim());
                        }
                    }
                }
                List<DeviceId> missing = chunk.stream().filter(id -> !present.contains(id.toString())).toList();
                insertBatchRows(tx, head.get(), missing);
                return missing.size();
            });
            if (chunkWritten < 0) {
                materializing.remove(batchId);
                targets.invalidate(batchId);
                return written;
            }
            written += chunkWritten;
        }
        if (materializing.contains(batchId)) {
            finishBatch(batchId, COMPLETE);
        }
        return written;
    }

    private void finishBatch(String batchId, String state) {
        transactions.inTransaction("finish a fan-out", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE command_batch SET state = ? WHERE id = ? AND state = 'MATERIALIZING'")) {
                update.setString(1, state);
                update.setString(2, batchId);
                update.executeUpdate();
            }
            return null;
        });
        materializing.remove(batchId);
        targets.invalidate(batchId);
    }

    /**
     * Writes a batch's row for each device, counting them on the batch in the same transaction. A device whose
     * platform cannot carry out the command gets its row FAILED with the platform's reason instead of queued.
     */
    private void insertBatchRows(Tx tx, BatchHead head, List<DeviceId> devicesWithoutRow) throws SQLException {
        if (devicesWithoutRow.isEmpty()) {
            return;
        }
        if (endsManagement(head.type())) {
            insertEndingRows(tx, head, devicesWithoutRow);
            return;
        }
        UUID batchUuid = UUID.fromString(head.id());
        Map<String, Object> parameters = parse(head.parameters());
        Map<UUID, String> refused = new LinkedHashMap<>();
        Map<UUID, DeviceId> deviceOf = new LinkedHashMap<>();
        try (PreparedStatement insert = insertStatement(tx.connection())) {
            for (DeviceId device : devicesWithoutRow) {
                UUID id = ids.inBatch(batchUuid);
                bindInsert(insert, id, device, Optional.of(head.id()), head.type(), head.priority(),
                        Optional.empty(), head.createdBy(), head.createdAt(), head.expiresAt());
                insert.addBatch();
                if (platformCheck != PlatformCheck.NONE) {
                    Optional<DeviceRecord> record = devices.get(tx, device);
                    Optional<String> refusal = record.flatMap(found -> platformCheck.refusal(found.device(), new Command(id, device,
                            head.type(), parameters, head.priority(), CommandState.QUEUED, head.createdAt(), head.expiresAt())));
                    refusal.ifPresent(reason -> {
                        refused.put(id, reason);
                        deviceOf.put(id, device);
                    });
                }
            }
            insert.executeBatch();
        }
        if (!refused.isEmpty()) {
            Timestamp now = Timestamp.from(clock.instant());
            try (PreparedStatement fail = tx.connection().prepareStatement("""
                    UPDATE command SET state = 'FAILED', error_reason = ?, completed_at = ?, updated_at = ? WHERE id = ?""")) {
                for (Map.Entry<UUID, String> refusal : refused.entrySet()) {
                    fail.setString(1, truncated(refusal.getValue()));
                    fail.setTimestamp(2, now);
                    fail.setTimestamp(3, now);
                    fail.setString(4, refusal.getKey().toString());
                    fail.addBatch();
                }
                fail.executeBatch();
            }
            for (UUID id : refused.keySet()) {
                recordStateEvent(tx, id, deviceOf.get(id), CommandState.FAILED);
            }
        }
        cancelForEndedDevices(tx, head, devicesWithoutRow);
        countMaterialized(tx, head, devicesWithoutRow.size());
    }

    /**
     * A target retired or wiped after the fan-out was created is never handed its row ({@link #take} gives an ended
     * device only its final command), and its management ending cancelled only the rows that existed then: its new
     * row is cancelled at once, so the fan-out's progress completes instead of waiting for it for ever.
     */
    private void cancelForEndedDevices(Tx tx, BatchHead head, List<DeviceId> written) throws SQLException {
        String lowest = written.stream().map(DeviceId::toString).min(String::compareTo).orElseThrow();
        String highest = written.stream().map(DeviceId::toString).max(String::compareTo).orElseThrow();
        Map<UUID, DeviceId> cancelled = new LinkedHashMap<>();
        Map<UUID, String> reasons = new LinkedHashMap<>();
        try (PreparedStatement select = tx.connection().prepareStatement("""
                SELECT c.id, c.device_id, d.status FROM command c JOIN device d ON d.id = c.device_id
                WHERE c.batch_id = ? AND c.device_id >= ? AND c.device_id <= ? AND c.state = 'QUEUED'
                AND d.status IN ('RETIRED', 'WIPED')""")) {
            select.setString(1, head.id());
            select.setString(2, lowest);
            select.setString(3, highest);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    UUID id = UUID.fromString(rows.getString(1).trim());
                    cancelled.put(id, DeviceId.parse(rows.getString(2).trim()));
                    reasons.put(id, "the device is " + rows.getString(3).trim().toLowerCase(Locale.ROOT) + " and no longer managed");
                }
            }
        }
        if (cancelled.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(clock.instant());
        try (PreparedStatement cancel = tx.connection().prepareStatement(
                "UPDATE command SET state = 'CANCELLED', error_reason = ?, completed_at = ?, updated_at = ? WHERE id = ?")) {
            for (UUID id : cancelled.keySet()) {
                cancel.setString(1, reasons.get(id));
                cancel.setTimestamp(2, now);
                cancel.setTimestamp(3, now);
                cancel.setString(4, id.toString());
                cancel.addBatch();
            }
            cancel.executeBatch();
        }
        for (Map.Entry<UUID, DeviceId> row : cancelled.entrySet()) {
            recordStateEvent(tx, row.getKey(), row.getValue(), CommandState.CANCELLED);
        }
    }

    private static void countMaterialized(Tx tx, BatchHead head, int rows) throws SQLException {
        try (PreparedStatement count = tx.connection().prepareStatement(
                "UPDATE command_batch SET materialized = materialized + ? WHERE id = ?")) {
            count.setInt(1, rows);
            count.setString(2, head.id());
            count.executeUpdate();
        }
    }

    /**
     * A wipe or enterprise wipe fan-out ends each target's management as its row is written: the row is the device's
     * final command. A device whose management cannot end that way (a personal device to be erased, one already ended,
     * one its platform cannot tell) gets its row FAILED with the reason.
     */
    private void insertEndingRows(Tx tx, BatchHead head, List<DeviceId> devicesWithoutRow) throws SQLException {
        UUID batchUuid = UUID.fromString(head.id());
        Map<String, Object> parameters = parse(head.parameters());
        boolean wipe = head.type() == CommandType.WIPE;
        Actor actor = Actor.parse(head.createdBy());
        for (DeviceId device : devicesWithoutRow) {
            UUID id = ids.inBatch(batchUuid);
            String refusal;
            try {
                Optional<ManagementEnding> ended = endIn(tx, actor, device, wipe, "a " + head.type() + " fan-out (" + head.id() + ")",
                        parameters, id, Optional.of(head.id()));
                if (ended.isPresent() && ended.get().finalCommand().isPresent()) {
                    continue;
                }
                refusal = ended.isEmpty() ? "no such device"
                        : "the device is " + ended.get().device().device().status().name().toLowerCase() + " with nothing to be told";
            } catch (DeviceConflictException | CommandNotSupportedException | CommandRefusedException e) {
                refusal = e.getMessage();
            }
            try (PreparedStatement insert = insertStatement(tx.connection())) {
                bindInsert(insert, id, device, Optional.of(head.id()), head.type(), head.priority(), Optional.empty(),
                        head.createdBy(), head.createdAt(), head.expiresAt());
                insert.executeUpdate();
            }
            Timestamp now = Timestamp.from(clock.instant());
            try (PreparedStatement fail = tx.connection().prepareStatement(
                    "UPDATE command SET state = 'FAILED', error_reason = ?, completed_at = ?, updated_at = ? WHERE id = ?")) {
                fail.setString(1, truncated(refusal));
                fail.setTimestamp(2, now);
                fail.setTimestamp(3, now);
                fail.setString(4, id.toString());
                fail.executeUpdate();
            }
            recordStateEvent(tx, id, device, CommandState.FAILED);
        }
        countMaterialized(tx, head, devicesWithoutRow.size());
    }

    /** Whether a command of this type ends the device's management: an erase, or an enterprise wipe (a retirement). */
    static boolean endsManagement(CommandType type) {
        return type == CommandType.WIPE || type == CommandType.ENTERPRISE_WIPE;
    }

    /**
     * Retires ({@code wipe} false) or wipes a device: the one path by which management of a device ends, the same on
     * every platform and however it was asked for (the retire and wipe actions, a {@code WIPE} or
     * {@code ENTERPRISE_WIPE} command to one device or a fan-out, a compliance remediation).
     *
     * <p>In one transaction the device becomes RETIRED or WIPED, its open commands are cancelled, and the platform's
     * final command ({@link FinalCommands}: an erase, the removal of the enrollment profile, an unenrollment, a delete
     * at Google) is queued, marked as ending management, above any priority an admin can give. The status changes at
     * once so that no policy, compliance or admin command reaches the device any more; the final command is the one
     * thing the device is still handed ({@link #take}). The platform revokes the device's identity when the device has
     * answered it; from then on nothing the device sends can bring it back: only a new enrollment can. Asking again
     * for a device already in that state changes nothing.
     *
     * @param reason the admin's words, audited
     * @return what was done, or empty when there is no such device
     * @throws DeviceConflictException when the device cannot go there: already ended the other way, a personal device
     *         to be wiped, or a device never enrolled to be wiped
     * @throws CommandNotSupportedException when the platform cannot carry out its own final command
     */
    public Optional<ManagementEnding> endManagement(Actor actor, DeviceId id, boolean wipe, String reason) {
        return end(actor, id, wipe, reason, Map.of(), false);
    }

    /**
     * As {@link #endManagement(Actor, DeviceId, boolean, String)}, inside the caller's transaction (a compliance
     * remediation); the platform is asked inside it.
     */
    public Optional<ManagementEnding> endManagement(Tx tx, Actor actor, DeviceId id, boolean wipe, String reason) throws SQLException {
        requireNonNull(actor, "actor is null");
        requireNonNull(reason, "reason is null");
        return endIn(tx, actor, id, wipe, reason, Map.of(), ids.next(), Optional.empty());
    }

    /**
     * Ends management in its own transaction, asking the platform before it: plugin code is not run while the
     * device's row is locked.
     *
     * @param requested the parameters of the command that asked for the ending, kept when the platform ends with that type
     * @param needsFinalCommand whether a platform with nothing to tell the device is refused rather than the device ended
     */
    private Optional<ManagementEnding> end(Actor actor, DeviceId id, boolean wipe, String reason, Map<String, Object> requested,
                                           boolean needsFinalCommand) {
        requireNonNull(actor, "actor is null");
        requireNonNull(reason, "reason is null");
        Optional<DeviceRecord> before = devices.get(id);
        if (before.isEmpty()) {
            return Optional.empty();
        }
        Device device = before.get().device();
        if (device.status() == endedStatus(wipe)) {
            return Optional.of(new ManagementEnding(before.get(), Optional.empty()));
        }
        UUID commandId = ids.next();
        Optional<CommandRequest> finalCommand = finalCommand(before.get(), wipe, requested, commandId);
        if (needsFinalCommand && finalCommand.isEmpty()) {
            throw new CommandNotSupportedException("the " + device.platform() + " platform has no command that tells the device its management ends;"
                    + " use the " + (wipe ? "wipe" : "retire") + " action");
        }
        Optional<ManagementEnding> ended = transactions.inTransaction("end the management of device " + id, tx -> {
            // The platform chose for the status it saw; a device that moved meanwhile is looked at again by the admin.
            Optional<DeviceRecord> current = devices.get(tx, id);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            if (current.get().device().status() != device.status()) {
                throw new DeviceConflictException("device " + id + " changed status meanwhile; look at it again and retry");
            }
            return Optional.of(ended(tx, actor, current.get(), wipe, reason, finalCommand, commandId, Optional.empty()));
        });
        if (ended.flatMap(ManagementEnding::finalCommand).isPresent()) {
            waker.wake(List.of(id), Optional.empty());
        }
        return ended;
    }

    /** Ends management inside the caller's transaction, asking the platform there. */
    private Optional<ManagementEnding> endIn(Tx tx, Actor actor, DeviceId id, boolean wipe, String reason, Map<String, Object> requested,
                                             UUID commandId, Optional<String> batchId) throws SQLException {
        Optional<DeviceRecord> before = devices.get(tx, id);
        if (before.isEmpty()) {
            return Optional.empty();
        }
        if (before.get().device().status() == endedStatus(wipe)) {
            return Optional.of(new ManagementEnding(before.get(), Optional.empty()));
        }
        Optional<CommandRequest> finalCommand = finalCommand(before.get(), wipe, requested, commandId);
        ManagementEnding ended = ended(tx, actor, before.get(), wipe, reason, finalCommand, commandId, batchId);
        if (ended.finalCommand().isPresent() && batchId.isEmpty()) {
            tx.afterCommit(() -> waker.wake(List.of(id), Optional.empty()));
        }
        return Optional.of(ended);
    }

    private static DeviceStatus endedStatus(boolean wipe) {
        return wipe ? DeviceStatus.WIPED : DeviceStatus.RETIRED;
    }

    /**
     * Whether the device's management can end that way, and the platform's final command for it, checked with the
     * platform: everything that can refuse is asked before anything is written.
     */
    private Optional<CommandRequest> finalCommand(DeviceRecord record, boolean wipe, Map<String, Object> requested, UUID commandId) {
        Device device = record.device();
        if (device.status() == DeviceStatus.RETIRED || device.status() == DeviceStatus.WIPED) {
            throw new DeviceConflictException("the device is already " + device.status().name().toLowerCase() + "; it cannot be "
                    + (wipe ? "wiped" : "retired") + " as well");
        }
        if (wipe && device.ownership() == Ownership.PERSONAL) {
            throw new DeviceConflictException("a personal device cannot be wiped; retire it, which removes only what the organisation put on it");
        }
        if (device.status() == DeviceStatus.PENDING) {
            if (wipe) {
                throw new DeviceConflictException("a device that never enrolled cannot be wiped; retire it");
            }
            // A device that never enrolled has nothing to be told.
            return Optional.empty();
        }
        CommandType asked = wipe ? CommandType.WIPE : CommandType.ENTERPRISE_WIPE;
        Optional<CommandRequest> request = finalCommands.endManagement(device, wipe).map(end -> {
            Map<String, Object> parameters = new HashMap<>(end.parameters());
            if (end.type() == asked) {
                // The admin's own parameters for that command (a Mac's erase PIN, keeping the data plan) are kept.
                parameters.putAll(requested);
            }
            // Above any priority an admin can give, so it is the first thing the device is handed; it never expires.
            return new CommandRequest(end.type(), parameters, 100, Optional.empty());
        });
        request.ifPresent(command -> checkWithPlatform(record, commandId, command, clock.instant()));
        return request;
    }

    /** The writes of an ending: the status, the open commands cancelled, the final command queued, the audit. */
    private ManagementEnding ended(Tx tx, Actor actor, DeviceRecord before, boolean wipe, String reason, Optional<CommandRequest> finalCommand,
                                   UUID commandId, Optional<String> batchId) throws SQLException {
        DeviceId id = before.device().id();
        DeviceStatus target = endedStatus(wipe);
        DeviceRecord after = devices.changeStatus(tx, actor, id, target, reason).orElseThrow();
        List<UUID> open = new ArrayList<>();
        try (PreparedStatement select = tx.connection().prepareStatement(
                "SELECT id FROM command WHERE device_id = ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    open.add(UUID.fromString(rows.getString(1).trim()));
                }
            }
        }
        for (UUID command : open) {
            cancel(tx, command);
        }
        Optional<CommandRecord> queued = Optional.empty();
        if (finalCommand.isPresent()) {
            CommandRequest request = finalCommand.get();
            Instant now = clock.instant();
            try (PreparedStatement insert = insertStatement(tx.connection())) {
                bindInsert(insert, commandId, id, batchId, request.type(), request.priority(), Optional.of(json.write(request.parameters())),
                        actor.toString(), now, Optional.empty());
                insert.executeUpdate();
            }
            try (PreparedStatement mark = tx.connection().prepareStatement("UPDATE command SET ends_management = 1 WHERE id = ?")) {
                mark.setString(1, commandId.toString());
                mark.executeUpdate();
            }
            recordStateEvent(tx, commandId, id, CommandState.QUEUED);
            queued = find(tx.connection(), commandId);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("status", target);
        detail.put("reason", reason);
        detail.put("cancelledCommands", open.size());
        detail.put("finalCommand", queued.map(record -> record.command().id() + " " + record.command().type()).orElse("none"));
        batchId.ifPresent(batch -> detail.put("batchId", batch));
        audit.append(tx, new AuditRecord(actor, wipe ? "device.wipe" : "device.retire", "device", id.toString(), Optional.empty(),
                Optional.of(json.write(detail))));
        return new ManagementEnding(after, queued);
    }

    /** Before handing out work: writes this device's rows of batches still materialising, if it is a target. */
    private void materializeFor(Tx tx, DeviceId device) throws SQLException {
        for (String batchId : materializing) {
            if (!targetsOf(batchId).contains(device)) {
                continue;
            }
            // Locks the batch row: the background writer and this device cannot both write the device's row.
            try (PreparedStatement lock = tx.connection().prepareStatement(
                    "UPDATE command_batch SET materialized = materialized WHERE id = ? AND state = 'MATERIALIZING'")) {
                lock.setString(1, batchId);
                if (lock.executeUpdate() == 0) {
                    continue;
                }
            }
            try (PreparedStatement exists = tx.connection().prepareStatement(
                    "SELECT 1 FROM command WHERE batch_id = ? AND device_id = ?")) {
                exists.setString(1, batchId);
                exists.setString(2, device.toString());
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        continue;
                    }
                }
            }
            Optional<BatchHead> head = batchHead(tx.connection(), batchId);
            if (head.isPresent() && (head.get().expiresAt().isEmpty() || head.get().expiresAt().get().isAfter(clock.instant()))) {
                insertBatchRows(tx, head.get(), List.of(device));
            }
        }
    }

    private BatchTargets targetsOf(String batchId) {
        return targets.get(batchId, id -> {
            try (Connection connection = transactions.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT targets FROM command_batch WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? BatchTargets.decode(rows.getBytes(1)) : BatchTargets.of(List.of());
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read the targets of batch " + id, e);
            }
        });
    }

    /** What every command row of a batch shares. */
    private record BatchHead(String id, CommandType type, int priority, String state, String createdBy, Instant createdAt,
                             Optional<Instant> expiresAt, String parameters) {
    }

    private Optional<BatchHead> batchHead(String batchId) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return batchHead(connection, batchId);
        } catch (SQLException e) {
            throw new StorageException("Cannot read batch " + batchId, e);
        }
    }

    private static Optional<BatchHead> batchHead(Connection connection, String batchId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id, command_type, priority, state, created_by, created_at, expires_at, parameters FROM command_batch WHERE id = ?")) {
            select.setString(1, batchId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new BatchHead(rows.getString(1).trim(), CommandType.valueOf(rows.getString(2)), rows.getInt(3),
                        rows.getString(4), rows.getString(5), rows.getTimestamp(6).toInstant(),
                        Optional.ofNullable(rows.getTimestamp(7)).map(Timestamp::toInstant), rows.getString(8)));
            }
        }
    }

    private List<String> batchIdsIn(String state) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT id FROM command_batch WHERE state = ?")) {
            select.setString(1, state);
            List<String> found = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    found.add(rows.getString(1).trim());
                }
            }
            return found;
        } catch (SQLException e) {
            throw new StorageException("Cannot list command batches", e);
        }
    }

    /**
     * Withdraws a fan-out: commands not yet completed are cancelled, devices without a row yet never get one.
     *
     * @return the batch after, or empty when there is none
     */
    public Optional<CommandBatch> cancelBatch(Actor actor, String batchId) {
        boolean found = transactions.inTransaction("cancel a fan-out", tx -> {
            Optional<BatchHead> head = batchHead(tx.connection(), batchId);
            if (head.isEmpty()) {
                return false;
            }
            Timestamp now = Timestamp.from(clock.instant());
            try (PreparedStatement batch = tx.connection().prepareStatement(
                    "UPDATE command_batch SET state = 'CANCELLED' WHERE id = ?")) {
                batch.setString(1, batchId);
                batch.executeUpdate();
            }
            int cancelled;
            try (PreparedStatement rows = tx.connection().prepareStatement("""
                    UPDATE command SET state = 'CANCELLED', completed_at = ?, updated_at = ?
                    WHERE batch_id = ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')""")) {
                rows.setTimestamp(1, now);
                rows.setTimestamp(2, now);
                rows.setString(3, batchId);
                cancelled = rows.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "command.cancel-batch", "command-batch", batchId,
                    Optional.of(json.write(Map.of("state", head.get().state()))),
                    Optional.of(json.write(Map.of("state", CANCELLED, "cancelledCommands", cancelled)))));
            events.record(tx, Event.of("command.batch_cancelled", "kernel", Map.of("batchId", batchId, "cancelled", cancelled)));
            return true;
        });
        if (!found) {
            return Optional.empty();
        }
        materializing.remove(batchId);
        targets.invalidate(batchId);
        return batch(batchId);
    }

    /** @throws CommandNotSupportedException when the device's platform cannot carry out the command */
    private void checkWithPlatform(DeviceRecord device, UUID id, CommandRequest request, Instant now) {
        Command command = new Command(id, device.device().id(), request.type(), request.parameters(), request.priority(),
                CommandState.QUEUED, now, request.timeToLive().map(now::plus));
        platformCheck.refusal(device.device(), command).ifPresent(reason -> {
            throw new CommandNotSupportedException(reason);
        });
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
        return transactions.inTransaction("hand out commands", tx -> take(tx, deviceId, max));
    }

    /**
     * As {@link #take(DeviceId, int)}, in the caller's transaction: the commands handed out stay claimed until it
     * ends. On PostgreSQL the claim skips rows another transaction holds ({@link Dialect#claimRows}), so two nodes
     * taking for one device at the same moment never hand out the same command.
     */
    public List<Command> take(Tx tx, DeviceId deviceId, int max) throws SQLException {
        if (max < 1) {
            return List.of();
        }
        Instant now = storable(clock.instant());
        materializeFor(tx, deviceId);
        // Two probes of ix_command_next in one statement (each a range of the index, already in delivery order), merged
        // here: one query ordering both states together would read and sort every queued row of the device, so each
        // message would cost more the longer its queue.
        Probed probed = probe(tx, deviceId, max, now);
        List<Offer> sent = failUnanswered(tx, deviceId, probed.sent(), now);
        List<Offer> queued = probed.queued();
        if (sent.isEmpty() && queued.isEmpty()) {
            return List.of();
        }
        // A retired or wiped device is handed the command that ends its management, and nothing else (endManagement).
        // Its status came with the probe that found something, read from the store in this transaction as a statement
        // of its own would read it.
        boolean ended = (sent.isEmpty() ? queued : sent).get(0).deviceStatus().map(status -> status == DeviceStatus.RETIRED
                || status == DeviceStatus.WIPED).orElse(false);
        if (ended) {
            // The limited probe may have stopped at commands that do not end management; ask for those that do.
            queued = offersOf(tx, deviceId, "QUEUED", Optional.of(max), now, true);
        }
        List<Offer> candidates = new ArrayList<>(sent);
        candidates.addAll(queued);
        List<Offer> next = candidates.stream()
                .filter(offer -> offer.record().command().expiresAt().map(expiry -> expiry.isAfter(now)).orElse(true))
                .filter(offer -> !ended || offer.endsManagement())
                .sorted(DELIVERY_ORDER).limit(max).toList();
        List<Command> handed = new ArrayList<>();
        for (Offer offer : next) {
            Command command = offer.record().command();
            boolean first = command.state() != CommandState.SENT;
            try (PreparedStatement update = tx.connection().prepareStatement(first
                    ? "UPDATE command SET state = 'SENT', sent_at = ?, attempts = attempts + 1, unanswered_offers = unanswered_offers + 1,"
                            + " updated_at = ? WHERE id = ? AND state = 'QUEUED'"
                    // Offered again: the state (in two indexes) is left as it is, so its index entries are not rewritten.
                    : "UPDATE command SET sent_at = ?, attempts = attempts + 1, unanswered_offers = unanswered_offers + 1,"
                            + " updated_at = ? WHERE id = ? AND state = 'SENT'")) {
                Timestamp at = Timestamp.from(now);
                update.setTimestamp(1, at);
                update.setTimestamp(2, at);
                update.setString(3, command.id().toString());
                if (update.executeUpdate() == 1) {
                    Command sentCommand = new Command(command.id(), command.deviceId(), command.type(), command.parameters(),
                            command.priority(), CommandState.SENT, command.createdAt(), command.expiresAt());
                    handed.add(sentCommand);
                    CommandRecord before = offer.record();
                    HandedOut remembered = new HandedOut(new CommandRecord(sentCommand, before.batchId(), before.createdBy(), Optional.of(now),
                            before.completedAt(), before.attempts() + 1, before.result(), before.errorReason(), now), offer.parametersBytes());
                    // Only what committed is remembered: a rolled back take's attempts count may be reached again by another.
                    tx.afterCommit(() -> handedOut.put(command.id(), remembered));
                    if (first) {
                        recordStateEvent(tx, command.id(), deviceId, CommandState.SENT);
                    }
                }
            }
        }
        return handed;
    }

    /**
     * A command that may be handed out, with what deciding it takes beyond the command itself.
     *
     * @param deviceStatus the device's status as the probe read it; empty for a device without a row
     */
    private record Offer(CommandRecord record, boolean endsManagement, int unansweredOffers, int parametersBytes,
                         Optional<DeviceStatus> deviceStatus) {
    }

    /**
     * A command as this node handed it out.
     *
     * @param sent the command as its row was when the take committed
     * @param bytes roughly what it holds in memory, for the cache's bound
     */
    private record HandedOut(CommandRecord sent, int bytes) {
    }

    /**
     * The device's commands in one state, in delivery order, read along ix_command_next (no sort). On PostgreSQL the
     * rows are claimed ({@link Dialect#claimRows}): one another node holds is skipped, never handed out twice. The
     * command table is read alone: joined to command_batch for a fan-out's parameters, Derby gives up the index's
     * order (a hash join, then a sort of every queued row), so those are read by the batch's key afterwards.
     */
    private List<Offer> offersOf(Tx tx, DeviceId deviceId, String state, Optional<Integer> limit, Instant now, boolean finalOnly)
            throws SQLException {
        List<Offer> offers = new ArrayList<>();
        // With a limit, what cannot be handed out (expired, or not final for an ended device) is left out before it,
        // so it cannot hide the commands behind it.
        try (PreparedStatement select = tx.connection().prepareStatement(OFFER_SELECT
                + " WHERE c.device_id = ? AND c.state = '" + state + "'"
                + (limit.isPresent() ? " AND (c.expires_at IS NULL OR c.expires_at > ?)" : "")
                + (finalOnly ? " AND c.ends_management = 1" : "")
                + " ORDER BY c.priority DESC, c.id" + limit.map(rows -> " FETCH FIRST " + rows + " ROWS ONLY").orElse("")
                + dialect(tx).claimRows("c"))) {
            select.setString(1, deviceId.toString());
            if (limit.isPresent()) {
                select.setTimestamp(2, Timestamp.from(now));
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    offers.add(offerOf(tx, rows));
                }
            }
        }
        return offers;
    }

    /** A command's own columns and what deciding its offer takes; the device's status rides along. */
    private static final String OFFER_SELECT = "SELECT " + OWN_COLUMNS
            + ", c.ends_management, c.unanswered_offers, CASE WHEN c.parameters IS NULL THEN 1 ELSE 0 END,"
            // The device's status rides along (one primary-key probe per row returned, one row or two as a rule),
            // so that take needs no statement of its own for it.
            // Derby otherwise may read the whole device table into a hash table on every execution of the statement
            // (a hash join with the outer row): a scan of every device per take. The hint (a comment elsewhere) keeps
            // it one primary-key probe.
            + " (SELECT d.status FROM device d --DERBY-PROPERTIES joinStrategy=NESTEDLOOP, constraint=PK_DEVICE\n"
            + " WHERE d.id = c.device_id)"
            + " FROM command c";

    /** The device's commands handed out and not answered, and its next queued ones not expired, each in delivery order. */
    private record Probed(List<Offer> sent, List<Offer> queued) {
    }

    /**
     * The two probes of a take in one statement: every SENT command of the device, and the first {@code max} QUEUED
     * ones not expired, each a range of ix_command_next read in its order (no sort), as {@link #offersOf} reads them
     * apart; claimed on PostgreSQL as there. One round trip and one statement activation instead of two.
     */
    private Probed probe(Tx tx, DeviceId deviceId, int max, Instant now) throws SQLException {
        String sql = probeStatement(dialect(tx), max);
        List<Offer> sent = new ArrayList<>();
        List<Offer> queued = new ArrayList<>();
        try (PreparedStatement select = tx.connection().prepareStatement(sql)) {
            select.setString(1, deviceId.toString());
            select.setString(2, deviceId.toString());
            select.setTimestamp(3, Timestamp.from(now));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    Offer offer = offerOf(tx, rows);
                    (offer.record().command().state() == CommandState.SENT ? sent : queued).add(offer);
                }
            }
        }
        // UNION ALL promises no order across or within its branches, so each list is put in delivery order here.
        sent.sort(DELIVERY_ORDER);
        queued.sort(DELIVERY_ORDER);
        return new Probed(sent, queued);
    }

    /**
     * The statement of {@link #probe}: parameters the device id twice, then the time queued commands must not have
     * expired by. Package-private so that a test can check its plan.
     */
    static String probeStatement(Dialect dialect, int max) {
        String claim = dialect.claimRows("c");
        // Each branch a derived table, so that each keeps its own ORDER BY, FETCH FIRST and row claim under UNION ALL.
        return "SELECT * FROM (" + OFFER_SELECT + " WHERE c.device_id = ? AND c.state = 'SENT' ORDER BY c.priority DESC, c.id"
                + claim + ") sent UNION ALL SELECT * FROM (" + OFFER_SELECT
                + " WHERE c.device_id = ? AND c.state = 'QUEUED' AND (c.expires_at IS NULL OR c.expires_at > ?)"
                + " ORDER BY c.priority DESC, c.id FETCH FIRST " + max + " ROWS ONLY" + claim + ") queued";
    }

    /** The offer of a row of {@link #OFFER_SELECT}, a fan-out's command given its batch's parameters. */
    private Offer offerOf(Tx tx, ResultSet rows) throws SQLException {
        CommandRecord record = recordOf(rows);
        String ownParameters = rows.getString(4);
        int parametersBytes = ownParameters == null ? 0 : ownParameters.length();
        if (rows.getInt(19) == 1 && record.batchId().isPresent()) {
            String batchId = record.batchId().get();
            String batchParameters = this.batchParameters.getIfPresent(batchId);
            if (batchParameters == null) {
                batchParameters = batchParameters(tx, batchId);
                if (batchParameters != null) {
                    this.batchParameters.put(batchId, batchParameters);
                }
            }
            parametersBytes = batchParameters == null ? 0 : batchParameters.length();
            record = withParameters(record, batchParameters);
        }
        String status = rows.getString(20);
        return new Offer(record, rows.getInt(17) == 1, rows.getInt(18), 2 * parametersBytes + 512,
                Optional.ofNullable(status).map(DeviceStatus::valueOf));
    }

    /** A fan-out's parameters, which its command rows leave to the batch; null when the batch is gone. */
    private static String batchParameters(Tx tx, String batchId) throws SQLException {
        try (PreparedStatement select = tx.connection().prepareStatement("SELECT parameters FROM command_batch WHERE id = ?")) {
            select.setString(1, batchId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    /** A fan-out's command, whose row leaves the parameters to its batch, with the batch's parameters. */
    private CommandRecord withParameters(CommandRecord record, String parameters) {
        Command command = record.command();
        return new CommandRecord(new Command(command.id(), command.deviceId(), command.type(), parse(parameters), command.priority(),
                command.state(), command.createdAt(), command.expiresAt()), record.batchId(), record.createdBy(), record.sentAt(),
                record.completedAt(), record.attempts(), record.result(), record.errorReason(), record.updatedAt());
    }

    /** The store's engine, learnt from the first connection (every connection of the pool is to the same store). */
    private Dialect dialect(Tx tx) throws SQLException {
        Dialect known = dialect;
        if (known == null) {
            known = Dialect.of(tx.connection());
            dialect = known;
        }
        return known;
    }

    /**
     * Fails the device's commands handed out {@code maxAttempts} times without an answer: a command the device chokes
     * on, or its plugin cannot deliver, must not be offered forever, nor keep the commands behind it waiting.
     *
     * @param sent the device's commands handed out and not answered
     * @return those of them that may be offered again
     */
    private List<Offer> failUnanswered(Tx tx, DeviceId deviceId, List<Offer> sent, Instant now) throws SQLException {
        List<Offer> remaining = new ArrayList<>();
        String reason = "handed to the device " + maxAttempts + " times without an answer (commands.maxAttempts)";
        for (Offer offer : sent) {
            if (offer.unansweredOffers() < maxAttempts) {
                remaining.add(offer);
                continue;
            }
            UUID id = offer.record().command().id();
            try (PreparedStatement fail = tx.connection().prepareStatement("""
                    UPDATE command SET state = 'FAILED', error_reason = ?, completed_at = ?, updated_at = ? WHERE id = ? AND state = 'SENT'""")) {
                fail.setString(1, reason);
                fail.setTimestamp(2, Timestamp.from(now));
                fail.setTimestamp(3, Timestamp.from(now));
                fail.setString(4, id.toString());
                if (fail.executeUpdate() == 0) {
                    continue;
                }
            }
            recordStateEvent(tx, id, deviceId, CommandState.FAILED);
            CommandRecord failed = find(tx.connection(), id).orElseThrow();
            for (ResultListener listener : resultListeners) {
                listener.answered(tx, failed);
            }
        }
        return remaining;
    }

    /**
     * Notes that a command handed out is still on its way (its platform is carrying it out, or will deliver it again):
     * the offers so far do not count towards {@code maxAttempts}. Other devices' and unsent commands are left alone.
     */
    public void inProgress(DeviceId deviceId, UUID commandId) {
        transactions.inTransaction("note a command in progress", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE command SET unanswered_offers = 0 WHERE id = ? AND device_id = ? AND state = 'SENT' AND unanswered_offers > 0")) {
                update.setString(1, commandId.toString());
                update.setString(2, deviceId.toString());
                update.executeUpdate();
            }
            return null;
        });
    }

    /** Makes a device's deferred commands eligible again; platforms call it when the device says it is idle. */
    public int requeueDeferred(DeviceId deviceId) {
        // An Apple device says Idle in most of its messages and has almost never deferred anything: one read of
        // ix_command_next outside a transaction answers that, where the UPDATE would cost a write transaction each time.
        if (!hasDeferred(deviceId)) {
            return 0;
        }
        return transactions.inTransaction("requeue deferred commands", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE command SET state = 'QUEUED', updated_at = ? WHERE device_id = ? AND state = 'NOT_NOW'")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, deviceId.toString());
                return update.executeUpdate();
            }
        });
    }

    private boolean hasDeferred(DeviceId deviceId) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT 1 FROM command WHERE device_id = ? AND state = 'NOT_NOW' FETCH FIRST 1 ROWS ONLY")) {
            select.setString(1, deviceId.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot look for the deferred commands of device " + deviceId, e);
        }
    }

    /**
     * Records a device's answer. Repeated answers, and answers to commands already ended, change nothing.
     *
     * <p>An answer to a command this node handed out is written with one UPDATE that also checks the row's attempts
     * count: when it matches, the row is the one handed out but for what the answer wrote, so the record handed to the
     * listeners and returned is built from that, equal to what reading the row would give, without reading it. When it
     * does not match (handed out again elsewhere), or the command is unknown here, the row is written and read as before.
     *
     * @throws IllegalArgumentException when the command is unknown or belongs to another device
     */
    public CommandRecord report(DeviceId deviceId, CommandResult result) {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(result, "result is null");
        Answer answer = answerOf(result);
        Optional<CommandRecord> sent = handedOutTo(deviceId, result.commandId());
        CommandRecord recorded = transactions.inTransaction("record a command result", tx -> report(tx, deviceId, result, answer, sent));
        forgetIfEnded(recorded);
        return recorded;
    }

    /**
     * What {@link #reportAndTake} did: the answered command as recorded, and the commands handed out with it when
     * {@code thenTake} let them be taken.
     */
    public record AnswerAndNext(CommandRecord answered, Optional<List<Command>> next) {
    }

    /**
     * Records a device's answer as {@link #report} does and, when {@code thenTake} accepts the command as recorded,
     * hands out the device's next commands as {@link #take} does, in the same transaction: one commit where a device's
     * message both answers and asks for work. The answer is durable when this returns; nothing is recorded or taken
     * when it fails.
     *
     * @param thenTake decides from the answered command whether the device goes on to its next commands; called
     *        inside the transaction, again if the transaction is retried
     * @throws IllegalArgumentException when the command is unknown or belongs to another device
     */
    public AnswerAndNext reportAndTake(DeviceId deviceId, CommandResult result, Predicate<CommandRecord> thenTake, int max) {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(result, "result is null");
        requireNonNull(thenTake, "thenTake is null");
        Answer answer = answerOf(result);
        Optional<CommandRecord> sent = handedOutTo(deviceId, result.commandId());
        AnswerAndNext done = transactions.inTransaction("record a command result and hand out the next", tx -> {
            CommandRecord answered = report(tx, deviceId, result, answer, sent);
            return new AnswerAndNext(answered, thenTake.test(answered) ? Optional.of(take(tx, deviceId, max)) : Optional.empty());
        });
        forgetIfEnded(done.answered());
        return done;
    }

    private Answer answerOf(CommandResult result) {
        return new Answer(result.state(), result.response().isEmpty() ? Optional.empty() : Optional.of(json.write(result.response())),
                result.errorReason().map(CommandService::truncated), storable(clock.instant()));
    }

    /** The command as this node handed it out to that device, if it did and still remembers it. */
    private Optional<CommandRecord> handedOutTo(DeviceId deviceId, UUID commandId) {
        return Optional.ofNullable(handedOut.getIfPresent(commandId)).map(HandedOut::sent)
                .filter(known -> known.command().deviceId().equals(deviceId));
    }

    /** An ended command is never answered again, so this node need not remember handing it out. */
    private void forgetIfEnded(CommandRecord recorded) {
        if (recorded.command().state().isFinal()) {
            handedOut.invalidate(recorded.command().id());
        }
    }

    private CommandRecord report(Tx tx, DeviceId deviceId, CommandResult result, Answer answer, Optional<CommandRecord> sent)
            throws SQLException {
        // The update takes the row's lock, so two answers to one command are applied one after the other; an answer
        // to a command already ended (or not this device's) updates nothing and is told apart below.
        CommandRecord after;
        if (sent.isPresent() && write(tx, deviceId, result.commandId(), answer, Optional.of(sent.get().attempts())) == 1) {
            after = answer.appliedTo(sent.get(), this::parse);
        } else {
            int updated = write(tx, deviceId, result.commandId(), answer, Optional.empty());
            after = find(tx.connection(), result.commandId())
                    .filter(record -> record.command().deviceId().equals(deviceId))
                    .orElseThrow(() -> new IllegalArgumentException("device " + deviceId + " has no command " + result.commandId()));
            if (updated == 0) {
                return after; // already ended: a repeated answer changes nothing
            }
        }
        recordStateEvent(tx, result.commandId(), deviceId, result.state());
        for (ResultListener listener : resultListeners) {
            listener.answered(tx, after);
        }
        return after;
    }

    /**
     * What a device's answer writes to its command's row.
     *
     * @param state the state the device reported
     * @param response the device's response as stored (compact JSON), empty for none
     * @param errorReason the device's words, as long as the column holds
     * @param at when it was recorded, as precise as the store keeps it
     */
    private record Answer(CommandState state, Optional<String> response, Optional<String> errorReason, Instant at) {

        /** The command's record after this answer, from the record of the row it was written to. */
        CommandRecord appliedTo(CommandRecord before, Function<String, Map<String, Object>> parse) {
            Command command = before.command();
            return new CommandRecord(new Command(command.id(), command.deviceId(), command.type(), command.parameters(), command.priority(),
                    state, command.createdAt(), command.expiresAt()), before.batchId(), before.createdBy(), before.sentAt(),
                    state.isFinal() ? Optional.of(at) : Optional.empty(), before.attempts(), response.map(parse).orElse(Map.of()),
                    errorReason, at);
        }
    }

    /**
     * Writes an answer to a command's row if the command is this device's and has not ended, and, when
     * {@code attempts} is given, only if it was handed out that many times.
     *
     * @return how many rows were written: 1 or 0
     */
    private static int write(Tx tx, DeviceId deviceId, UUID commandId, Answer answer, Optional<Integer> attempts) throws SQLException {
        try (PreparedStatement update = tx.connection().prepareStatement("""
                UPDATE command SET state = ?, result = ?, error_reason = ?, completed_at = ?, updated_at = ?, unanswered_offers = 0
                WHERE id = ? AND device_id = ? AND state NOT IN ('ACKNOWLEDGED', 'FAILED', 'EXPIRED', 'CANCELLED')"""
                + (attempts.isPresent() ? " AND attempts = ?" : ""))) {
            update.setString(1, answer.state().name());
            if (answer.response().isPresent()) {
                update.setString(2, answer.response().get());
            } else {
                update.setNull(2, Types.CLOB);
            }
            if (answer.errorReason().isPresent()) {
                update.setString(3, answer.errorReason().get());
            } else {
                update.setNull(3, Types.VARCHAR);
            }
            if (answer.state().isFinal()) {
                update.setTimestamp(4, Timestamp.from(answer.at()));
            } else {
                update.setNull(4, Types.TIMESTAMP);
            }
            update.setTimestamp(5, Timestamp.from(answer.at()));
            update.setString(6, commandId.toString());
            update.setString(7, deviceId.toString());
            if (attempts.isPresent()) {
                update.setInt(8, attempts.get());
            }
            return update.executeUpdate();
        }
    }

    /**
     * An instant as both stores keep it (PostgreSQL to the microsecond), so a record built from what was written
     * equals the one read back.
     */
    private static Instant storable(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
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
            DeviceId deviceId = current.get().command().deviceId();
            audit.append(tx, new AuditRecord(actor, "command.cancel", "device", deviceId.toString(),
                    Optional.of(json.write(Map.of("commandId", commandId.toString(), "state", current.get().command().state()))),
                    Optional.of(json.write(Map.of("commandId", commandId.toString(), "state", CommandState.CANCELLED)))));
            return cancel(tx, commandId);
        });
    }

    /**
     * Withdraws a command inside the caller's transaction if it has not completed; the caller audits.
     *
     * @return the command after, or empty when there is no such command
     */
    public Optional<CommandRecord> cancel(Tx tx, UUID commandId) throws SQLException {
        Optional<CommandRecord> current = find(tx.connection(), commandId);
        if (current.isEmpty() || current.get().command().state().isFinal()) {
            return current;
        }
        try (PreparedStatement update = tx.connection().prepareStatement(
                "UPDATE command SET state = 'CANCELLED', completed_at = ?, updated_at = ? WHERE id = ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')")) {
            Timestamp now = Timestamp.from(clock.instant());
            update.setTimestamp(1, now);
            update.setTimestamp(2, now);
            update.setString(3, commandId.toString());
            update.executeUpdate();
        }
        recordStateEvent(tx, commandId, current.get().command().deviceId(), CommandState.CANCELLED);
        Optional<CommandRecord> after = find(tx.connection(), commandId);
        for (ResultListener listener : resultListeners) {
            listener.answered(tx, after.orElseThrow());
        }
        return after;
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

    /**
     * A device's commands, newest first. Fan-out commands appear once their row is written (seconds after the
     * fan-out, or when the device asks for work).
     *
     * @param before the cursor: only commands older than this one
     */
    public List<CommandRecord> history(DeviceId deviceId, Optional<UUID> before, int limit) {
        String sql = "SELECT " + COLUMNS + FROM + " WHERE c.device_id = ?"
                + (before.isPresent() ? " AND c.id < ?" : "") + " ORDER BY c.id DESC FETCH FIRST "
                + Math.max(1, Math.min(limit, 500)) + " ROWS ONLY";
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, deviceId.toString());
            if (before.isPresent()) {
                select.setString(2, before.get().toString());
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

    /**
     * @return how many commands are waiting for their device: queued, sent and not yet answered, or deferred; counted
     *         at most every {@value #PENDING_COUNT_MAX_AGE_SECONDS} seconds, longer when counting takes long (a
     *         dashboard must not scan the command table on every request, see {@code PendingCommandCount})
     */
    public long pendingCount() {
        return pendingCount.get();
    }

    /**
     * The commands waiting for devices inside a scope: for the whole fleet the paced count above, for a scope of groups
     * counted now over the scope's members.
     */
    public long pendingCount(DeviceScope scope) {
        if (scope.isFleet()) {
            return pendingCount();
        }
        StringBuilder sql = new StringBuilder("SELECT COUNT(*) FROM command c WHERE c.state IN ('QUEUED', 'SENT', 'NOT_NOW')");
        List<Object> parameters = new ArrayList<>();
        scope.appendCondition("c.device_id", sql, parameters);
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot count the pending commands of a scope", e);
        }
    }

    /**
     * Fan-outs, newest first, with their progress.
     *
     * @param before a batch id: only batches created before it (the next page)
     * @param limit at most this many
     */
    public List<CommandBatch> recentBatches(Optional<String> before, int limit) {
        List<String> ids = new ArrayList<>();
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT id FROM command_batch"
                     + (before.isPresent() ? " WHERE created_at < (SELECT created_at FROM command_batch WHERE id = ?)" : "")
                     + " ORDER BY created_at DESC FETCH FIRST " + Math.max(1, Math.min(limit, 100)) + " ROWS ONLY")) {
            if (before.isPresent()) {
                select.setString(1, before.get());
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot list command batches", e);
        }
        return ids.stream().map(this::batch).flatMap(Optional::stream).toList();
    }

    public Optional<CommandBatch> batch(String batchId) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            String description;
            String state;
            int total;
            int materialized;
            int pushed;
            int awaitingEnrollment;
            int unreachable;
            CommandType type;
            Optional<Instant> expiresAt;
            String createdBy;
            Instant createdAt;
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT command_type, description, state, total, materialized, pushed, expires_at, created_by, created_at,
                           awaiting_enrollment, unreachable
                    FROM command_batch WHERE id = ?""")) {
                select.setString(1, batchId);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    type = CommandType.valueOf(rows.getString(1));
                    description = rows.getString(2);
                    state = rows.getString(3);
                    total = rows.getInt(4);
                    materialized = rows.getInt(5);
                    pushed = rows.getInt(6);
                    expiresAt = Optional.ofNullable(rows.getTimestamp(7)).map(Timestamp::toInstant);
                    createdBy = rows.getString(8);
                    createdAt = rows.getTimestamp(9).toInstant();
                    awaitingEnrollment = rows.getInt(10);
                    unreachable = rows.getInt(11);
                }
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
            int withoutRow = total - materialized;
            if (withoutRow > 0) {
                CommandState pending = switch (state) {
                    case CANCELLED -> CommandState.CANCELLED;
                    case EXPIRED -> CommandState.EXPIRED;
                    default -> CommandState.QUEUED;
                };
                states.merge(pending, withoutRow, Integer::sum);
            }
            return Optional.of(new CommandBatch(batchId, type, description, state, total, materialized, pushed, awaitingEnrollment, unreachable, states,
                    expiresAt, createdBy, createdAt));
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
                                   CommandType type, int priority, Optional<String> parameters, String createdBy,
                                   Instant createdAt, Optional<Instant> expiresAt) throws SQLException {
        insert.setString(1, id.toString());
        insert.setString(2, deviceId.toString());
        if (batchId.isPresent()) {
            insert.setString(3, batchId.get());
        } else {
            insert.setNull(3, Types.CHAR);
        }
        insert.setString(4, type.name());
        if (parameters.isPresent()) {
            insert.setString(5, parameters.get());
        } else {
            insert.setNull(5, Types.CLOB);
        }
        insert.setInt(6, priority);
        insert.setString(7, createdBy);
        insert.setTimestamp(8, Timestamp.from(createdAt));
        if (expiresAt.isPresent()) {
            insert.setTimestamp(9, Timestamp.from(expiresAt.get()));
        } else {
            insert.setNull(9, Types.TIMESTAMP);
        }
        insert.setTimestamp(10, Timestamp.from(createdAt));
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
        events.record(tx, stateEvent(commandId, deviceId, state));
    }

    private static Event stateEvent(UUID commandId, DeviceId deviceId, CommandState state) {
        return Event.of(EventTypes.COMMAND_STATE_CHANGED, "kernel", Map.of("commandId", commandId.toString(),
                "deviceId", deviceId.toString(), "state", state.name()));
    }

    /** A reason as long as the error_reason column holds. */
    private static String truncated(String reason) {
        return reason.length() > 2000 ? reason.substring(0, 2000) : reason;
    }

    /** Passcodes and similar secrets in parameters are kept out of the audit log. */
    static Map<String, Object> redacted(Map<String, Object> parameters) {
        Map<String, Object> copy = new LinkedHashMap<>();
        parameters.forEach((key, value) -> {
            String lower = key.toLowerCase(Locale.ROOT);
            copy.put(key, lower.contains("passcode") || lower.contains("password") || lower.contains("pin")
                    || lower.contains("secret") || lower.contains("token") ? "(redacted)" : value);
        });
        return copy;
    }
}
