package dev.shepherd.device;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.cluster.ChangeFeed;
import dev.shepherd.enrollment.EnrollmentTokens;
import dev.shepherd.event.EventLog;
import dev.shepherd.event.KernelEventBus;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The device registry: enrollment, lifecycle, admin changes, check-ins, inventory and search. Every change that
 * matters to admins is audited and raises a durable event in the same transaction; check-ins, which are frequent,
 * only touch one column and go to the in-memory bus.
 */
public final class DeviceService {

    private static final Logger log = LoggerFactory.getLogger(DeviceService.class);

    /** How precisely the last check-in is kept; see {@link #recordCheckIn}. */
    public static final Duration CHECK_IN_RESOLUTION = Duration.ofSeconds(30);

    private static final Map<DeviceStatus, Set<DeviceStatus>> TRANSITIONS = Map.of(
            DeviceStatus.PENDING, EnumSet.of(DeviceStatus.ENROLLED, DeviceStatus.RETIRED),
            DeviceStatus.ENROLLED, EnumSet.of(DeviceStatus.QUARANTINED, DeviceStatus.RETIRED, DeviceStatus.WIPED),
            DeviceStatus.QUARANTINED, EnumSet.of(DeviceStatus.ENROLLED, DeviceStatus.RETIRED, DeviceStatus.WIPED),
            DeviceStatus.RETIRED, EnumSet.noneOf(DeviceStatus.class),
            DeviceStatus.WIPED, EnumSet.noneOf(DeviceStatus.class));

    private final Transactions transactions;
    private final DeviceStore store = new DeviceStore();
    private final EnrollmentTokens tokens;
    private final AuditLog audit;
    private final EventLog events;
    private final KernelEventBus bus;
    private final Json json;
    private final Clock clock;
    private final List<DeviceChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final List<EnrollmentListener> enrollmentListeners = new CopyOnWriteArrayList<>();
    private final List<InventoryListener> inventoryListeners = new CopyOnWriteArrayList<>();
    private volatile InventoryLimits inventoryLimits = InventoryLimits.DEFAULTS;
    /** Each device's inventory reports in the current minute, counted from its first. */
    private final Cache<DeviceId, AtomicInteger> reportsThisMinute = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(1_000_000).build();
    /** Platform identifiers (UDID, IMEI, …) are looked up on every device request; they rarely change. */
    private final Cache<String, DeviceId> byHardwareId = Caffeine.newBuilder()
            .maximumSize(200_000).expireAfterAccess(Duration.ofMinutes(30)).build();

