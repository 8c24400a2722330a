package dev.shepherd.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.policy.EffectivePolicy;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.cluster.ChangeFeed;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandService;
import dev.shepherd.command.IssueOutcome;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.GroupService;
import dev.shepherd.json.Json;
import dev.shepherd.storage.DeviceWorkQueue;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.SqlLists;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Policies, their assignment to groups, each device's effective policy, and desired versus actual state.
 *
 * <p>When a policy, an assignment or a device's group membership changes, the affected devices are queued (in
 * the same transaction) for reconciliation; {@link #reconcilePending()} drains the queue in the background. To
 * reconcile a device is to compare its effective settings with what it was last asked to apply and queue only the
 * difference: an install command per new or changed setting, a removal per setting no longer wanted, nothing for
 * a setting its platform does not support (recorded as such).
 */
public final class PolicyService {

    private static final Logger log = LoggerFactory.getLogger(PolicyService.class);

    private static final TypeReference<List<Map<String, Object>>> SETTINGS = new TypeReference<>() {
    };
    private static final String SELECT = """
            SELECT id, name, description, settings, version, updated_by, created_at, updated_at FROM policy""";
    private static final Actor RECONCILER = Actor.SYSTEM;

    private final Transactions transactions;
    private final DeviceService devices;
    private final CommandService commands;
    private final AuditLog audit;
    private final EventLog events;
    private final Json json;
    private final ObjectMapper canonical;
    private final SettingTypes types;
    private final SettingMerger merger;
    private final Clock clock;
    private volatile Function<Platform, Optional<Set<String>>> platformSupport = platform -> Optional.empty();
    private final DeviceWorkQueue queue;
    private final SettingSecrets secrets;
    private final Cache<DeviceId, List<EffectiveSetting>> effective = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(10)).build();

    /** The change-feed topic of a device's effective policy; the key is the device id, or {@link #EVERY_DEVICE}. */
    static final String EFFECTIVE_TOPIC = "policy.effective";
    /** One change for many devices at once, so a large group's change is one feed row. */
    static final String EVERY_DEVICE = "*";
    private static final int DEVICES_ANNOUNCED_ONE_BY_ONE = 100;
    /** Devices reconciled in one transaction: few enough that it stays short, enough that its fixed costs are shared. */
    static final int DEVICES_PER_TRANSACTION = 50;

    private final ChangeFeed changes;

    /**
     * @param changes where changes to devices' effective policy are announced to the other nodes, and heard from them
     */
    public PolicyService(Transactions transactions, DeviceService devices, GroupService groups, CommandService commands,
                         AuditLog audit, EventLog events, SettingTypes types, SettingSecrets secrets, Json json, Clock clock,
                         ChangeFeed changes) {
        this.changes = requireNonNull(changes, "changes is null");
        changes.subscribe(EFFECTIVE_TOPIC, key -> {
            if (key.equals(EVERY_DEVICE)) {
                effective.invalidateAll();
            } else {
                effective.invalidate(DeviceId.parse(key));
            }
        }, effective::invalidateAll);
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.canonical = json.mapper().copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
        this.types = requireNonNull(types, "types is null");
        this.merger = new SettingMerger(types, json.mapper());
        this.clock = requireNonNull(clock, "clock is null");
        this.queue = new DeviceWorkQueue("policy_reconcile_queue", transactions, clock);
        groups.addMembershipListener((tx, changed) -> {
            for (DeviceId device : changed) {
                queue.enqueue(tx, device);
            }
            if (changed.size() > DEVICES_ANNOUNCED_ONE_BY_ONE) {
                changes.publish(tx, EFFECTIVE_TOPIC, EVERY_DEVICE);
            } else {
                for (DeviceId device : changed) {
                    changes.publish(tx, EFFECTIVE_TOPIC, device.toString());
                }
            }
            tx.afterCommit(() -> effective.invalidateAll(changed));
        });
        devices.addChangeListener((tx, before, after) -> {
            boolean statusChanged = before.isPresent() && before.get().device().status() != after.device().status();
            boolean platformChanged = before.isPresent() && !before.get().device().platform().equals(after.device().platform());
            if (statusChanged || platformChanged) {
                queue.enqueue(tx, after.device().id());
            }
        });
        commands.addResultListener(this::commandAnswered);
    }

    /** Tells the service which setting types each platform supports, from the platform plugins. */
    public void setPlatformSupport(Function<Platform, Optional<Set<String>>> platformSupport) {
        this.platformSupport = requireNonNull(platformSupport, "platformSupport is null");
    }

    public SettingTypes settingTypes() {
        return types;
    }

    /** How the secrets inside settings are sealed at rest and opened for plugins. */
    public SettingSecrets secrets() {
        return secrets;
    }

    // ---- policies ----

    public List<Policy> list() {
        return query(SELECT + " ORDER BY name", List.of());
    }

    public Optional<Policy> get(String id) {
        return query(SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /**
     * @throws InvalidSettingsException when a setting does not validate
     * @throws PolicyConflictException when the name is taken
     */
    public Policy create(Actor actor, String name, String description, List<SettingInput> inputs) {
        checkName(name);
        List<Setting> validated = validate(inputs);
        checkCertificateReferences(validated, Optional.empty());
        List<Setting> settings = sealed(validated, Optional.empty());
        String id = UUID.randomUUID().toString();
        transactions.inTransaction("create a policy", tx -> {
            Instant now = clock.instant();
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO policy (id, name, description, settings, version, created_by, created_at, updated_by, updated_at)
                    VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)""")) {
                insert.setString(1, id);
                insert.setString(2, name);
                insert.setString(3, description);
                insert.setString(4, writeSettings(settings));
                insert.setString(5, actor.toString());
                insert.setTimestamp(6, Timestamp.from(now));
                insert.setString(7, actor.toString());
                insert.setTimestamp(8, Timestamp.from(now));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new PolicyConflictException("a policy named '" + name + "' exists already");
            }
            recordVersion(tx, id, 1, name, settings, actor, now);
            audit.append(tx, new AuditRecord(actor, "policy.create", "policy", id, Optional.empty(),
                    Optional.of(json.write(Map.of("name", name, "settings", redacted(settings))))));
            events.record(tx, Event.of("policy.created", "kernel", Map.of("policyId", id)));
            return null;
        });
        return get(id).orElseThrow();
    }

    /**
     * Replaces a policy's name, description and settings.
     *
     * @param expectedVersion the version the admin edited (If-Match); a different current version is a conflict
     * @throws PolicyConflictException when the policy changed meanwhile or the name is taken
     */
    public Optional<Policy> update(Actor actor, String id, String name, String description, List<SettingInput> inputs,
                                   OptionalLong expectedVersion) {
        return replace(actor, id, name, description, inputs, expectedVersion, "policy.update", OptionalLong.empty());
    }

    /**
     * Rolls a policy back to one of its versions: a new version whose name and settings are the old version's (the
     * description stays as it is, since versions do not keep it). The settings are validated against today's setting
     * types, so a type no plugin offers any more, or a schema that changed, is refused rather than restored blindly.
     *
     * @param version the version to return to
     * @param expectedVersion the version the admin looked at (If-Match); a different current version is a conflict
     * @return the policy after, or empty when the policy or the version does not exist
     * @throws PolicyConflictException when the policy changed meanwhile or the old name is taken by another policy
     * @throws InvalidSettingsException when an old setting no longer validates
     */
    public Optional<Policy> rollback(Actor actor, String id, long version, OptionalLong expectedVersion) {
        Optional<Policy> current = get(id);
        Optional<Policy> target = version(id, version);
        if (current.isEmpty() || target.isEmpty()) {
            return Optional.empty();
        }
        List<SettingInput> inputs = target.get().settings().stream()
                .map(setting -> new SettingInput(setting.type(), json.mapper().valueToTree(secrets.openMap(setting.value()))))
                .toList();
        return replace(actor, id, target.get().name(), current.get().description(), inputs, expectedVersion, "policy.rollback",
                OptionalLong.of(version));
    }

    private Optional<Policy> replace(Actor actor, String id, String name, String description, List<SettingInput> inputs,
                                     OptionalLong expectedVersion, String auditAction, OptionalLong rolledBackTo) {
        checkName(name);
        Optional<Policy> stored = get(id);
        List<Setting> validated = validate(keptSecrets(stored, inputs));
        checkCertificateReferences(validated, Optional.of(id));
        List<Setting> settings = sealed(validated, stored);
        Optional<Policy> updated = transactions.inTransaction("update a policy", tx -> {
            Optional<Policy> current = lock(tx, id);
            if (current.isEmpty()) {
                return Optional.<Policy>empty();
            }
            Policy before = current.get();
            if (expectedVersion.isPresent() && expectedVersion.getAsLong() != before.version()) {
                throw new PolicyConflictException("policy " + id + " is at version " + before.version() + ", not "
                        + expectedVersion.getAsLong() + "; reload it and apply your change again");
            }
            Instant now = clock.instant();
            long version = before.version() + 1;
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE policy SET name = ?, description = ?, settings = ?, version = ?, updated_by = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, name);
                update.setString(2, description);
                update.setString(3, writeSettings(settings));
                update.setLong(4, version);
                update.setString(5, actor.toString());
                update.setTimestamp(6, Timestamp.from(now));
                update.setString(7, id);
                update.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new PolicyConflictException("a policy named '" + name + "' exists already");
            }
            recordVersion(tx, id, version, name, settings, actor, now);
            Map<String, Object> after = new LinkedHashMap<>();
            after.put("name", name);
            after.put("version", version);
            rolledBackTo.ifPresent(old -> after.put("rolledBackTo", old));
            after.put("settings", redacted(settings));
            audit.append(tx, new AuditRecord(actor, auditAction, "policy", id,
                    Optional.of(json.write(Map.of("name", before.name(), "version", before.version(), "settings", redacted(before.settings())))),
                    Optional.of(json.write(after))));
            events.record(tx, Event.of("policy.updated", "kernel", Map.of("policyId", id, "version", version)));
            enqueueAssigned(tx, id);
            changes.publish(tx, EFFECTIVE_TOPIC, EVERY_DEVICE);
            tx.afterCommit(effective::invalidateAll);
            return find(tx.connection(), id);
        });
        return updated;
    }

    /** @return false when there is no such policy */
    public boolean delete(Actor actor, String id, OptionalLong expectedVersion) {
        return transactions.inTransaction("delete a policy", tx -> {
            Optional<Policy> current = lock(tx, id);
            if (current.isEmpty()) {
                return false;
            }
            if (expectedVersion.isPresent() && expectedVersion.getAsLong() != current.get().version()) {
                throw new PolicyConflictException("policy " + id + " is at version " + current.get().version() + ", not "
                        + expectedVersion.getAsLong());
            }
            enqueueAssigned(tx, id);
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM policy WHERE id = ?")) {
                delete.setString(1, id);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "policy.delete", "policy", id,
                    Optional.of(json.write(Map.of("name", current.get().name(), "version", current.get().version()))), Optional.empty()));
            events.record(tx, Event.of("policy.deleted", "kernel", Map.of("policyId", id)));
            changes.publish(tx, EFFECTIVE_TOPIC, EVERY_DEVICE);
            tx.afterCommit(effective::invalidateAll);
            return true;
        });
    }

    /** Every version of a policy, newest first. */
    public List<Policy> versions(String id) {
        return versions(id, OptionalLong.empty());
    }

    /**
     * One version of a policy as it was saved (its description is the policy's current one: versions do not keep it).
     *
     * @return empty when the policy or that version does not exist
     */
    public Optional<Policy> version(String id, long version) {
        return versions(id, OptionalLong.of(version)).stream().findFirst();
    }

    /**
     * What changed from one version of a policy to another, setting by setting and field by field, with the labels of
     * the settings' schemas; secret fields say only whether they changed.
     *
     * @return empty when the policy or either version does not exist
     */
    public Optional<PolicyDiff> diff(String id, long from, long to) {
        Optional<Policy> before = version(id, from);
        Optional<Policy> after = version(id, to);
        if (before.isEmpty() || after.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(PolicyDiff.between(before.get(), after.get(), types, secrets::open));
    }

    private List<Policy> versions(String id, OptionalLong only) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("""
                     SELECT v.policy_id, v.name, p.description, v.settings, v.version, v.changed_by, p.created_at, v.changed_at
                     FROM policy_version v JOIN policy p ON p.id = v.policy_id WHERE v.policy_id = ?"""
                     + (only.isPresent() ? " AND v.version = ?" : "") + " ORDER BY v.version DESC")) {
            select.setString(1, id);
            if (only.isPresent()) {
                select.setLong(2, only.getAsLong());
            }
            List<Policy> versions = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    versions.add(policyOf(rows));
                }
            }
            return versions;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the versions of policy " + id, e);
        }
    }

    // ---- assignments ----

    /**
     * Assigns a policy to a group, or changes the priority of an existing assignment.
     *
     * @throws IllegalArgumentException when the policy or group does not exist, or the priority is out of range
     */
    public PolicyAssignment assign(Actor actor, String policyId, String groupId, int priority) {
        if (priority < -1000 || priority > 1000) {
            throw new IllegalArgumentException("priority must be between -1000 and 1000");
        }
        return transactions.inTransaction("assign a policy", tx -> {
            if (lock(tx, policyId).isEmpty()) {
                throw new IllegalArgumentException("no policy " + policyId);
            }
            if (!exists(tx.connection(), "SELECT 1 FROM device_group WHERE id = ?", groupId)) {
                throw new IllegalArgumentException("no group " + groupId);
            }
            Instant now = clock.instant();
            Optional<PolicyAssignment> before = assignment(tx.connection(), policyId, groupId);
            if (before.isPresent()) {
                try (PreparedStatement update = tx.connection().prepareStatement(
                        "UPDATE policy_assignment SET priority = ? WHERE policy_id = ? AND group_id = ?")) {
                    update.setInt(1, priority);
                    update.setString(2, policyId);
                    update.setString(3, groupId);
                    update.executeUpdate();
                }
            } else {
                try (PreparedStatement insert = tx.connection().prepareStatement(
                        "INSERT INTO policy_assignment (policy_id, group_id, priority, created_by, created_at) VALUES (?, ?, ?, ?, ?)")) {
                    insert.setString(1, policyId);
                    insert.setString(2, groupId);
                    insert.setInt(3, priority);
                    insert.setString(4, actor.toString());
                    insert.setTimestamp(5, Timestamp.from(now));
                    insert.executeUpdate();
                }
            }
            audit.append(tx, new AuditRecord(actor, "policy.assign", "policy", policyId,
                    before.map(assignment -> json.write(Map.of("groupId", groupId, "priority", assignment.priority()))),
                    Optional.of(json.write(Map.of("groupId", groupId, "priority", priority)))));
            events.record(tx, Event.of("policy.assigned", "kernel", Map.of("policyId", policyId, "groupId", groupId, "priority", priority)));
            enqueueGroup(tx, groupId);
            changes.publish(tx, EFFECTIVE_TOPIC, EVERY_DEVICE);
            tx.afterCommit(effective::invalidateAll);
            return assignment(tx.connection(), policyId, groupId).orElseThrow();
        });
    }

    /** @return false when the policy was not assigned to the group */
    public boolean unassign(Actor actor, String policyId, String groupId) {
        return transactions.inTransaction("unassign a policy", tx -> {
            Optional<PolicyAssignment> before = assignment(tx.connection(), policyId, groupId);
            if (before.isEmpty()) {
                return false;
            }
            enqueueGroup(tx, groupId);
            try (PreparedStatement delete = tx.connection().prepareStatement(
                    "DELETE FROM policy_assignment WHERE policy_id = ? AND group_id = ?")) {
                delete.setString(1, policyId);
                delete.setString(2, groupId);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "policy.unassign", "policy", policyId,
                    Optional.of(json.write(Map.of("groupId", groupId, "priority", before.get().priority()))), Optional.empty()));
            events.record(tx, Event.of("policy.unassigned", "kernel", Map.of("policyId", policyId, "groupId", groupId)));
            changes.publish(tx, EFFECTIVE_TOPIC, EVERY_DEVICE);
            tx.afterCommit(effective::invalidateAll);
            return true;
        });
    }

    public List<PolicyAssignment> assignments(Optional<String> policyId, Optional<String> groupId) {
        String sql = "SELECT policy_id, group_id, priority, created_by, created_at FROM policy_assignment WHERE 1 = 1"
                + (policyId.isPresent() ? " AND policy_id = ?" : "") + (groupId.isPresent() ? " AND group_id = ?" : "")
                + " ORDER BY priority DESC, policy_id";
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            int index = 1;
            if (policyId.isPresent()) {
                select.setString(index++, policyId.get());
            }
            if (groupId.isPresent()) {
                select.setString(index, groupId.get());
            }
            List<PolicyAssignment> assignments = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    assignments.add(assignmentOf(rows));
                }
            }
            return assignments;
        } catch (SQLException e) {
            throw new StorageException("Cannot read policy assignments", e);
        }
    }

    // ---- effective policy and desired versus actual ----

    /** The settings that apply to a device now, merged by the conflict rules, with the policies each came from. */
    public List<EffectiveSetting> effectiveSettings(DeviceId device) {
        return effective.get(device, id -> {
            try (Connection connection = transactions.dataSource().getConnection()) {
                return compute(connection, id);
            } catch (SQLException e) {
                throw new StorageException("Cannot compute the effective policy of " + id, e);
            }
        });
    }

    /** The effective policy as plugins see it. */
    public EffectivePolicy effectivePolicy(DeviceId device) {
        List<EffectiveSetting> settings = effectiveSettings(device);
        return new EffectivePolicy(device, settings.stream().map(EffectiveSetting::setting).toList(), revision(settings));
    }

    /** What each setting's state is on a device. */
    public List<DeviceSettingState> settingStates(DeviceId device) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return new ArrayList<>(states(connection, device).values());
        } catch (SQLException e) {
            throw new StorageException("Cannot read the setting states of " + device, e);
        }
    }

    /**
     * Records what a device reports about one setting (a platform plugin reading the installed profiles, say).
     * Reports for settings the device is not meant to have are ignored.
     */
    public void reportActual(DeviceId device, String settingKey, SettingState state, Optional<String> reason) {
        transactions.inTransaction("record a setting state", tx -> {
            updateState(tx.connection(), device, settingKey, state, reason, Optional.empty());
            return null;
        });
    }

    /**
     * Reconciles queued devices until none is left, {@value #DEVICES_PER_TRANSACTION} per transaction (a failing
     * transaction's devices go again one each); returns how many it reconciled.
     */
    public int reconcilePending() {
        return reconcilePending(DeviceWorkQueue.UNTIL_EMPTY);
    }

    /**
     * As {@link #reconcilePending()}, but starts no further transaction once {@code slice} has passed, leaving the
     * rest queued: the background job, which shares its thread with the other periodic jobs.
     */
    public int reconcilePending(Duration slice) {
        DrainCache hashes = new DrainCache();
        return queue.drain("reconcile devices' policy", DEVICES_PER_TRANSACTION, (tx, devices) -> reconcile(tx, devices, hashes), slice);
    }

    /** Brings one device's desired state in line with its effective policy, queuing only the difference. */
    public void reconcile(DeviceId device) {
        transactions.inTransaction("reconcile a device's policy", tx -> {
            reconcile(tx, List.of(device), new DrainCache());
            // Last, so the queue row is locked only for a moment.
            queue.dequeue(tx, device);
            return null;
        });
    }

    /**
     * Reconciles devices in the caller's transaction: each device's rows and effective policy are read for all of them
     * at once, each device's commands are queued together ({@link CommandService#issueAll}), and the setting states and
     * audit entries (one per device that was sent something) are written in batches at the end.
     */
    private void reconcile(Tx tx, List<DeviceId> deviceIds, DrainCache hashes) throws SQLException {
        Connection connection = tx.connection();
        Map<DeviceId, DeviceRecord> records = devices.getAll(tx, deviceIds);
        Map<DeviceId, Map<String, StoredSetting>> stored = storedSettings(connection, deviceIds);
        List<DeviceId> managed = records.values().stream().filter(record -> isManaged(record.device().status()))
                .map(record -> record.device().id()).toList();
        Map<DeviceId, List<EffectiveSetting>> wanted = compute(connection, managed, hashes);
        SettingWrites writes = new SettingWrites(clock.instant());
        List<AuditRecord> audits = new ArrayList<>();
        for (DeviceId device : deviceIds) {
            DeviceRecord record = records.get(device);
            if (record == null) {
                continue;
            }
            reconcile(tx, record, stored.getOrDefault(device, Map.of()), wanted.getOrDefault(device, List.of()), hashes, writes)
                    .ifPresent(audits::add);
        }
        writes.apply(connection);
        audit.appendAll(tx, audits);
        List<DeviceId> reconciled = List.copyOf(records.keySet());
        changes.publishAll(tx, EFFECTIVE_TOPIC, reconciled.stream().map(DeviceId::toString).toList());
        tx.afterCommit(() -> effective.invalidateAll(reconciled));
    }

    private static boolean isManaged(DeviceStatus status) {
        return status == DeviceStatus.ENROLLED || status == DeviceStatus.QUARANTINED || status == DeviceStatus.PENDING;
    }

    /** One device's difference: its commands queued, its setting writes collected; returns its audit record, if any. */
    private Optional<AuditRecord> reconcile(Tx tx, DeviceRecord record, Map<String, StoredSetting> current, List<EffectiveSetting> wanted,
                                            DrainCache hashes, SettingWrites writes) throws SQLException {
        DeviceId device = record.device().id();
        boolean managed = isManaged(record.device().status());
        Optional<Set<String>> supported = platformSupport.apply(record.device().platform());
        Set<String> keep = new HashSet<>();
        Map<String, Setting> certificates = certificatesByName(wanted);
        List<EffectiveSetting> toInstall = new ArrayList<>();
        List<String> installHashes = new ArrayList<>();
        List<CommandRequest> requests = new ArrayList<>();
        for (EffectiveSetting setting : wanted) {
            String key = setting.setting().key();
            keep.add(key);
            String hash = hashes.deliveryHash(setting.setting(), certificates);
            StoredSetting before = current.get(key);
            if (before != null && hash.equals(before.desiredHash())) {
                continue;
            }
            if (supported.isPresent() && !supported.get().contains(setting.setting().type())) {
                writes.upsert(device, before != null, setting, hash, SettingState.NOT_SUPPORTED,
                        Optional.of(record.device().platform() + " has no equivalent of " + setting.setting().type()), Optional.empty());
                continue;
            }
            cancelOutstanding(tx, before == null ? null : before.state());
            toInstall.add(setting);
            installHashes.add(hash);
            requests.add(hashes.installRequest(setting.setting(), hash));
        }
        List<DeviceSettingState> stale = current.values().stream().map(StoredSetting::state)
                .filter(state -> !keep.contains(state.settingKey())).toList();
        for (DeviceSettingState state : stale) {
            cancelOutstanding(tx, state);
            if (managed && state.state() != SettingState.NOT_SUPPORTED) {
                requests.add(new CommandRequest(CommandType.REMOVE_PROFILE,
                        Map.of("settingKey", state.settingKey(), "settingType", state.settingType()), 0, Optional.empty()));
            }
            writes.delete(device, state.settingKey());
        }
        List<IssueOutcome> outcomes = requests.isEmpty() ? List.of() : commands.issueAll(tx, RECONCILER, record, requests);
        List<String> installs = new ArrayList<>();
        for (int i = 0; i < toInstall.size(); i++) {
            EffectiveSetting setting = toInstall.get(i);
            boolean exists = current.containsKey(setting.setting().key());
            if (outcomes.get(i) instanceof IssueOutcome.Queued queued) {
                writes.upsert(device, exists, setting, installHashes.get(i), SettingState.PENDING, Optional.empty(),
                        Optional.of(queued.command().command().id().toString()));
                installs.add(setting.setting().key());
            } else {
                // The platform's own reason (a value it cannot express, a key only supervised devices take).
                writes.upsert(device, exists, setting, installHashes.get(i), SettingState.NOT_SUPPORTED,
                        Optional.of(((IssueOutcome.Refused) outcomes.get(i)).reason()), Optional.empty());
            }
        }
        List<String> removals = new ArrayList<>();
        for (int i = toInstall.size(); i < outcomes.size(); i++) {
            String key = (String) requests.get(i).parameters().get("settingKey");
            if (outcomes.get(i) instanceof IssueOutcome.Refused refused) {
                log.warn("Setting {} cannot be removed from {}: {}", key, device, refused.reason());
            } else {
                removals.add(key);
            }
        }
        if (installs.isEmpty() && removals.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AuditRecord(RECONCILER, "policy.reconcile", "device", device.toString(), Optional.empty(),
                Optional.of(json.write(Map.of("install", installs, "remove", removals)))));
    }

    /** A newer desired value, or none at all, makes an undelivered or unanswered install of the old one pointless. */
    private void cancelOutstanding(Tx tx, DeviceSettingState state) throws SQLException {
        if (state != null && state.state() == SettingState.PENDING && state.commandId().isPresent()) {
            commands.cancel(tx, UUID.fromString(state.commandId().get()));
        }
    }

    /** Install results update the setting's state, if the command still carries the desired value. */
    private void commandAnswered(Tx tx, CommandRecord command) throws SQLException {
        if (command.command().type() != CommandType.INSTALL_PROFILE || !(command.command().parameters().get("settingKey") instanceof String key)) {
            return;
        }
        CommandState state = command.command().state();
        SettingState settingState = switch (state) {
            case ACKNOWLEDGED -> SettingState.INSTALLED;
            case FAILED, EXPIRED, CANCELLED -> SettingState.FAILED;
            default -> null;
        };
        if (settingState == null) {
            return;
        }
        Optional<String> reason = state == CommandState.FAILED ? command.errorReason().or(() -> Optional.of("the device refused it"))
                : state == CommandState.ACKNOWLEDGED ? Optional.empty() : Optional.of("the command was " + state.name().toLowerCase());
        updateState(tx.connection(), command.command().deviceId(), key, settingState, reason, Optional.of(command.command().id().toString()));
    }

    private void updateState(Connection connection, DeviceId device, String key, SettingState state, Optional<String> reason,
                             Optional<String> onlyForCommand) throws SQLException {
        String sql = "UPDATE device_setting SET state = ?, reason = ?, updated_at = ? WHERE device_id = ? AND setting_key = ?"
                + (onlyForCommand.isPresent() ? " AND command_id = ?" : "");
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            update.setString(1, state.name());
            setNullable(update, 2, reason.map(text -> text.length() > 2000 ? text.substring(0, 2000) : text));
            update.setTimestamp(3, Timestamp.from(clock.instant()));
            update.setString(4, device.toString());
            update.setString(5, key);
            if (onlyForCommand.isPresent()) {
                update.setString(6, onlyForCommand.get());
            }
            update.executeUpdate();
        }
    }

    private List<EffectiveSetting> compute(Connection connection, DeviceId device) throws SQLException {
        return compute(connection, List.of(device), new DrainCache()).getOrDefault(device, List.of());
    }

    /**
     * The effective settings of several devices, from two statements: the policies assigned to their groups, and those
     * policies' rows. Devices with the same policies at the same priorities share one merge.
     */
    private Map<DeviceId, List<EffectiveSetting>> compute(Connection connection, List<DeviceId> devices, DrainCache cache)
            throws SQLException {
        if (devices.isEmpty()) {
            return Map.of();
        }
        Map<DeviceId, Map<String, Integer>> prioritiesByDevice = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT m.device_id, a.policy_id, a.priority FROM group_member m JOIN policy_assignment a ON a.group_id = m.group_id
                WHERE m.device_id IN (""" + SqlLists.placeholders(devices.size()) + ")")) {
            bindIds(select, devices);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    prioritiesByDevice.computeIfAbsent(DeviceId.parse(rows.getString(1).trim()), any -> new HashMap<>())
                            .merge(rows.getString(2).trim(), rows.getInt(3), Math::max);
                }
            }
        }
        Set<String> policyIds = new TreeSet<>();
        prioritiesByDevice.values().forEach(priorities -> policyIds.addAll(priorities.keySet()));
        Map<String, Policy> policies = new HashMap<>();
        if (!policyIds.isEmpty()) {
            try (PreparedStatement select = connection.prepareStatement(SELECT + " WHERE id IN (" + SqlLists.placeholders(policyIds.size()) + ")")) {
                int index = 1;
                for (String id : policyIds) {
                    select.setString(index++, id);
                }
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        Policy policy = cache.policy(rows.getString(1).trim(), rows.getLong(5), () -> policyOf(rows));
                        policies.put(policy.id(), policy);
                    }
                }
            }
        }
        Map<DeviceId, List<EffectiveSetting>> effective = new HashMap<>();
        for (Map.Entry<DeviceId, Map<String, Integer>> device : prioritiesByDevice.entrySet()) {
            Map<String, Integer> priorities = new HashMap<>(device.getValue());
            // A policy deleted since the first statement read its assignment no longer applies.
            priorities.keySet().retainAll(policies.keySet());
            Map<String, Integer> versioned = new HashMap<>();
            priorities.forEach((id, priority) -> versioned.put(id + "@" + policies.get(id).version(), priority));
            effective.put(device.getKey(), cache.merged(versioned, () -> {
                List<SettingMerger.Ranked> ranked = new ArrayList<>();
                for (Map.Entry<String, Integer> assigned : priorities.entrySet()) {
                    Policy policy = policies.get(assigned.getKey());
                    for (Setting setting : policy.settings()) {
                        ranked.add(new SettingMerger.Ranked(setting, policy.id(), assigned.getValue(), policy.name()));
                    }
                }
                return merger.merge(ranked);
            }));
        }
        return effective;
    }

    /**
     * What one drain of the queue computes once rather than per device: policies parsed, effective policies merged,
     * settings hashed, install requests built. Everything here depends only on policies as stored at a version (a new
     * version is a new entry), never on a device.
     */
    private final class DrainCache {
        private static final int MOST = 10_000;
        private final Map<String, Policy> policies = new HashMap<>();
        private final Map<Map<String, Integer>, List<EffectiveSetting>> merged = new HashMap<>();
        private final Map<Setting, String> hashes = new HashMap<>();
        private final Map<Setting, List<String>> certificateNames = new HashMap<>();
        private final Map<String, CommandRequest> installs = new HashMap<>();

        Policy policy(String id, long version, SqlSupplier<Policy> read) throws SQLException {
            String key = id + "@" + version;
            Policy policy = policies.get(key);
            if (policy == null) {
                policy = read.get();
                policies.put(key, policy);
            }
            return policy;
        }

        /** The merge of the policies at these priorities, keyed by {@code id@version}. */
        List<EffectiveSetting> merged(Map<String, Integer> versionedPriorities, Supplier<List<EffectiveSetting>> merge) {
            return bounded(merged).computeIfAbsent(Map.copyOf(versionedPriorities), any -> merge.get());
        }

        String deliveryHash(Setting setting, Map<String, Setting> certificates) {
            List<String> named = bounded(certificateNames).computeIfAbsent(setting, any -> certificateReferences(setting).stream()
                    .flatMap(reference -> reference.names().stream()).distinct().sorted().toList());
            if (named.isEmpty()) {
                return hash(setting);
            }
            StringBuilder text = new StringBuilder(hash(setting));
            for (String name : named) {
                text.append('\n').append(name).append('=').append(Optional.ofNullable(certificates.get(name)).map(this::hash).orElse("-"));
            }
            return HexFormat.of().formatHex(sha256(text.toString()));
        }

        String hash(Setting setting) {
            return bounded(hashes).computeIfAbsent(setting, PolicyService.this::hash);
        }

        /** The install command of a setting at a delivery hash, one object for every device that gets it. */
        CommandRequest installRequest(Setting setting, String deliveryHash) {
            return bounded(installs).computeIfAbsent(setting.key() + "\n" + deliveryHash + "\n" + hash(setting), any -> {
                Map<String, Object> parameters = new LinkedHashMap<>();
                parameters.put("settingKey", setting.key());
                parameters.put("settingType", setting.type());
                parameters.put("settingHash", deliveryHash);
                parameters.put("value", setting.value());
                return new CommandRequest(CommandType.INSTALL_PROFILE, parameters, 0, Optional.empty());
            });
        }

        /** A drain over a fleet whose settings all differ must not hold every one of them. */
        private static <K, V> Map<K, V> bounded(Map<K, V> cache) {
            if (cache.size() >= MOST) {
                cache.clear();
            }
            return cache;
        }
    }

    /** Reads a row or rows, as JDBC does: with SQLException. */
    @FunctionalInterface
    private interface SqlSupplier<T> {
        T get() throws SQLException;
    }

    private long revision(List<EffectiveSetting> settings) {
        StringBuilder all = new StringBuilder();
        settings.stream().map(EffectiveSetting::setting).sorted((a, b) -> a.key().compareTo(b.key()))
                .forEach(setting -> all.append(setting.key()).append('=').append(hash(setting)).append('\n'));
        byte[] digest = sha256(all.toString());
        long revision = 0;
        for (int i = 0; i < 8; i++) {
            revision = (revision << 8) | (digest[i] & 0xff);
        }
        return revision & Long.MAX_VALUE;
    }

    /** The device's certificate settings by name; the first of a name wins, as platforms look them up. */
    private static Map<String, Setting> certificatesByName(List<EffectiveSetting> settings) {
        Map<String, Setting> byName = new HashMap<>();
        for (EffectiveSetting effective : settings) {
            if (effective.setting().type().equals("certificate") && effective.setting().value().get("name") instanceof String name) {
                byName.putIfAbsent(name, effective.setting());
            }
        }
        return byName;
    }

    /** The canonical hash of a setting's value: the same value always hashes alike, whatever its key order. */
    private String hash(Setting setting) {
        try {
            return HexFormat.of().formatHex(sha256(setting.type() + "\n" + canonical.writeValueAsString(setting.value())));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a setting value is always JSON", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Checks settings against their types and derives their keys.
     *
     * @throws InvalidSettingsException listing every problem
     */
    public List<Setting> validate(List<SettingInput> inputs) {
        List<String> problems = new ArrayList<>();
        List<Setting> settings = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        if (inputs.size() > 500) {
            throw new InvalidSettingsException(List.of("a policy has at most 500 settings"));
        }
        for (int i = 0; i < inputs.size(); i++) {
            SettingInput input = inputs.get(i);
            String where = "settings[" + i + "] (" + input.type() + ")";
            Optional<SettingType> type = types.get(input.type());
            if (type.isEmpty()) {
                problems.add(where + ": unknown setting type; known: " + String.join(", ", types.all().keySet()));
                continue;
            }
            List<String> errors = types.validate(type.get(), input.value());
            if (!errors.isEmpty()) {
                errors.forEach(error -> problems.add(where + " " + error));
                continue;
            }
            String key = type.get().keyProperty()
                    .map(property -> type.get().name() + "/" + input.value().path(property).asText())
                    .orElse(type.get().name());
            if (!keys.add(key)) {
                problems.add(where + ": another setting has the key " + key);
                continue;
            }
            Map<String, Object> value = json.mapper().convertValue(input.value(),
                    json.mapper().getTypeFactory().constructMapType(LinkedHashMap.class, String.class, Object.class));
            settings.add(new Setting(type.get().name(), key, value));
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
        return settings;
    }

    /**
     * A property marked {@code x-shepherd-certificate} in its type's schema (a Wi-Fi network's or VPN's client identity,
     * a Wi-Fi network's server CAs) names certificate settings, which the platforms copy into the same native profile.
     * Each name must be a certificate setting of the kind the mark asks for ({@code identity}: PKCS12_IDENTITY or
     * SCEP_IDENTITY; {@code trust-anchor}: TRUSTED_ROOT), in this policy or another one, so that a wrong or missing name
     * is refused here rather than failing on every device. This policy's own certificate of a name comes first.
     *
     * @param ownId the policy being updated, whose stored settings the new ones replace
     * @throws InvalidSettingsException listing every reference that does not resolve
     */
    private void checkCertificateReferences(List<Setting> settings, Optional<String> ownId) {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> kindsHere = certificateKinds(settings);
        Map<String, Set<String>> kindsElsewhere = null;
        for (int i = 0; i < settings.size(); i++) {
            Setting setting = settings.get(i);
            for (CertificateReference reference : certificateReferences(setting)) {
                String wanted = reference.wanted();
                Set<String> allowed = wanted.equals("trust-anchor") ? Set.of("TRUSTED_ROOT") : Set.of("PKCS12_IDENTITY", "SCEP_IDENTITY");
                String takes = wanted.equals("trust-anchor") ? "a trusted root (TRUSTED_ROOT)" : "a client identity (PKCS12_IDENTITY or SCEP_IDENTITY)";
                for (String name : reference.names()) {
                    Set<String> kinds = kindsHere.get(name);
                    if (kinds == null) {
                        if (kindsElsewhere == null) {
                            kindsElsewhere = certificateKinds(list().stream().filter(policy -> ownId.map(id -> !id.equals(policy.id())).orElse(true))
                                    .flatMap(policy -> policy.settings().stream()).toList());
                        }
                        kinds = kindsElsewhere.get(name);
                    }
                    String where = "settings[" + i + "] (" + setting.type() + ") /" + reference.property() + ": ";
                    if (kinds == null) {
                        problems.add(where + "no certificate setting is named \"" + name + "\" in this or any other policy");
                    } else if (kinds.stream().noneMatch(allowed::contains)) {
                        problems.add(where + "\"" + name + "\" is a " + String.join(" and ", new TreeSet<>(kinds))
                                + " certificate setting; this field takes " + takes);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
    }

    /** The kinds of the certificate settings among these, by name. */
    /** A field of a setting that names certificate settings, of the kind its schema mark asks for. */
    private record CertificateReference(String property, String wanted, List<String> names) {
    }

    /** The setting's fields marked {@code x-shepherd-certificate} in its type's schema, with the names they hold. */
    private List<CertificateReference> certificateReferences(Setting setting) {
        Optional<SettingType> type = types.get(setting.type());
        if (type.isEmpty()) {
            return List.of();
        }
        List<CertificateReference> references = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> properties = type.get().schema().path("properties").fields();
        while (properties.hasNext()) {
            Map.Entry<String, JsonNode> property = properties.next();
            String wanted = property.getValue().path("x-shepherd-certificate").asText("");
            Object value = setting.value().get(property.getKey());
            if (wanted.isEmpty() || value == null) {
                continue;
            }
            List<?> names = value instanceof List<?> list ? list : List.of(value);
            references.add(new CertificateReference(property.getKey(), wanted, names.stream().map(String::valueOf).toList()));
        }
        return references;
    }

    private static Map<String, Set<String>> certificateKinds(List<Setting> settings) {
        Map<String, Set<String>> kinds = new HashMap<>();
        for (Setting setting : settings) {
            if (setting.type().equals("certificate") && setting.value().get("name") instanceof String name) {
                kinds.computeIfAbsent(name, any -> new HashSet<>()).add(String.valueOf(setting.value().get("kind")));
            }
        }
        return kinds;
    }

    // ---- storage helpers ----

    private int enqueueGroup(Tx tx, String groupId) throws SQLException {
        return queue.enqueueAll(tx, "SELECT m.device_id FROM group_member m WHERE m.group_id = ?", List.of(groupId));
    }

    private int enqueueAssigned(Tx tx, String policyId) throws SQLException {
        return queue.enqueueAll(tx, "SELECT m.device_id FROM group_member m"
                + " WHERE m.group_id IN (SELECT a.group_id FROM policy_assignment a WHERE a.policy_id = ?)", List.of(policyId));
    }

    private Map<String, DeviceSettingState> states(Connection connection, DeviceId device) throws SQLException {
        Map<String, DeviceSettingState> states = new LinkedHashMap<>();
        storedSettings(connection, List.of(device)).getOrDefault(device, Map.of()).forEach((key, stored) -> states.put(key, stored.state()));
        return states;
    }

    /** A device's row for one setting, with the hash it was last asked to apply under. */
    private record StoredSetting(DeviceSettingState state, String desiredHash) {
    }

    /** Several devices' setting rows, by device and setting key. */
    private static Map<DeviceId, Map<String, StoredSetting>> storedSettings(Connection connection, List<DeviceId> devices) throws SQLException {
        Map<DeviceId, Map<String, StoredSetting>> stored = new HashMap<>();
        if (devices.isEmpty()) {
            return stored;
        }
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT device_id, setting_key, setting_type, state, reason, command_id, policy_ids, updated_at, desired_hash
                FROM device_setting WHERE device_id IN (""" + SqlLists.placeholders(devices.size()) + ") ORDER BY device_id, setting_key")) {
            bindIds(select, devices);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String policyIds = rows.getString(7);
                    DeviceSettingState state = new DeviceSettingState(rows.getString(2), rows.getString(3),
                            SettingState.valueOf(rows.getString(4)), Optional.ofNullable(rows.getString(5)),
                            Optional.ofNullable(rows.getString(6)).map(String::trim),
                            policyIds.isEmpty() ? List.of() : Arrays.asList(policyIds.split(",")), rows.getTimestamp(8).toInstant());
                    stored.computeIfAbsent(DeviceId.parse(rows.getString(1).trim()), any -> new LinkedHashMap<>())
                            .put(state.settingKey(), new StoredSetting(state, rows.getString(9)));
                }
            }
        }
        return stored;
    }

    private static void bindIds(PreparedStatement statement, List<DeviceId> devices) throws SQLException {
        for (int i = 0; i < devices.size(); i++) {
            statement.setString(i + 1, devices.get(i).toString());
        }
    }

    /** A device_setting row to be written. */
    private record SettingRow(DeviceId device, String key, String type, String desiredHash, SettingState state, Optional<String> reason,
                              Optional<String> commandId, String policyIds) {
    }

    /** The setting rows one reconciling transaction writes, collected and then written in batches. */
    private static final class SettingWrites {
        private final Timestamp now;
        private final List<SettingRow> updates = new ArrayList<>();
        private final List<SettingRow> inserts = new ArrayList<>();
        private final List<SettingRow> deletes = new ArrayList<>();

        SettingWrites(Instant now) {
            this.now = Timestamp.from(now);
        }

        /** @param exists whether the device has a row for the setting, as read in this transaction */
        void upsert(DeviceId device, boolean exists, EffectiveSetting setting, String hash, SettingState state, Optional<String> reason,
                    Optional<String> commandId) {
            SettingRow row = new SettingRow(device, setting.setting().key(), setting.setting().type(), hash, state, reason, commandId,
                    String.join(",", setting.policyIds()));
            (exists ? updates : inserts).add(row);
        }

        void delete(DeviceId device, String key) {
            deletes.add(new SettingRow(device, key, "", "", SettingState.PENDING, Optional.empty(), Optional.empty(), ""));
        }

        void apply(Connection connection) throws SQLException {
            List<SettingRow> missing = new ArrayList<>();
            if (!updates.isEmpty()) {
                try (PreparedStatement update = connection.prepareStatement("""
                        UPDATE device_setting SET setting_type = ?, desired_hash = ?, state = ?, reason = ?, command_id = ?, policy_ids = ?,
                                                  updated_at = ?
                        WHERE device_id = ? AND setting_key = ?""")) {
                    for (SettingRow row : updates) {
                        update.setString(1, row.type());
                        update.setString(2, row.desiredHash());
                        update.setString(3, row.state().name());
                        setNullable(update, 4, row.reason());
                        setNullable(update, 5, row.commandId());
                        update.setString(6, row.policyIds());
                        update.setTimestamp(7, now);
                        update.setString(8, row.device().toString());
                        update.setString(9, row.key());
                        update.addBatch();
                    }
                    int[] counts = update.executeBatch();
                    for (int i = 0; i < counts.length; i++) {
                        if (counts[i] == 0) {
                            missing.add(updates.get(i)); // removed since it was read: written anew
                        }
                    }
                }
            }
            missing.addAll(inserts);
            if (!missing.isEmpty()) {
                try (PreparedStatement insert = connection.prepareStatement("""
                        INSERT INTO device_setting (device_id, setting_key, setting_type, desired_hash, state, reason, command_id, policy_ids, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                    for (SettingRow row : missing) {
                        insert.setString(1, row.device().toString());
                        insert.setString(2, row.key());
                        insert.setString(3, row.type());
                        insert.setString(4, row.desiredHash());
                        insert.setString(5, row.state().name());
                        setNullable(insert, 6, row.reason());
                        setNullable(insert, 7, row.commandId());
                        insert.setString(8, row.policyIds());
                        insert.setTimestamp(9, now);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
            }
            if (!deletes.isEmpty()) {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM device_setting WHERE device_id = ? AND setting_key = ?")) {
                    for (SettingRow row : deletes) {
                        delete.setString(1, row.device().toString());
                        delete.setString(2, row.key());
                        delete.addBatch();
                    }
                    delete.executeBatch();
                }
            }
        }
    }

    private void recordVersion(Tx tx, String id, long version, String name, List<Setting> settings, Actor actor, Instant at) throws SQLException {
        try (PreparedStatement insert = tx.connection().prepareStatement(
                "INSERT INTO policy_version (policy_id, version, name, settings, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, id);
            insert.setLong(2, version);
            insert.setString(3, name);
            insert.setString(4, writeSettings(settings));
            insert.setString(5, actor.toString());
            insert.setTimestamp(6, Timestamp.from(at));
            insert.executeUpdate();
        }
    }

    private Optional<Policy> lock(Tx tx, String id) throws SQLException {
        try (PreparedStatement lock = tx.connection().prepareStatement("UPDATE policy SET version = version WHERE id = ?")) {
            lock.setString(1, id);
            if (lock.executeUpdate() == 0) {
                return Optional.empty();
            }
        }
        return find(tx.connection(), id);
    }

    private Optional<PolicyAssignment> assignment(Connection connection, String policyId, String groupId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT policy_id, group_id, priority, created_by, created_at FROM policy_assignment WHERE policy_id = ? AND group_id = ?")) {
            select.setString(1, policyId);
            select.setString(2, groupId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(assignmentOf(rows)) : Optional.empty();
            }
        }
    }

    private static PolicyAssignment assignmentOf(ResultSet rows) throws SQLException {
        return new PolicyAssignment(rows.getString(1).trim(), rows.getString(2).trim(), rows.getInt(3), rows.getString(4),
                rows.getTimestamp(5).toInstant());
    }

    private static boolean exists(Connection connection, String sql, String id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    private List<Policy> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<Policy> policies = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    policies.add(policyOf(rows));
                }
            }
            return policies;
        } catch (SQLException e) {
            throw new StorageException("Cannot read policies", e);
        }
    }

    private Optional<Policy> find(Connection connection, String id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SELECT + " WHERE id = ?")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(policyOf(rows)) : Optional.empty();
            }
        }
    }

    private Policy policyOf(ResultSet rows) throws SQLException {
        return new Policy(rows.getString(1).trim(), rows.getString(2), rows.getString(3), readSettings(rows.getString(4)),
                rows.getLong(5), rows.getString(6), rows.getTimestamp(7).toInstant(), rows.getTimestamp(8).toInstant());
    }

    /** Settings with their secret fields sealed, as they are stored; unchanged secrets keep their sealed form. */
    private List<Setting> sealed(List<Setting> settings, Optional<Policy> previous) {
        Map<String, Map<String, Object>> before = new HashMap<>();
        previous.ifPresent(policy -> policy.settings().forEach(setting -> before.put(setting.key(), setting.value())));
        return settings.stream().map(setting -> types.get(setting.type())
                .map(type -> new Setting(setting.type(), setting.key(), secrets.seal(type, setting.value(),
                        before.getOrDefault(setting.key(), Map.of()))))
                .orElse(setting)).toList();
    }

    /** An edit's inputs with the secrets the admin left out taken from the policy as stored. */
    private List<SettingInput> keptSecrets(Optional<Policy> current, List<SettingInput> inputs) {
        if (current.isEmpty()) {
            return inputs;
        }
        Map<String, Setting> stored = new HashMap<>();
        current.get().settings().forEach(setting -> stored.put(setting.key(), setting));
        List<SettingInput> kept = new ArrayList<>();
        for (SettingInput input : inputs) {
            Optional<SettingType> type = types.get(input.type());
            if (type.isEmpty()) {
                kept.add(input);
                continue;
            }
            String key = type.get().keyProperty().map(property -> type.get().name() + "/" + input.value().path(property).asText())
                    .orElse(type.get().name());
            Setting before = stored.get(key);
            kept.add(before == null ? input : new SettingInput(input.type(), secrets.keep(type.get(), input.value(), before.value())));
        }
        return kept;
    }

    String writeSettings(List<Setting> settings) {
        return json.write(settings.stream().map(setting -> Map.of("type", setting.type(), "key", setting.key(), "value", setting.value())).toList());
    }

    List<Setting> readSettings(String text) {
        try {
            List<Setting> settings = new ArrayList<>();
            for (Map<String, Object> stored : json.mapper().readValue(text, SETTINGS)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> value = (Map<String, Object>) stored.get("value");
                settings.add(new Setting((String) stored.get("type"), (String) stored.get("key"), value));
            }
            return settings;
        } catch (JsonProcessingException e) {
            throw new StorageException("A stored policy holds malformed settings", e);
        }
    }

    /** Passwords, secrets and key material stay out of the audit log. */
    private List<Map<String, Object>> redacted(List<Setting> settings) {
        List<Map<String, Object>> copies = new ArrayList<>();
        for (Setting setting : settings) {
            Map<String, Object> value = new LinkedHashMap<>();
            setting.value().forEach((name, field) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                boolean secret = lower.contains("password") || lower.contains("secret") || lower.contains("challenge")
                        || (setting.type().equals("certificate") && lower.equals("data"));
                value.put(name, secret ? "(redacted)" : field);
            });
            copies.add(Map.of("type", setting.type(), "key", setting.key(), "value", value));
        }
        return copies;
    }

    private static void setNullable(PreparedStatement statement, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            statement.setString(index, value.get());
        } else {
            statement.setNull(index, Types.VARCHAR);
        }
    }

    private static void checkName(String name) {
        requireNonNull(name, "name is null");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("policy names are 1 to 200 characters");
        }
    }
}
