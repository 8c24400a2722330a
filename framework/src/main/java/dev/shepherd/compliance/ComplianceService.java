package dev.shepherd.compliance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.app.AppCatalogService;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.command.CommandNotSupportedException;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandService;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.GroupService;
import dev.shepherd.json.Json;
import dev.shepherd.storage.DeviceWorkQueue;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Compliance: rules over device state, each device's verdict with its failing rules, grace periods, scheduled
 * remediation (notify, quarantine, lock, enterprise wipe) and the conditional-access decision.
 *
 * <p>Devices are queued for evaluation in the transaction of whatever changed them (inventory, status, group
 * membership, a rule) and evaluated in the background; a periodic sweep queues the devices whose verdict can change
 * with time alone (grace periods ending, remediation steps falling due, check-ins going stale).
 */
public final class ComplianceService {

    private static final TypeReference<List<RemediationStep>> STEPS = new TypeReference<>() {
    };
    private static final String SELECT = """
            SELECT id, name, kind, parameters, group_id, grace_hours, actions, enabled, row_version, updated_at FROM compliance_rule""";
    private static final Actor EVALUATOR = Actor.SYSTEM;

    private final Transactions transactions;
    private final DeviceService devices;
    private final CommandService commands;
    private final AppCatalogService apps;
    private final AuditLog audit;
    private final EventLog events;
    private final Json json;
    private final Clock clock;
    private final DeviceWorkQueue queue;
    private volatile DeviceThreats threats = DeviceThreats.NONE;