    /**
     * For each device that checked in lately, a time its recorded last check-in is known to be at or after (this
     * node wrote it, or saw the store refuse an older one): a check-in within {@link #CHECK_IN_RESOLUTION} of it is
     * known to change nothing, so it costs no statement. Check-ins only move forward, so the bound never goes stale.
     */
    private final Cache<DeviceId, Instant> checkInsKnown = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(2)).maximumSize(1_000_000).build();

    /**
     * The change-feed topic of hardware identifiers taken from a device; the key is the cache's key with
     * {@link #FEED_SEPARATOR} for its separators (PostgreSQL's text cannot hold the NUL character).
     */
    static final String HARDWARE_ID_TOPIC = "device.hardware-id";
    private static final char CACHE_SEPARATOR = '\u0000';
    private static final char FEED_SEPARATOR = '\u001f';
    private final ChangeFeed changes;

    /**
     * The change-feed topic of device statuses; the key is the device id. Every write that changes a device's status
     * announces it in its transaction ({@code writeRow}).
     */
    static final String STATUS_TOPIC = "device.status";

    /**
     * Statuses read outside a transaction: every message of every device asks whether its management has ended, and a
     * status almost never changes. An entry is dropped after the commit of a change on this node and when the change
     * feed tells of one on another node (within its polling interval); a read racing with a change cannot put the old
     * status back, because Caffeine makes the dropping wait for a load of the same key in progress. Devices that do not
     * exist are not cached (a new device's id is new).
     */
    private final Cache<DeviceId, DeviceStatus> statuses = Caffeine.newBuilder()
            .maximumSize(200_000).expireAfterAccess(Duration.ofMinutes(30)).build();

    /**
     * @param changes where hardware identifiers taken from a device, and status changes, are announced to the other
     *        nodes, and heard from them
     */
    public DeviceService(Transactions transactions, EnrollmentTokens tokens, AuditLog audit, EventLog events,
                         KernelEventBus bus, Json json, Clock clock, ChangeFeed changes) {
        this.changes = requireNonNull(changes, "changes is null");
        changes.subscribe(HARDWARE_ID_TOPIC, key -> byHardwareId.invalidate(key.replace(FEED_SEPARATOR, CACHE_SEPARATOR)),
                byHardwareId::invalidateAll);
        changes.subscribe(STATUS_TOPIC, key -> statuses.invalidate(DeviceId.parse(key)), statuses::invalidateAll);
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.bus = requireNonNull(bus, "bus is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Told, in the enrollment's transaction, that a device enrolled and what its token granted. */
    @FunctionalInterface
    public interface EnrollmentListener {
        void enrolled(Tx tx, DeviceRecord device, Optional<EnrollmentGrant> grant) throws SQLException;
    }

    /** Told, in the reporting transaction, that a device reported inventory. */
    @FunctionalInterface
    public interface InventoryListener {
        void reported(Tx tx, DeviceId device, Map<String, String> inventory) throws SQLException;
    }

    public void addInventoryListener(InventoryListener listener) {
        inventoryListeners.add(requireNonNull(listener, "listener is null"));
    }

    public void addEnrollmentListener(EnrollmentListener listener) {
        enrollmentListeners.add(requireNonNull(listener, "listener is null"));
    }

    public void addChangeListener(DeviceChangeListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    public Optional<DeviceRecord> get(DeviceId id) {
        return read("read device " + id, connection -> store.find(connection, id));
    }

    /**
     * Whether a device is inside a scope: the one question every scoped admin route asks before it reveals or touches
     * a device. The whole fleet holds every id, existing or not; a scope of groups holds the current members of its
     * groups (one probe of the membership index).
     */
    public boolean inScope(DeviceScope scope, DeviceId id) {
        requireNonNull(scope, "scope is null");
        requireNonNull(id, "id is null");
        if (scope.isFleet()) {
            return true;
        }
        return read("check the scope of device " + id, connection -> store.inScope(connection, scope, id));
    }

    /**
     * Of the listed devices, those inside a scope (all of them for the whole fleet), read in pages of 500 ids, so a
     * long list costs a few statements, not one per device.
     */
    public Set<DeviceId> inScopeAmong(DeviceScope scope, Collection<DeviceId> ids) {
        requireNonNull(scope, "scope is null");
        if (scope.isFleet()) {
            return Set.copyOf(ids);
        }
        return read("check the scope of devices", connection -> store.inScopeAmong(connection, scope, List.copyOf(ids)));
    }

    /** @return the device, when it exists and is inside the scope; a device outside it is as absent as a missing one */
    public Optional<DeviceRecord> get(DeviceScope scope, DeviceId id) {
        return inScope(scope, id) ? get(id) : Optional.empty();
    }

    private static String hardwareIdKey(Platform platform, String kind, String value) {
        return platform.id() + CACHE_SEPARATOR + kind + CACHE_SEPARATOR + value;
    }

    public Optional<DeviceId> idByHardwareId(Platform platform, String kind, String value) {
        String key = hardwareIdKey(platform, kind, value);
        DeviceId cached = byHardwareId.getIfPresent(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<DeviceId> found = read("look up a device by " + kind, connection -> store.idByHardwareId(connection, platform, kind, value));
        found.ifPresent(id -> byHardwareId.put(key, id));
        return found;
    }

    /**
     * @throws IllegalArgumentException for an invalid cursor or limit
     */
    public DevicePage search(DeviceFilter filter, DeviceSort sort, Optional<String> cursor, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000");
        }
        return read("search devices", connection -> store.search(connection, filter, sort, cursor, limit));
    }

    public long count(DeviceFilter filter) {
        return read("count devices", connection -> store.count(connection, filter));
    }

    public List<DeviceId> ids(DeviceFilter filter) {
        return read("list device ids", connection -> store.ids(connection, filter));
    }

    /**
     * The devices a command may go to: managed (not retired or wiped) and, for commands that erase personal data,
     * corporate.
     */
    public List<DeviceId> manageable(DeviceFilter filter, boolean corporateOnly) {
        return read("list manageable devices", connection -> store.ids(connection, filter, true, corporateOnly));
    }

    /** As {@link #manageable(DeviceFilter, boolean)}, among the listed devices. */
    public List<DeviceId> manageableAmong(List<DeviceId> devices, boolean corporateOnly) {
        return read("check devices", connection -> store.manageableAmong(connection, devices, corporateOnly));
    }

    /** Device counts by platform, status and compliance, each from its index; the pending commands are counted by the caller. */
    public FleetSummary summary(long pendingCommands) {
        return summary(DeviceScope.FLEET, pendingCommands);
    }

    /** As {@link #summary(long)}, counting only the devices inside a scope. */
    public FleetSummary summary(DeviceScope scope, long pendingCommands) {
        requireNonNull(scope, "scope is null");
        try (Connection connection = transactions.dataSource().getConnection()) {
            return new FleetSummary(countBy(connection, "platform", scope), countBy(connection, "status", scope),
                    countBy(connection, "compliance", scope), pendingCommands);
        } catch (java.sql.SQLException e) {
            throw new StorageException("Cannot summarise the fleet", e);
        }
    }

    private static Map<String, Long> countBy(Connection connection, String column, DeviceScope scope) throws java.sql.SQLException {
        Map<String, Long> counts = new TreeMap<>();
        StringBuilder sql = new StringBuilder("SELECT d." + column + ", COUNT(*) FROM device d WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        scope.appendCondition("d.id", sql, parameters);
        sql.append(" GROUP BY d.").append(column);
        try (var select = connection.prepareStatement(sql.toString())) {
            DeviceStore.bind(select, parameters);
            try (var rows = select.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1).trim(), rows.getLong(2));
                }
            }
        }
        return counts;
    }

    public Map<String, String> inventory(DeviceId id) {
        return read("read inventory", connection -> store.inventory(connection, id));
    }

    /** A device's inventory, inside a transaction. */
    public Map<String, String> inventory(Tx tx, DeviceId id) throws SQLException {
        return store.inventory(tx.connection(), id);
    }

    /**
     * A device's status, inside a transaction: one statement, where {@link #get(Tx, DeviceId)} needs four. Always read
     * from the store, never from the cache {@link #status(DeviceId)} keeps: a transaction that decides by it (what a
     * retired device may still be handed) must see a change another node committed a moment ago.
     */
    public Optional<DeviceStatus> status(Tx tx, DeviceId id) throws SQLException {
        return store.status(tx.connection(), id);
    }

    /**
     * A device's status, for the checks made on every device message. Served from a cache: a change made on this node
     * is seen as soon as it has committed, one made on another node once this node has read the change feed (every
     * 250 ms on a running server).
     */
    public Optional<DeviceStatus> status(DeviceId id) {
        requireNonNull(id, "id is null");
        return Optional.ofNullable(statuses.get(id, key -> read("read the status of device " + key,
                connection -> store.status(connection, key)).orElse(null)));
    }

    /** A device, inside a transaction. */
    public Optional<DeviceRecord> get(Tx tx, DeviceId id) throws SQLException {
        return store.find(tx.connection(), id);
    }

    /**
     * Several devices inside a transaction, with the four statements one device needs: for work on a batch of devices.
     *
     * @param ids at most a few hundred (they become one IN list)
     * @return those that exist, by id
     */
    public Map<DeviceId, DeviceRecord> getAll(Tx tx, Collection<DeviceId> ids) throws SQLException {
        Map<DeviceId, DeviceRecord> found = new LinkedHashMap<>();
        for (DeviceRecord record : store.load(tx.connection(), ids.stream().map(DeviceId::toString).distinct().toList())) {
            found.put(record.device().id(), record);
        }
        return found;
    }

    /** Inventory key under which an identity conflict is shown on both devices' pages. */
    public static final String IDENTITY_CONFLICT_KEY = "identity.conflict";
    /** How long an admin's permission to re-enroll a device by its hardware identifiers lasts. */
    public static final Duration RE_ENROLLMENT_ALLOWANCE = Duration.ofHours(24);
    private static final Set<DeviceStatus> LIVE = EnumSet.of(DeviceStatus.PENDING, DeviceStatus.ENROLLED, DeviceStatus.QUARANTINED);

    /** Why an enrollment may take over an existing record. */
    private enum Proof {
        /** The client presented the certificate bound to the device (or one issued over its authenticated channel). */
        CERTIFICATE,
        /** A pre-registered device, claimed with a corporate token or by a program enrollment. */
        PENDING_CLAIM,
        /** An admin allowed the device to be enrolled again. */
        ADMIN
    }

    /**
     * Completes an enrollment; see {@link dev.shepherd.api.device.DeviceRegistry#enroll}. Identifiers a claim merely
     * asserts never take over another device: the record of a live (pending, enrolled or quarantined) device is
     * re-enrolled only with proof, and ownership never changes through re-enrollment. A claim without proof that
     * asserts a live device's identifiers gets its own record, without those identifiers, and the conflict is
     * audited, raised as an event and shown on both devices ({@link #IDENTITY_CONFLICT_KEY}).
     *
     * @throws EnrollmentRefusedException when the token does not allow it, or the proven device is gone
     */
    public DeviceRecord enroll(Actor actor, EnrollmentClaim claim) {
        requireNonNull(claim, "claim is null");
        if (claim.provenDevice().isEmpty() && claim.enrollmentToken().isEmpty() && claim.method() != EnrollmentMethod.PROGRAM
                && claim.method() != EnrollmentMethod.MANUAL && claim.method() != EnrollmentMethod.CREDENTIALS) {
            throw new EnrollmentRefusedException("an enrollment token is required");
        }
        return transactions.inTransaction("enroll a device", tx -> {
            Connection connection = tx.connection();
            if (claim.provenDevice().isPresent()) {
                DeviceRecord proven = store.findForUpdate(connection, claim.provenDevice().get())
                        .filter(record -> record.device().platform().equals(claim.platform()))
                        .filter(record -> LIVE.contains(record.device().status()))
                        .orElseThrow(() -> new EnrollmentRefusedException("the device this certificate speaks for is no longer managed"));
                return reEnroll(tx, actor, proven, claim, Optional.empty(), Proof.CERTIFICATE);
            }
            Optional<EnrollmentGrant> grant = Optional.empty();
            if (claim.enrollmentToken().isPresent()) {
                grant = tokens.consume(tx, claim.enrollmentToken().get());
                if (grant.isEmpty()) {
                    throw new EnrollmentRefusedException("the enrollment token is unknown, expired, used up or revoked");
                }
                if (grant.get().platform().isPresent() && !grant.get().platform().get().equals(claim.platform())) {
                    throw new EnrollmentRefusedException("the enrollment token is for " + grant.get().platform().get() + " devices");
                }
            }
            Instant now = clock.instant();
            for (DeviceRecord holder : liveHolders(connection, claim)) {
                Optional<Proof> proof = proofFor(connection, holder, grant, claim, now);
                if (proof.isPresent()) {
                    return reEnroll(tx, actor, holder, claim, grant, proof.get());
                }
            }
            return enrollNew(tx, actor, claim, grant);
        });
    }

    /** The live devices holding one of the claimed identifiers, in the claim's order, each once. */
    private List<DeviceRecord> liveHolders(Connection connection, EnrollmentClaim claim) throws SQLException {
        Map<DeviceId, DeviceRecord> holders = new LinkedHashMap<>();
        for (Map.Entry<String, String> hardwareId : new TreeMap<>(claim.hardwareIds()).entrySet()) {
            Optional<DeviceId> id = store.idByHardwareId(connection, claim.platform(), hardwareId.getKey(), hardwareId.getValue());
            if (id.isPresent() && !holders.containsKey(id.get())) {
                store.findForUpdate(connection, id.get()).filter(record -> LIVE.contains(record.device().status()))
                        .ifPresent(record -> holders.put(record.device().id(), record));
            }
        }
        return List.copyOf(holders.values());
    }

    /** What, short of a bound certificate, lets a claim take over a live device's record. */
    private Optional<Proof> proofFor(Connection connection, DeviceRecord holder, Optional<EnrollmentGrant> grant, EnrollmentClaim claim,
                                     Instant now) throws SQLException {
        if (holder.device().status() == DeviceStatus.PENDING && holder.device().enrolledAt().isEmpty()
                && (grant.map(granted -> granted.ownership() == Ownership.CORPORATE).orElse(false)
                || (grant.isEmpty() && (claim.method() == EnrollmentMethod.PROGRAM || claim.method() == EnrollmentMethod.MANUAL)))) {
            return Optional.of(Proof.PENDING_CLAIM);
        }
        try (var delete = connection.prepareStatement(
                "DELETE FROM device_reenrollment_allowance WHERE device_id = ? AND allowed_until > ?")) {
            delete.setString(1, holder.device().id().toString());
            delete.setTimestamp(2, Timestamp.from(now));
            if (delete.executeUpdate() == 1) {
                return Optional.of(Proof.ADMIN);
            }
        }
        return Optional.empty();
    }

    /**
     * Enrolls a known device again: what the device reports is updated; its ownership, user, groups, tags, policies
     * and quarantine stay.
     */
    private DeviceRecord reEnroll(Tx tx, Actor actor, DeviceRecord existing, EnrollmentClaim claim, Optional<EnrollmentGrant> grant,
                                  Proof proof) throws SQLException {
        Connection connection = tx.connection();
        Device before = existing.device();
        DeviceId id = before.id();
        Instant now = clock.instant();
        Optional<String> userId = before.userId().or(() -> grant.flatMap(EnrollmentGrant::userId)).or(claim::userId);
        DeviceStatus status = before.status() == DeviceStatus.QUARANTINED ? DeviceStatus.QUARANTINED : DeviceStatus.ENROLLED;
        DeviceStore.Row row = new DeviceStore.Row(id, before.platform(), status, before.ownership(),
                claim.name().isBlank() ? before.name() : claim.name(),
                claim.serialNumber().isBlank() ? before.serialNumber() : claim.serialNumber(),
                claim.model().isBlank() ? before.model() : claim.model(),
                claim.osVersion().isBlank() ? before.osVersion() : claim.osVersion(), userId, Optional.of(claim.method()),
                before.compliance(), Optional.of(now), before.lastCheckIn(), Optional.of(actor.toString()),
                grant.map(EnrollmentGrant::tokenId).or(existing::enrollmentTokenId), existing.createdAt(), now, existing.version() + 1);
        writeRow(tx, row, existing);
        Map<String, String> hardwareIds = new TreeMap<>(before.hardwareIds());
        Map<String, DeviceId> conflicts = new TreeMap<>();
        hardwareIds.putAll(acceptedHardwareIds(connection, claim, id, conflicts));
        store.replaceHardwareIds(connection, id, claim.platform(), hardwareIds);
        DeviceRecord after = store.find(connection, id).orElseThrow();
        audit.append(tx, new AuditRecord(actor, "device.re-enroll", "device", id.toString(), Optional.of(json.write(before)),
                Optional.of(json.write(Map.of("device", after.device(), "proof", proof.name())))));
        events.record(tx, Event.of(EventTypes.DEVICE_ENROLLED, "kernel", Map.of("deviceId", id.toString(),
                "platform", claim.platform().id(), "method", claim.method().name(), "reEnrolled", true, "proof", proof.name(),
                "groupId", grant.flatMap(EnrollmentGrant::groupId).orElse(""))));
        recordConflicts(tx, actor, after, claim, conflicts);
        notifyListeners(tx, Optional.of(existing), after);
        for (EnrollmentListener listener : enrollmentListeners) {
            listener.enrolled(tx, after, grant);
        }
        tx.afterCommit(byHardwareId::invalidateAll);
        return after;
    }

    /** A new device, holding those of the claimed identifiers no live device holds. */
    private DeviceRecord enrollNew(Tx tx, Actor actor, EnrollmentClaim claim, Optional<EnrollmentGrant> grant) throws SQLException {
        Connection connection = tx.connection();
        Instant now = clock.instant();
        DeviceId id = DeviceId.random();
        DeviceStore.Row row = new DeviceStore.Row(id, claim.platform(), DeviceStatus.ENROLLED,
                grant.map(EnrollmentGrant::ownership).orElse(Ownership.CORPORATE),
                claim.name().isBlank() ? defaultName(claim) : claim.name(), claim.serialNumber(), claim.model(), claim.osVersion(),
                grant.flatMap(EnrollmentGrant::userId).or(claim::userId), Optional.of(claim.method()), ComplianceState.UNKNOWN,
                Optional.of(now), Optional.empty(), Optional.of(actor.toString()), grant.map(EnrollmentGrant::tokenId), now, now, 1L);
        store.insert(connection, row);
        Map<String, DeviceId> conflicts = new TreeMap<>();
        store.replaceHardwareIds(connection, id, claim.platform(), acceptedHardwareIds(connection, claim, id, conflicts));
        DeviceRecord after = store.find(connection, id).orElseThrow();
        audit.append(tx, new AuditRecord(actor, "device.enroll", "device", id.toString(), Optional.empty(),
                Optional.of(json.write(after.device()))));
        events.record(tx, Event.of(EventTypes.DEVICE_ENROLLED, "kernel", Map.of("deviceId", id.toString(),
                "platform", claim.platform().id(), "method", claim.method().name(), "reEnrolled", false,
                "groupId", grant.flatMap(EnrollmentGrant::groupId).orElse(""))));
        recordConflicts(tx, actor, after, claim, conflicts);
        notifyListeners(tx, Optional.empty(), after);
        for (EnrollmentListener listener : enrollmentListeners) {
            listener.enrolled(tx, after, grant);
        }
        tx.afterCommit(byHardwareId::invalidateAll);
        return after;
    }

    /**
     * The claimed identifiers the device may hold: those nobody holds, its own, and those of retired or wiped devices
     * (which lose them). Those a live device holds go into {@code conflicts}, kind to holder.
     */
    private Map<String, String> acceptedHardwareIds(Connection connection, EnrollmentClaim claim, DeviceId device,
                                                    Map<String, DeviceId> conflicts) throws SQLException {
        Map<String, String> accepted = new TreeMap<>();
        for (Map.Entry<String, String> hardwareId : claim.hardwareIds().entrySet()) {
            Optional<DeviceId> holder = store.idByHardwareId(connection, claim.platform(), hardwareId.getKey(), hardwareId.getValue());
            if (holder.isEmpty() || holder.get().equals(device)) {
                accepted.put(hardwareId.getKey(), hardwareId.getValue());
                continue;
            }
            boolean live = store.find(connection, holder.get()).map(record -> LIVE.contains(record.device().status())).orElse(false);
            if (live) {
                conflicts.put(hardwareId.getKey(), holder.get());
                continue;
            }
            try (var delete = connection.prepareStatement(
                    "DELETE FROM device_hardware_id WHERE platform = ? AND kind = ? AND value = ? AND device_id = ?")) {
                delete.setString(1, claim.platform().id());
                delete.setString(2, hardwareId.getKey());
                delete.setString(3, hardwareId.getValue());
                delete.setString(4, holder.get().toString());
                delete.executeUpdate();
            }
            // The identifier moves to another device: every node's cached lookup of it must go.
            String key = hardwareIdKey(claim.platform(), hardwareId.getKey(), hardwareId.getValue());
            changes.publish(connection, HARDWARE_ID_TOPIC, key.replace(CACHE_SEPARATOR, FEED_SEPARATOR));
            byHardwareId.invalidate(key);
            accepted.put(hardwareId.getKey(), hardwareId.getValue());
        }
        return accepted;
    }

    /** Makes a conflict visible: an audit entry, an event, and a line in both devices' inventories. */
    private void recordConflicts(Tx tx, Actor actor, DeviceRecord newcomer, EnrollmentClaim claim, Map<String, DeviceId> conflicts)
            throws SQLException {
        if (conflicts.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        DeviceId id = newcomer.device().id();
        Map<DeviceId, List<String>> kindsByHolder = new TreeMap<>(Comparator.comparing(DeviceId::toString));
        conflicts.forEach((kind, holder) -> kindsByHolder.computeIfAbsent(holder, any -> new ArrayList<>()).add(kind));
        for (Map.Entry<DeviceId, List<String>> entry : kindsByHolder.entrySet()) {
            String kinds = String.join(", ", entry.getValue());
            audit.append(tx, new AuditRecord(actor, "device.identity-conflict", "device", id.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("deviceId", id.toString(), "heldBy", entry.getKey().toString(), "kinds", entry.getValue(),
                            "platform", claim.platform().id())))));
            events.record(tx, Event.of(EventTypes.DEVICE_IDENTITY_CONFLICT, "kernel", Map.of("deviceId", id.toString(),
                    "heldBy", entry.getKey().toString(), "kind", kinds, "platform", claim.platform().id())));
            store.putInventory(tx.connection(), id, Map.of(IDENTITY_CONFLICT_KEY, "enrolled asserting the " + kinds + " of device "
                    + entry.getKey() + " without proof; given a record of its own"), now);
            store.putInventory(tx.connection(), entry.getKey(), Map.of(IDENTITY_CONFLICT_KEY, "device " + id + " asserted this device's "
                    + kinds + " at " + now + " without proof; it was given a record of its own"), now);
        }
    }

    /**
     * Lets the next enrollment asserting a device's hardware identifiers re-enroll it without proof, once, within
     * {@link #RE_ENROLLMENT_ALLOWANCE}: for a device that lost its certificate (a factory reset) and enrolls again.
     *
     * @return when the permission lapses, or empty when there is no such live device
     */
    public Optional<Instant> allowReEnrollment(Actor actor, DeviceId id) {
        return transactions.inTransaction("allow a device to re-enroll", tx -> {
            Optional<DeviceRecord> device = store.findForUpdate(tx.connection(), id).filter(record -> LIVE.contains(record.device().status()));
            if (device.isEmpty()) {
                return Optional.<Instant>empty();
            }
            Instant until = clock.instant().plus(RE_ENROLLMENT_ALLOWANCE);
            try (var delete = tx.connection().prepareStatement("DELETE FROM device_reenrollment_allowance WHERE device_id = ?")) {
                delete.setString(1, id.toString());
                delete.executeUpdate();
            }
            try (var insert = tx.connection().prepareStatement(
                    "INSERT INTO device_reenrollment_allowance (device_id, allowed_until, allowed_by) VALUES (?, ?, ?)")) {
                insert.setString(1, id.toString());
                insert.setTimestamp(2, Timestamp.from(until));
                String by = actor.toString();
                insert.setString(3, by.length() > 200 ? by.substring(0, 200) : by);
                insert.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "device.allow-re-enrollment", "device", id.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("allowedUntil", until.toString())))));
            events.record(tx, Event.of("device.re_enrollment_allowed", "kernel", Map.of("deviceId", id.toString(),
                    "allowedUntil", until.toString())));
            return Optional.of(until);
        });
    }

    private static String defaultName(EnrollmentClaim claim) {
        String base = claim.model().isBlank() ? claim.platform().id() : claim.model();
        return claim.serialNumber().isBlank() ? base : base + " " + claim.serialNumber();
    }

    /**
     * Registers devices ahead of enrollment, all or none. Hardware identifiers already known are refused.
     *
     * @return the ids of the new devices, in order
     */
    public List<DeviceId> importDevices(Actor actor, List<DeviceImport> imports) {
        if (imports.isEmpty()) {
            return List.of();
        }
        return transactions.inTransaction("import devices", tx -> {
            Instant now = clock.instant();
            List<DeviceStore.Row> rows = new ArrayList<>(imports.size());
            List<Map<String, String>> hardwareIds = new ArrayList<>(imports.size());
            List<Set<String>> tags = new ArrayList<>(imports.size());
            for (DeviceImport device : imports) {
                rows.add(new DeviceStore.Row(DeviceId.random(), device.platform(), DeviceStatus.PENDING, device.ownership(),
                        device.name().isBlank() ? device.model() + " " + device.serialNumber() : device.name(),
                        device.serialNumber(), device.model(), "", Optional.empty(), Optional.empty(), ComplianceState.UNKNOWN,
                        Optional.empty(), Optional.empty(), Optional.of(actor.toString()), Optional.empty(), now, now, 1));
                hardwareIds.add(device.hardwareIds());
                tags.add(device.tags());
            }
            try {
                store.insertAll(tx.connection(), rows, hardwareIds, tags);
            } catch (SQLException e) {
                if (Dialect.isConstraintViolation(e)) {
                    throw new DeviceConflictException("a hardware identifier in the import belongs to a known device");
                }
                throw e;
            }
            List<DeviceId> ids = rows.stream().map(DeviceStore.Row::id).toList();
            audit.append(tx, new AuditRecord(actor, "device.import", "device-import", ids.get(0).toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("devices", ids.size())))));
            events.record(tx, Event.of("device.imported", "kernel", Map.of("devices", ids.size())));
            if (!listeners.isEmpty()) {
                for (int i = 0; i < rows.size(); i++) {
                    DeviceStore.Row row = rows.get(i);
                    DeviceRecord after = new DeviceRecord(new Device(row.id(), row.platform(), row.status(), row.ownership(),
                            row.name(), row.serialNumber(), row.model(), row.osVersion(), hardwareIds.get(i), Optional.empty(),
                            Optional.empty(), row.compliance(), Optional.empty(), Optional.empty(), tags.get(i), Map.of()),
                            row.version(), row.enrolledBy(), Optional.empty(), now, now);
                    notifyListeners(tx, Optional.empty(), after);
                }
            }
            return ids;
        });
    }

    /**
     * Applies an admin's changes.
     *
     * @param expectedVersion the version the admin saw; a different current version is a conflict
     * @throws DeviceConflictException when the device changed meanwhile
     */
    public Optional<DeviceRecord> update(Actor actor, DeviceId id, DeviceChanges changes, OptionalLong expectedVersion) {
        return transactions.inTransaction("update device " + id, tx -> {
            Optional<DeviceRecord> current = store.findForUpdate(tx.connection(), id);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            DeviceRecord before = current.get();
            if (expectedVersion.isPresent() && expectedVersion.getAsLong() != before.version()) {
                throw new DeviceConflictException("device " + id + " is at version " + before.version()
                        + ", not " + expectedVersion.getAsLong() + "; reload it and apply the change again");
            }
            Device device = before.device();
            Optional<String> userId = changes.userId().isPresent()
                    ? changes.userId().filter(value -> !value.isBlank()) : device.userId();
            DeviceStore.Row row = rowOf(before, device.status(), changes.name().orElse(device.name()),
                    changes.ownership().orElse(device.ownership()), userId, device.compliance());
            try {
                writeRow(tx, row, before);
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new IllegalArgumentException("no user " + userId.orElse(""));
            }
            if (changes.tags().isPresent()) {
                store.replaceTags(tx.connection(), id, changes.tags().get());
            }
            if (changes.attributes().isPresent()) {
                store.replaceAttributes(tx.connection(), id, changes.attributes().get());
            }
            DeviceRecord after = store.find(tx.connection(), id).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "device.update", "device", id.toString(),
                    Optional.of(json.write(before.device())), Optional.of(json.write(after.device()))));
            events.record(tx, Event.of("device.updated", "kernel", Map.of("deviceId", id.toString())));
            notifyListeners(tx, Optional.of(before), after);
            return Optional.of(after);
        });
    }

    /**
     * Moves a device through its lifecycle.
     *
     * @throws DeviceConflictException when the transition is not allowed from the current state
     */
    public Optional<DeviceRecord> changeStatus(Actor actor, DeviceId id, DeviceStatus target, String reason) {
        return transactions.inTransaction("change the status of device " + id, tx -> changeStatus(tx, actor, id, target, reason));
    }

    /** As {@link #changeStatus(Actor, DeviceId, DeviceStatus, String)}, inside the caller's transaction. */
    public Optional<DeviceRecord> changeStatus(Tx tx, Actor actor, DeviceId id, DeviceStatus target, String reason) throws SQLException {
        Optional<DeviceRecord> current = store.findForUpdate(tx.connection(), id);
        if (current.isEmpty()) {
            return Optional.empty();
        }
        DeviceRecord before = current.get();
        DeviceStatus from = before.device().status();
        if (from == target) {
            return current;
        }
        if (!TRANSITIONS.get(from).contains(target)) {
            throw new DeviceConflictException("a " + from.name().toLowerCase() + " device cannot become "
                    + target.name().toLowerCase());
        }
        Device device = before.device();
        writeRow(tx, rowOf(before, target, device.name(), device.ownership(), device.userId(), device.compliance()), before);
        DeviceRecord after = store.find(tx.connection(), id).orElseThrow();
        audit.append(tx, new AuditRecord(actor, "device.status." + target.name().toLowerCase(), "device", id.toString(),
                Optional.of(json.write(Map.of("status", from, "reason", reason))),
                Optional.of(json.write(Map.of("status", target, "reason", reason)))));
        events.record(tx, Event.of("device.status_changed", "kernel", Map.of("deviceId", id.toString(),
                "from", from.name(), "to", target.name(), "reason", reason)));
        notifyListeners(tx, current, after);
        return Optional.of(after);
    }

    /** Records the compliance verdict, inside the compliance evaluator's transaction. */
    public Optional<DeviceRecord> setCompliance(Tx tx, DeviceId id, ComplianceState compliance) throws SQLException {
        Optional<DeviceRecord> current = store.findForUpdate(tx.connection(), id);
        if (current.isEmpty() || current.get().device().compliance() == compliance) {
            return current;
        }
        DeviceRecord before = current.get();
        Device device = before.device();
        writeRow(tx, rowOf(before, device.status(), device.name(), device.ownership(), device.userId(), compliance), before);
        DeviceRecord after = store.find(tx.connection(), id).orElseThrow();
        notifyListeners(tx, current, after);
        return Optional.of(after);
    }

    /**
     * Records that a device was in touch. Devices talk many times a minute while they work through commands, so the
     * time is kept to {@link #CHECK_IN_RESOLUTION}: a check-in within that of the recorded one writes nothing and
     * publishes no event. It never moves backwards.
     */
    public void recordCheckIn(DeviceId id, Instant at) {
        Instant recordedBefore = at.minus(CHECK_IN_RESOLUTION);
        Instant known = checkInsKnown.getIfPresent(id);
        if (known != null && !known.isBefore(recordedBefore)) {
            return; // the store holds a check-in at or after `known`: the update below would change nothing
        }
        boolean moved = transactions.inTransaction("record a check-in",
                tx -> store.touchCheckIn(tx.connection(), id, at, recordedBefore));
        // Written: the store holds `at`. Not written: it holds one at or after `recordedBefore`.
        checkInsKnown.asMap().merge(id, moved ? at : recordedBefore, (old, seen) -> old.isAfter(seen) ? old : seen);
        if (moved) {
            bus.publish(Event.of(EventTypes.DEVICE_CHECKED_IN, "kernel", Map.of("deviceId", id.toString(), "at", at.toString())));
        }
    }

    /**
     * Stores reported inventory. The well-known keys {@code os.version}, {@code model}, {@code serial.number} and
     * {@code device.name} also update the device's own fields.
     */
    public void recordInventory(Actor actor, DeviceId id, Map<String, String> inventory) {
        if (inventory.isEmpty()) {
            return;
        }
        storeInventory(actor, id, Optional.empty(), inventory);
    }

    /** Sets how much inventory devices may report ({@code inventory.*}); {@link InventoryLimits#DEFAULTS} until then. */
    public void setInventoryLimits(InventoryLimits limits) {
        this.inventoryLimits = requireNonNull(limits, "limits is null");
    }

    /**
     * Stores a complete report of the keys under {@code prefix}, such as every installed app: as
     * {@link #recordInventory}, and in the same transaction removes the stored keys under the prefix it does not carry.
     * An empty report under the prefix removes them all.
     */
    public void replaceInventory(Actor actor, DeviceId id, String prefix, Map<String, String> inventory) {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(inventory, "inventory is null");
        if (prefix.isBlank()) {
            throw new IllegalArgumentException("a blank prefix would remove every inventory key the report lacks");
        }
        storeInventory(actor, id, Optional.of(prefix), inventory);
    }

    /**
     * Stores a report within the {@link InventoryLimits}: a device over its rate has the report refused, and a report
     * over the other limits is cut; either way with a warning logged and a {@code device.inventory_limited} event, and
     * a cut report leaves {@link InventoryLimits#LIMITED_MARKER} in the inventory saying what was left out.
     */
    private void storeInventory(Actor actor, DeviceId id, Optional<String> completePrefix, Map<String, String> report) {
        InventoryLimits limits = inventoryLimits;
        int reports = reportsThisMinute.get(id, device -> new AtomicInteger()).incrementAndGet();
        if (reports > limits.maxReportsPerMinute()) {
            if (reports == limits.maxReportsPerMinute() + 1) {
                // Once a minute at most: a device flooding reports must not flood the log and the event log too.
                log.warn("Device {} reports inventory more than {} times a minute; its reports are refused for the rest of the minute",
                        id, limits.maxReportsPerMinute());
                transactions.inTransaction("record refused inventory", tx -> {
                    events.record(tx, Event.of("device.inventory_limited", actor.id(), Map.of("deviceId", id.toString(),
                            "refused", "more than " + limits.maxReportsPerMinute() + " reports a minute")));
                    return null;
                });
            }
            return;
        }
        if (changesNothing(id, completePrefix, report, limits)) {
            return;
        }
        transactions.inTransaction("record inventory", tx -> {
            if (!writeReport(tx, actor, id, completePrefix, report, limits)) {
                throw new IllegalArgumentException("no device " + id);
            }
            return null;
        });
    }

    /**
     * Stores several devices' reports in one transaction, each as {@link #recordInventory} stores it: a platform
     * program's list of devices (Apple's device assignment service) tells about a thousand at once, which one
     * transaction each would take many seconds to write. A report over the rate limit is stored all the same (the
     * list is the platform's, not the devices' own chatter); devices that do not exist are left out.
     *
     * @return how many of the devices exist
     */
    public int recordInventories(Actor actor, Map<DeviceId, Map<String, String>> reports) {
        requireNonNull(reports, "reports is null");
        InventoryLimits limits = inventoryLimits;
        List<Map.Entry<DeviceId, Map<String, String>>> nonEmpty = reports.entrySet().stream()
                .filter(report -> !report.getValue().isEmpty())
                // One order for every batch, so that two batches lock their devices without a deadlock.
                .sorted(Comparator.comparing(report -> report.getKey().toString())).toList();
        if (nonEmpty.isEmpty()) {
            return 0;
        }
        return transactions.inTransaction("record inventory of devices", tx -> {
            int found = 0;
            for (Map.Entry<DeviceId, Map<String, String>> report : nonEmpty) {
                if (writeReport(tx, actor, report.getKey(), Optional.empty(), report.getValue(), limits)) {
                    found++;
                }
            }
            return found;
        });
    }

    /** One device's report written in the caller's transaction; false when there is no such device. */
    private boolean writeReport(Tx tx, Actor actor, DeviceId id, Optional<String> completePrefix, Map<String, String> report,
                                InventoryLimits limits) throws SQLException {
        Optional<DeviceStore.Facts> facts = store.lockFacts(tx.connection(), id);
        if (facts.isEmpty()) {
            return false;
        }
        Map<String, String> stored = store.inventory(tx.connection(), id);
        InventoryLimits.Bounded bounded = limits.bound(stored.keySet(), completePrefix, report);
        Map<String, String> inventory = new LinkedHashMap<>(bounded.items());
        if (bounded.limited()) {
            String what = bounded.droppedKeys() + " of " + report.size() + " keys dropped, " + bounded.truncatedValues()
                    + " values truncated";
            log.warn("Device {} reported inventory over the limits (inventory.*): {}", id, what);
            inventory.put(InventoryLimits.LIMITED_MARKER, clock.instant() + ": " + what);
            events.record(tx, Event.of("device.inventory_limited", actor.id(), Map.of("deviceId", id.toString(),
                    "droppedKeys", bounded.droppedKeys(), "truncatedValues", bounded.truncatedValues())));
        }
        // Only what changed is written; a report that changes nothing (most of them) writes nothing and tells no one.
        DeviceStore.InventoryWrite written = store.writeInventory(tx.connection(), id, stored, inventory, completePrefix, clock.instant());
        DeviceStore.Facts known = facts.get();
        String osVersion = inventory.getOrDefault("os.version", known.osVersion());
        String model = inventory.getOrDefault("model", known.model());
        String serial = inventory.getOrDefault("serial.number", known.serialNumber());
        String name = inventory.getOrDefault("device.name", known.name());
        if (!osVersion.equals(known.osVersion()) || !model.equals(known.model()) || !serial.equals(known.serialNumber())
                || !name.equals(known.name())) {
            Optional<DeviceRecord> current = store.find(tx.connection(), id);
            DeviceRecord before = current.orElseThrow();
            Device device = before.device();
            DeviceStore.Row row = new DeviceStore.Row(id, device.platform(), device.status(), device.ownership(), name,
                    serial, model, osVersion, device.userId(), device.enrollmentMethod(), device.compliance(),
                    device.enrolledAt(), device.lastCheckIn(), before.enrolledBy(), before.enrollmentTokenId(),
                    before.createdAt(), clock.instant(), before.version() + 1);
            writeRow(tx, row, before);
            DeviceRecord after = store.find(tx.connection(), id).orElseThrow();
            notifyListeners(tx, current, after);
        }
        if (written.any()) {
            events.record(tx, Event.of("device.inventory_updated", actor.id(), Map.of("deviceId", id.toString(),
                    "items", inventory.size(), "changed", written.added() + written.changed(), "removed", written.removed())));
            for (InventoryListener listener : inventoryListeners) {
                listener.reported(tx, id, inventory);
            }
        }
        return true;
    }

    /**
     * Whether a report would change nothing that is stored now: no inventory item, none of the device's facts (name,
     * serial number, model, OS version), nothing over the limits. Most reports repeat what the device said before, and
     * this answers that with one read and no transaction, where recording takes a lock and three statements. Correct
     * without the lock: a report equal to what was committed when it was read is ordered before any change committed
     * after that read, and writes nothing either way.
     */
    private boolean changesNothing(DeviceId id, Optional<String> completePrefix, Map<String, String> report, InventoryLimits limits) {
        Optional<DeviceStore.Reported> stored = read("read the inventory of device " + id, connection -> store.reported(connection, id));
        if (stored.isEmpty()) {
            return false; // no such device: the transaction says so
        }
        InventoryLimits.Bounded bounded = limits.bound(stored.get().inventory().keySet(), completePrefix, report);
        if (bounded.limited() || DeviceStore.inventoryChanges(stored.get().inventory(), bounded.items(), completePrefix)) {
            return false;
        }
        DeviceStore.Facts known = stored.get().facts();
        Map<String, String> items = bounded.items();
        return Objects.equals(items.getOrDefault("os.version", known.osVersion()), known.osVersion())
                && Objects.equals(items.getOrDefault("model", known.model()), known.model())
                && Objects.equals(items.getOrDefault("serial.number", known.serialNumber()), known.serialNumber())
                && Objects.equals(items.getOrDefault("device.name", known.name()), known.name());
    }

    /**
     * Writes a device's row over the version it was read at. Every update of a device goes through here, so a change of
     * its status is never missed by the status cache: announced to every node in the transaction, and dropped from this
     * node's cache once it has committed.
     */
    private void writeRow(Tx tx, DeviceStore.Row row, DeviceRecord before) throws SQLException {
        store.update(tx.connection(), row, before.version());
        if (row.status() != before.device().status()) {
            changes.publish(tx, STATUS_TOPIC, row.id().toString());
            tx.afterCommit(() -> statuses.invalidate(row.id()));
        }
    }

    private DeviceStore.Row rowOf(DeviceRecord before, DeviceStatus status, String name, Ownership ownership,
                                  Optional<String> userId, ComplianceState compliance) {
        Device device = before.device();
        return new DeviceStore.Row(device.id(), device.platform(), status, ownership, name, device.serialNumber(),
                device.model(), device.osVersion(), userId, device.enrollmentMethod(), compliance, device.enrolledAt(),
                device.lastCheckIn(), before.enrolledBy(), before.enrollmentTokenId(), before.createdAt(), clock.instant(),
                before.version() + 1);
    }

    private void notifyListeners(Tx tx, Optional<DeviceRecord> before, DeviceRecord after) throws SQLException {
        for (DeviceChangeListener listener : listeners) {
            listener.changed(tx, before, after);
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T read(String what, Read<T> read) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return read.run(connection);
        } catch (SQLException e) {
            throw new StorageException("Cannot " + what, e);
        }
    }
}