    /**
     * @param apps the app catalog, whose fleet app inventory the app rules judge
     */
    public ComplianceService(Transactions transactions, DeviceService devices, GroupService groups, CommandService commands,
                             AppCatalogService apps, AuditLog audit, EventLog events, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.apps = requireNonNull(apps, "apps is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.queue = new DeviceWorkQueue("compliance_queue", transactions, clock);
        devices.addInventoryListener((tx, device, inventory) -> queue.enqueue(tx, device));
        devices.addChangeListener((tx, before, after) -> {
            if (before.isEmpty() || relevantChange(before.get().device(), after.device())) {
                queue.enqueue(tx, after.device().id());
            }
        });
        // Membership matters to a verdict only through rules scoped to a group: without one, a group of 100,000
        // devices created or refilled queues no evaluation at all.
        groups.addMembershipListener((tx, changed) -> {
            if (changed.isEmpty() || !anyRuleScopedToAGroup(tx)) {
                return;
            }
            for (DeviceId device : changed) {
                queue.enqueue(tx, device);
            }
        });
    }

    /** Sets where the threat rule reads devices' threat state: the threat package, once the kernel has built it. */
    public void setThreats(DeviceThreats threats) {
        this.threats = requireNonNull(threats, "threats is null");
    }

    /**
     * Queues a device for evaluation in the transaction of whatever changed a fact a rule reads (its threat state).
     */
    public void enqueue(Tx tx, DeviceId device) throws SQLException {
        queue.enqueue(tx, device);
    }

    /**
     * Queues every device a query selects, in the transaction of what changed them.
     *
     * @param selectDeviceIds a query whose single column is device ids, aliased {@code device_id}
     * @return how many were queued
     */
    public int enqueueAll(Tx tx, String selectDeviceIds, List<Object> parameters) throws SQLException {
        return queue.enqueueAll(tx, selectDeviceIds, parameters);
    }

    private static boolean anyRuleScopedToAGroup(Tx tx) throws SQLException {
        try (PreparedStatement select = tx.connection().prepareStatement(
                "SELECT 1 FROM compliance_rule WHERE group_id IS NOT NULL FETCH FIRST 1 ROWS ONLY");
             ResultSet rows = select.executeQuery()) {
            return rows.next();
        }
    }

    /** Compliance itself changing must not queue the device again; anything a rule reads should. */
    private static boolean relevantChange(Device before, Device after) {
        return before.status() != after.status() || !before.osVersion().equals(after.osVersion())
                || !before.platform().equals(after.platform()) || !before.userId().equals(after.userId());
    }

    // ---- rules ----

    public List<ComplianceRule> rules() {
        return query(SELECT + " ORDER BY name", List.of());
    }

    public Optional<ComplianceRule> rule(String id) {
        return query(SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /**
     * Creates a rule and queues the devices it applies to.
     *
     * @throws IllegalArgumentException naming what is wrong with the parameters
     */
    public ComplianceRule create(Actor actor, String name, ComplianceCheck check, JsonNode parameters, Optional<String> groupId,
                                 int graceHours, List<RemediationStep> remediation) {
        validate(name, check, parameters, graceHours);
        String id = UUID.randomUUID().toString();
        transactions.inTransaction("create a compliance rule", tx -> {
            Instant now = clock.instant();
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO compliance_rule (id, name, kind, parameters, group_id, grace_hours, actions, enabled, created_by,
                                                 created_at, updated_at, row_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 1)""")) {
                insert.setString(1, id);
                insert.setString(2, name);
                insert.setString(3, check.name());
                insert.setString(4, parameters.toString());
                if (groupId.isPresent()) {
                    insert.setString(5, groupId.get());
                } else {
                    insert.setNull(5, Types.CHAR);
                }
                insert.setInt(6, graceHours);
                insert.setString(7, json.write(remediation));
                insert.setString(8, actor.toString());
                insert.setTimestamp(9, Timestamp.from(now));
                insert.setTimestamp(10, Timestamp.from(now));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new IllegalArgumentException(groupId.isPresent() && Dialect.isForeignKeyViolation(e)
                        ? "no group " + groupId.get() : "a compliance rule named '" + name + "' exists already");
            }
            audit.append(tx, new AuditRecord(actor, "compliance-rule.create", "compliance-rule", id, Optional.empty(),
                    Optional.of(json.write(Map.of("name", name, "check", check, "parameters", parameters.toString(),
                            "groupId", groupId.orElse(""), "graceHours", graceHours, "remediation", remediation)))));
            enqueueScope(tx, groupId);
            return null;
        });
        return rule(id).orElseThrow();
    }

    /** Turns a rule on or off; devices are evaluated again either way. */
    public Optional<ComplianceRule> setEnabled(Actor actor, String id, boolean enabled, OptionalLong expectedVersion) {
        return transactions.inTransaction("change a compliance rule", tx -> {
            Optional<ComplianceRule> before = find(tx.connection(), id);
            if (before.isEmpty()) {
                return Optional.<ComplianceRule>empty();
            }
            checkVersion(before.get(), expectedVersion);
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE compliance_rule SET enabled = ?, updated_at = ?, row_version = row_version + 1 WHERE id = ?")) {
                update.setShort(1, (short) (enabled ? 1 : 0));
                update.setTimestamp(2, Timestamp.from(clock.instant()));
                update.setString(3, id);
                update.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, enabled ? "compliance-rule.enable" : "compliance-rule.disable", "compliance-rule",
                    id, Optional.of(json.write(Map.of("enabled", before.get().enabled()))), Optional.of(json.write(Map.of("enabled", enabled)))));
            enqueueScope(tx, before.get().groupId());
            return find(tx.connection(), id);
        });
    }

    /**
     * Replaces what a rule checks, where, with which grace period and remediation; the devices it applied to and those
     * it applies to now are evaluated again. Its on/off state stays as it was.
     *
     * @return the rule as changed; empty when there is no such rule
     * @throws IllegalArgumentException naming what is wrong with the parameters
     * @throws ComplianceConflictException when the rule changed since the expected version, or another rule has the name
     */
    public Optional<ComplianceRule> update(Actor actor, String id, String name, ComplianceCheck check, JsonNode parameters,
                                           Optional<String> groupId, int graceHours, List<RemediationStep> remediation,
                                           OptionalLong expectedVersion) {
        validate(name, check, parameters, graceHours);
        return transactions.inTransaction("change a compliance rule", tx -> {
            Optional<ComplianceRule> before = find(tx.connection(), id);
            if (before.isEmpty()) {
                return Optional.<ComplianceRule>empty();
            }
            checkVersion(before.get(), expectedVersion);
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE compliance_rule SET name = ?, kind = ?, parameters = ?, group_id = ?, grace_hours = ?, actions = ?,
                                               updated_at = ?, row_version = row_version + 1 WHERE id = ?""")) {
                update.setString(1, name);
                update.setString(2, check.name());
                update.setString(3, parameters.toString());
                if (groupId.isPresent()) {
                    update.setString(4, groupId.get());
                } else {
                    update.setNull(4, Types.CHAR);
                }
                update.setInt(5, graceHours);
                update.setString(6, json.write(remediation));
                update.setTimestamp(7, Timestamp.from(clock.instant()));
                update.setString(8, id);
                update.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                if (groupId.isPresent() && Dialect.isForeignKeyViolation(e)) {
                    throw new IllegalArgumentException("no group " + groupId.get());
                }
                throw new ComplianceConflictException("a compliance rule named '" + name + "' exists already");
            }
            ComplianceRule after = find(tx.connection(), id).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "compliance-rule.update", "compliance-rule", id,
                    Optional.of(json.write(before.get())), Optional.of(json.write(after))));
            enqueueScope(tx, before.get().groupId());
            if (!before.get().groupId().equals(groupId)) {
                enqueueScope(tx, groupId);
            }
            return Optional.of(after);
        });
    }

    private static void checkVersion(ComplianceRule rule, OptionalLong expectedVersion) {
        if (expectedVersion.isPresent() && expectedVersion.getAsLong() != rule.version()) {
            throw new ComplianceConflictException("compliance rule " + rule.id() + " is at version " + rule.version() + ", not "
                    + expectedVersion.getAsLong() + "; reload it and apply the change again");
        }
    }

    /** @return false when there is no such rule */
    public boolean delete(Actor actor, String id) {
        return transactions.inTransaction("delete a compliance rule", tx -> {
            Optional<ComplianceRule> before = find(tx.connection(), id);
            if (before.isEmpty()) {
                return false;
            }
            enqueueScope(tx, before.get().groupId());
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM compliance_rule WHERE id = ?")) {
                delete.setString(1, id);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "compliance-rule.delete", "compliance-rule", id,
                    Optional.of(json.write(Map.of("name", before.get().name()))), Optional.empty()));
            return true;
        });
    }

    // ---- evaluation ----

    /** Evaluates queued devices until none is left, a transaction each; returns how many. */
    public int evaluatePending() {
        return evaluatePending(DeviceWorkQueue.UNTIL_EMPTY);
    }

    /**
     * As {@link #evaluatePending()}, but starts no further evaluation once {@code slice} has passed, leaving the rest
     * queued: the background job, which shares its thread with the other periodic jobs.
     */
    public int evaluatePending(Duration slice) {
        return queue.drain(this::evaluate, slice);
    }

    /**
     * Queues the devices whose verdict can change with time alone: those failing some rule (grace periods end,
     * remediation falls due) and, when a check-in rule exists, those whose last check-in has gone stale.
     */
    public int sweep() {
        return transactions.inTransaction("queue devices for a compliance sweep", tx -> {
            int queued = queue.enqueueAll(tx, "SELECT c.device_id FROM device_compliance c", List.of());
            OptionalLong shortest = rules().stream()
                    .filter(rule -> rule.enabled() && rule.check() == ComplianceCheck.CHECKED_IN_WITHIN)
                    .mapToLong(rule -> rule.parameters().path("days").asLong()).min();
            if (shortest.isPresent()) {
                queued += queue.enqueueAll(tx, "SELECT d.id AS device_id FROM device d WHERE d.compliance = 'COMPLIANT'"
                                + " AND (d.last_check_in IS NULL OR d.last_check_in < ?)",
                        List.of(Timestamp.from(clock.instant().minus(Duration.ofDays(shortest.getAsLong())))));
            }
            return queued;
        });
    }

    /** Evaluates one device now: its verdict, its failing rules, and any remediation that has fallen due. */
    public ComplianceState evaluate(DeviceId id) {
        return transactions.inTransaction("evaluate compliance", tx -> {
            ComplianceState state = evaluate(tx, id);
            // Last, so the queue row is locked only for a moment.
            queue.dequeue(tx, id);
            return state;
        });
    }

    private ComplianceState evaluate(Tx tx, DeviceId id) throws SQLException {
        Optional<DeviceRecord> record = devices.get(tx, id);
        if (record.isEmpty()) {
            return ComplianceState.UNKNOWN;
        }
        Device device = record.get().device();
        Instant now = clock.instant();
        Map<String, Instant> failingSince = failingSince(tx.connection(), id);
        boolean quarantinedByUs = quarantineTaken(tx.connection(), id);
        if (device.status() == DeviceStatus.RETIRED || device.status() == DeviceStatus.WIPED || device.status() == DeviceStatus.PENDING) {
            clear(tx.connection(), id, failingSince.keySet());
            devices.setCompliance(tx, id, ComplianceState.UNKNOWN);
            return ComplianceState.UNKNOWN;
        }
        Map<String, String> inventory = devices.inventory(tx, id);
        // The fleet app inventory is read only for a device that some app rule judges.
        Map<String, String> installedApps = null;
        // The threat state likewise, only for a device some threat rule judges.
        ThreatStanding threatStanding = null;
        Set<String> memberOf = new HashSet<>(GroupService.groupIdsOf(tx.connection(), id));
        boolean anyFailing = false;
        boolean anyBeyondGrace = false;
        boolean anyUnknown = false;
        Set<String> stillFailing = new HashSet<>();
        List<Map<String, Object>> remediated = new ArrayList<>();
        for (ComplianceRule rule : query(tx.connection(), SELECT + " WHERE enabled = 1", List.of())) {
            if (rule.groupId().isPresent() && !memberOf.contains(rule.groupId().get())) {
                continue;
            }
            if (installedApps == null && rule.check().judgesApps()) {
                installedApps = apps.installed(tx, id);
            }
            if (threatStanding == null && rule.check().judgesThreats()) {
                threatStanding = threats.standing(tx, id, now);
            }
            ComplianceCheck.Verdict verdict = rule.check().judge(device, inventory,
                    installedApps == null ? Map.of() : installedApps, threatStanding == null ? ThreatStanding.NONE : threatStanding,
                    rule.parameters(), now);
            if (verdict.outcome() == ComplianceCheck.Outcome.UNKNOWN) {
                anyUnknown = true;
                continue;
            }
            if (verdict.outcome() == ComplianceCheck.Outcome.PASSING) {
                continue;
            }
            anyFailing = true;
            stillFailing.add(rule.id());
            Instant since = failingSince.get(rule.id());
            if (since == null) {
                since = now;
                recordFailing(tx.connection(), id, rule.id(), now, verdict.detail());
            } else {
                updateDetail(tx.connection(), id, rule.id(), verdict.detail());
            }
            Instant graceEnds = since.plus(Duration.ofHours(rule.graceHours()));
            if (!now.isBefore(graceEnds)) {
                anyBeyondGrace = true;
                remediated.addAll(remediate(tx, device, rule, graceEnds, now));
            }
        }
        Set<String> recovered = new HashSet<>(failingSince.keySet());
        recovered.removeAll(stillFailing);
        clear(tx.connection(), id, recovered);
        ComplianceState state = anyBeyondGrace ? ComplianceState.NON_COMPLIANT
                : anyFailing ? ComplianceState.IN_GRACE_PERIOD
                : anyUnknown ? ComplianceState.UNKNOWN : ComplianceState.COMPLIANT;
        if (!anyFailing && device.status() == DeviceStatus.QUARANTINED && quarantinedByUs) {
            devices.changeStatus(tx, EVALUATOR, id, DeviceStatus.ENROLLED, "compliant again");
        }
        if (device.compliance() != state) {
            devices.setCompliance(tx, id, state);
            events.record(tx, Event.of(EventTypes.COMPLIANCE_CHANGED, "kernel", Map.of("deviceId", id.toString(),
                    "from", device.compliance().name(), "compliance", state.name())));
        }
        if (!remediated.isEmpty()) {
            audit.append(tx, new AuditRecord(EVALUATOR, "compliance.remediate", "device", id.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("steps", remediated)))));
        }
        return state;
    }

    /** Takes the remediation steps that have fallen due and were not taken yet in this failure. */
    private List<Map<String, Object>> remediate(Tx tx, Device device, ComplianceRule rule, Instant graceEnds, Instant now) throws SQLException {
        List<Map<String, Object>> taken = new ArrayList<>();
        Set<String> done = actionsTaken(tx.connection(), device.id(), rule.id());
        for (RemediationStep step : rule.remediation()) {
            if (now.isBefore(graceEnds.plus(Duration.ofHours(step.afterHours()))) || done.contains(step.action().name())) {
                continue;
            }
            if (managementEnded(tx, device.id())) {
                // An earlier step retired the device: nothing reaches it any more.
                break;
            }
            switch (step.action()) {
                case NOTIFY -> events.record(tx, Event.of("compliance.notify", "kernel", Map.of("deviceId", device.id().toString(),
                        "ruleId", rule.id(), "rule", rule.name())));
                case QUARANTINE -> {
                    if (device.status() == DeviceStatus.ENROLLED) {
                        devices.changeStatus(tx, EVALUATOR, device.id(), DeviceStatus.QUARANTINED, "non-compliant: " + rule.name());
                    }
                }
                case LOCK -> issueRemediation(tx, device, rule, new CommandRequest(CommandType.LOCK,
                        Map.of("message", "This device was locked because it is not compliant: " + rule.name()), 50, Optional.empty()));
                case ENTERPRISE_WIPE -> retire(tx, device, rule);
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO compliance_action (device_id, rule_id, action, executed_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, device.id().toString());
                insert.setString(2, rule.id());
                insert.setString(3, step.action().name());
                insert.setTimestamp(4, Timestamp.from(now));
                insert.executeUpdate();
            }
            taken.add(Map.of("rule", rule.name(), "action", step.action().name()));
        }
        return taken;
    }

    private boolean managementEnded(Tx tx, DeviceId id) throws SQLException {
        return devices.get(tx, id).map(record -> record.device().status() == DeviceStatus.RETIRED
                || record.device().status() == DeviceStatus.WIPED).orElse(true);
    }

    /**
     * An enterprise wipe ends the device's management as retiring it does ({@link CommandService#endManagement}):
     * RETIRED, open commands cancelled, the platform's final command queued. One the platform cannot carry out is
     * recorded as refused, with the reason, and the device left as it was.
     */
    private void retire(Tx tx, Device device, ComplianceRule rule) throws SQLException {
        try {
            commands.endManagement(tx, EVALUATOR, device.id(), false, "non-compliant: " + rule.name());
        } catch (CommandNotSupportedException | DeviceConflictException e) {
            events.record(tx, Event.of("compliance.remediation_refused", "kernel", Map.of("deviceId", device.id().toString(),
                    "ruleId", rule.id(), "action", Remediation.ENTERPRISE_WIPE.name(), "reason", e.getMessage())));
        }
    }

    /** Queues a remediation command; one the device's platform cannot carry out is recorded as refused, with the reason. */
    private void issueRemediation(Tx tx, Device device, ComplianceRule rule, CommandRequest request) throws SQLException {
        try {
            commands.issue(tx, EVALUATOR, device.id(), request);
        } catch (CommandNotSupportedException e) {
            events.record(tx, Event.of("compliance.remediation_refused", "kernel", Map.of("deviceId", device.id().toString(),
                    "ruleId", rule.id(), "action", request.type().name(), "reason", e.getMessage())));
        }
    }

    /**
     * The conditional-access decision: allowed only for an enrolled device that is compliant or still in its grace
     * period. Answered from the stored verdict, so it is fast enough for every network or sign-in request.
     */
    public Optional<AccessDecision> accessDecision(DeviceId id) {
        Optional<DeviceRecord> record = devices.get(id);
        if (record.isEmpty()) {
            return Optional.empty();
        }
        Device device = record.get().device();
        List<AccessDecision.FailingRule> failing = new ArrayList<>();
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("""
                     SELECT c.rule_id, r.name, c.detail, c.failing_since FROM device_compliance c
                     JOIN compliance_rule r ON r.id = c.rule_id WHERE c.device_id = ? ORDER BY c.failing_since""")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    failing.add(new AccessDecision.FailingRule(rows.getString(1).trim(), rows.getString(2), rows.getString(3),
                            rows.getTimestamp(4).toInstant()));
                }
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the compliance of " + id, e);
        }
        boolean allowed = device.status() == DeviceStatus.ENROLLED
                && (device.compliance() == ComplianceState.COMPLIANT || device.compliance() == ComplianceState.IN_GRACE_PERIOD);
        return Optional.of(new AccessDecision(id.toString(), allowed, device.compliance(), failing, clock.instant()));
    }

    /**
     * Why the device is, or is not, compliant: the rules it fails with the reasons, and each one's remediation as it
     * stands for the device. Read from the stored verdict, as {@link #accessDecision} is.
     */
    public Optional<ComplianceReport> report(DeviceId id) {
        Optional<AccessDecision> decision = accessDecision(id);
        if (decision.isEmpty()) {
            return Optional.empty();
        }
        Map<String, ComplianceRule> rules = new HashMap<>();
        rules().forEach(rule -> rules.put(rule.id(), rule));
        Map<String, Map<String, Instant>> taken = new HashMap<>();
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT rule_id, action, executed_at FROM compliance_action WHERE device_id = ?")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    taken.computeIfAbsent(rows.getString(1).trim(), rule -> new HashMap<>()).put(rows.getString(2), rows.getTimestamp(3).toInstant());
                }
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the remediation of " + id, e);
        }
        List<ComplianceReport.RuleFailure> failing = new ArrayList<>();
        for (AccessDecision.FailingRule failure : decision.get().failing()) {
            ComplianceRule rule = rules.get(failure.ruleId());
            if (rule == null) {
                continue; // deleted since the verdict was read
            }
            Instant graceEnds = failure.failingSince().plus(Duration.ofHours(rule.graceHours()));
            Map<String, Instant> takenForRule = taken.getOrDefault(rule.id(), Map.of());
            // A step is taken once per failure, by its action (as remediate() records it).
            List<ComplianceReport.Step> steps = rule.remediation().stream().map(step -> new ComplianceReport.Step(step.afterHours(), step.action(),
                    graceEnds.plus(Duration.ofHours(step.afterHours())), Optional.ofNullable(takenForRule.get(step.action().name())))).toList();
            Optional<ComplianceReport.Step> next = steps.stream().filter(step -> step.takenAt().isEmpty())
                    .min(Comparator.comparing(ComplianceReport.Step::dueAt));
            failing.add(new ComplianceReport.RuleFailure(rule.id(), rule.name(), rule.check(), rule.parameters(), failure.detail() == null ? "" : failure.detail(),
                    failure.failingSince(), graceEnds, steps, next));
        }
        return Optional.of(new ComplianceReport(id.toString(), decision.get().state(), decision.get().allowed(), failing, decision.get().decidedAt()));
    }

    // ---- storage helpers ----

    private void enqueueScope(Tx tx, Optional<String> groupId) throws SQLException {
        if (groupId.isPresent()) {
            queue.enqueueAll(tx, "SELECT m.device_id FROM group_member m WHERE m.group_id = ?", List.of(groupId.get()));
        } else {
            queue.enqueueAll(tx, "SELECT d.id AS device_id FROM device d WHERE d.status IN ('ENROLLED', 'QUARANTINED')", List.of());
        }
    }

    private static Map<String, Instant> failingSince(Connection connection, DeviceId device) throws SQLException {
        Map<String, Instant> since = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT rule_id, failing_since FROM device_compliance WHERE device_id = ?")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    since.put(rows.getString(1).trim(), rows.getTimestamp(2).toInstant());
                }
            }
        }
        return since;
    }

    private static void recordFailing(Connection connection, DeviceId device, String ruleId, Instant since, String detail) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO device_compliance (device_id, rule_id, failing_since, detail) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, device.toString());
            insert.setString(2, ruleId);
            insert.setTimestamp(3, Timestamp.from(since));
            insert.setString(4, truncate(detail));
            insert.executeUpdate();
        }
    }

    private static void updateDetail(Connection connection, DeviceId device, String ruleId, String detail) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE device_compliance SET detail = ? WHERE device_id = ? AND rule_id = ?")) {
            update.setString(1, truncate(detail));
            update.setString(2, device.toString());
            update.setString(3, ruleId);
            update.executeUpdate();
        }
    }

    /** A rule that passes again ends its failure: its start and its remediation steps are forgotten. */
    private static void clear(Connection connection, DeviceId device, Set<String> ruleIds) throws SQLException {
        for (String ruleId : ruleIds) {
            for (String table : List.of("device_compliance", "compliance_action")) {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table + " WHERE device_id = ? AND rule_id = ?")) {
                    delete.setString(1, device.toString());
                    delete.setString(2, ruleId);
                    delete.executeUpdate();
                }
            }
        }
    }

    private static Set<String> actionsTaken(Connection connection, DeviceId device, String ruleId) throws SQLException {
        Set<String> taken = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT action FROM compliance_action WHERE device_id = ? AND rule_id = ?")) {
            select.setString(1, device.toString());
            select.setString(2, ruleId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    taken.add(rows.getString(1));
                }
            }
        }
        return taken;
    }

    /** Whether compliance quarantined the device (an admin's quarantine is left for the admin to lift). */
    private static boolean quarantineTaken(Connection connection, DeviceId device) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM compliance_action WHERE device_id = ? AND action = 'QUARANTINE'")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static String truncate(String text) {
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }

    private void validate(String name, ComplianceCheck check, JsonNode parameters, int graceHours) {
        requireNonNull(name, "name is null");
        requireNonNull(check, "check is null");
        requireNonNull(parameters, "parameters is null");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("rule names are 1 to 200 characters");
        }
        if (!parameters.isObject()) {
            throw new IllegalArgumentException("parameters: an object is required");
        }
        if (graceHours < 0 || graceHours > 24 * 90) {
            throw new IllegalArgumentException("graceHours must be between 0 and 2160");
        }
        check.checkParameters(parameters);
    }

    private List<ComplianceRule> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read compliance rules", e);
        }
    }

    private Optional<ComplianceRule> find(Connection connection, String id) throws SQLException {
        return query(connection, SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    private List<ComplianceRule> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<ComplianceRule> rules = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    rules.add(new ComplianceRule(rows.getString(1).trim(), rows.getString(2), ComplianceCheck.valueOf(rows.getString(3)),
                            json.mapper().readTree(rows.getString(4)), Optional.ofNullable(rows.getString(5)).map(String::trim),
                            rows.getInt(6), json.mapper().readValue(rows.getString(7), STEPS), rows.getShort(8) != 0,
                            rows.getLong(9), rows.getTimestamp(10).toInstant()));
                }
            } catch (JsonProcessingException e) {
                throw new StorageException("A stored compliance rule is malformed", e);
            }
            return rules;
        }
    }
}
