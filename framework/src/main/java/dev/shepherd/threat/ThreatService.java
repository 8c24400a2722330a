package dev.shepherd.threat;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.api.threat.ThreatSignals.ThreatReport;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.compliance.ComplianceService;
import dev.shepherd.compliance.DeviceThreats;
import dev.shepherd.compliance.ThreatStanding;
import dev.shepherd.event.EventLog;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's threat state: what threat-defense connectors said about each device, matched to managed devices, and how
 * fresh it is.
 *
 * <p>Every report (a poll's page or a push) is applied in one transaction, durable before the call returns: matched
 * assessments replace the connector's earlier verdict on the device unless older than it; a verdict that says the
 * same as the stored one writes nothing; a changed one is written with an event ({@link EventTypes#THREAT_CHANGED}),
 * an audit entry and the device queued for compliance evaluation. Unmatched assessments are kept for an admin to link.
 *
 * <p><b>Freshness.</b> A connector is stale when it has not been heard from (a successful poll, or any push, heartbeats
 * included) for longer than its stale age: an admin's setting, else the connector's {@code staleAfter()}, else
 * {@code threat.staleAfter}. A device's effective level is the worst of its fresh verdicts; when one of its verdicts is
 * stale the effective level is {@code UNKNOWN}, unless a fresh verdict is already worse than the stale one's last level.
 * Compliance's threat rule reads the same standing ({@link #standing}).
 */
public final class ThreatService implements DeviceThreats {

    /** The default stale age: long enough for a vendor's maintenance window, short enough to matter within a day. */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofHours(6);
    /** How often a signal kept unmatched, and unchanged, is matched again (devices enrolled since may match it). */
    static final Duration UNMATCHED_RETRY = Duration.ofHours(1);
    /** The level the effective state takes when a stale verdict could hide something. */
    public static final String UNKNOWN = "UNKNOWN";

    private final Transactions transactions;
    private final ComplianceService compliance;
    private final AuditLog audit;
    private final EventLog events;
    private final Json json;
    private final Clock clock;
    private final ThreatStore store;
    private final DeviceMatcher matcher;
    private volatile Duration defaultStaleAfter = DEFAULT_STALE_AFTER;

    public ThreatService(Transactions transactions, ComplianceService compliance, AuditLog audit, EventLog events, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.compliance = requireNonNull(compliance, "compliance is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.store = new ThreatStore(json);
        this.matcher = new DeviceMatcher(store);
    }

    /** Sets the stale age of connectors that name none and have no admin's setting ({@code threat.staleAfter}). */
    public void setDefaultStaleAfter(Duration staleAfter) {
        requireNonNull(staleAfter, "staleAfter is null");
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException("threat.staleAfter must be positive");
        }
        this.defaultStaleAfter = staleAfter;
    }

    /** @return the stale age of connectors that name none */
    public Duration defaultStaleAfter() {
        return defaultStaleAfter;
    }

    // ---- connectors ----

    /**
     * Records a running connector (or what it now says of itself).
     *
     * @param staleAfter the connector's own stale age
     */
    public void register(String connectorId, String pluginId, String displayName, Optional<Duration> staleAfter) {
        ThreatLimits.connectorId(connectorId);
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(staleAfter, "staleAfter is null");
        transactions.inTransaction("record a threat-defense connector", tx -> {
            store.register(tx.connection(), connectorId, pluginId, ThreatLimits.clip(displayName.isBlank() ? connectorId : displayName, 200),
                    staleAfter.filter(age -> !age.isNegative() && !age.isZero()), clock.instant());
            return null;
        });
    }

    /** @return the connectors the server has heard of, running or not */
    public List<ConnectorState> connectors() {
        return transactions.read("read threat-defense connectors", store::connectors);
    }

    /** @return the connector, when the server has heard of it */
    public Optional<ConnectorState> connector(String connectorId) {
        return transactions.read("read a threat-defense connector", connection -> store.connector(connection, connectorId));
    }

    /** Each connector's health: its state, its freshness and how many devices it matched and did not. */
    public List<ConnectorHealth> health() {
        Instant now = clock.instant();
        return transactions.read("read threat-defense connector health", connection -> {
            Map<String, Long> matched = store.matchedCounts(connection);
            Map<String, Long> unmatched = store.unmatchedCounts(connection);
            List<ConnectorHealth> health = new ArrayList<>();
            for (ConnectorState connector : store.connectors(connection)) {
                health.add(new ConnectorHealth(connector, connector.staleAfter(defaultStaleAfter), connector.isStale(now, defaultStaleAfter),
                        connector.staleSince(defaultStaleAfter), matched.getOrDefault(connector.connectorId(), 0L),
                        unmatched.getOrDefault(connector.connectorId(), 0L)));
            }
            return health;
        });
    }

    /**
     * Sets or clears an admin's stale age for a connector; its devices are judged again.
     *
     * @return the connector as changed, empty when the server never heard of it
     * @throws IllegalArgumentException when the age is under a minute or over 30 days
     */
    public Optional<ConnectorState> setStaleAfter(Actor actor, String connectorId, Optional<Duration> staleAfter) {
        staleAfter.ifPresent(age -> {
            if (age.compareTo(Duration.ofMinutes(1)) < 0 || age.compareTo(Duration.ofDays(30)) > 0) {
                throw new IllegalArgumentException("staleAfter: from one minute to 30 days");
            }
        });
        return transactions.inTransaction("set a threat-defense connector's stale age", tx -> {
            Optional<ConnectorState> before = store.lockConnector(tx.connection(), connectorId);
            if (before.isEmpty()) {
                return Optional.<ConnectorState>empty();
            }
            store.adminStaleAfter(tx.connection(), connectorId, staleAfter);
            audit.append(tx, new AuditRecord(actor, "threat-connector.stale-after", "threat-connector", connectorId,
                    Optional.of(json.write(Map.of("staleAfterSeconds", before.get().adminStaleAfter().map(Duration::toSeconds).orElse(-1L)))),
                    Optional.of(json.write(Map.of("staleAfterSeconds", staleAfter.map(Duration::toSeconds).orElse(-1L))))));
            judgeFreshness(tx, store.connector(tx.connection(), connectorId).orElseThrow(), clock.instant());
            return store.connector(tx.connection(), connectorId);
        });
    }

    /**
     * Makes a connector's next poll due now (the poller takes it within a moment, on whichever node polls).
     *
     * @return false when the server never heard of the connector
     */
    public boolean pollNow(Actor actor, String connectorId) {
        return transactions.inTransaction("ask for a threat-defense poll", tx -> {
            if (store.connector(tx.connection(), connectorId).isEmpty()) {
                return false;
            }
            store.nextPoll(tx.connection(), connectorId, clock.instant());
            audit.append(tx, new AuditRecord(actor, "threat-connector.poll", "threat-connector", connectorId, Optional.empty(), Optional.empty()));
            return true;
        });
    }

    // ---- reports ----

    /**
     * Applies what a vendor pushed (an empty list is a heartbeat), in one transaction.
     *
     * @throws IllegalArgumentException when the report exceeds {@link ThreatLimits}, or the server never heard of the connector
     */
    public ThreatReport report(String connectorId, List<ThreatAssessment> assessments) {
        requireNonNull(assessments, "assessments is null");
        ThreatLimits.check(assessments);
        return transactions.inTransaction("take a threat-defense report", tx -> {
            ConnectorState connector = store.lockConnector(tx.connection(), connectorId)
                    .orElseThrow(() -> new IllegalArgumentException("no threat-defense connector " + connectorId));
            Instant now = clock.instant();
            ThreatReport report = apply(tx, connector, assessments, now);
            store.heard(tx.connection(), connectorId, now);
            judgeFreshness(tx, store.connector(tx.connection(), connectorId).orElseThrow(), now);
            return report;
        });
    }

    /**
     * Applies a successful poll: its assessments, its cursor, the connector heard from and its next poll, in one
     * transaction.
     *
     * @param nextPoll when the next poll is due
     * @throws IllegalArgumentException when the poll exceeds {@link ThreatLimits}; nothing is written
     */
    public ThreatReport applyPoll(String connectorId, ThreatPoll poll, Instant nextPoll) {
        ThreatLimits.check(poll.assessments());
        return transactions.inTransaction("take a threat-defense poll", tx -> {
            ConnectorState connector = store.lockConnector(tx.connection(), connectorId)
                    .orElseThrow(() -> new IllegalArgumentException("no threat-defense connector " + connectorId));
            Instant now = clock.instant();
            ThreatReport report = apply(tx, connector, poll.assessments(), now);
            store.pollSucceeded(tx.connection(), connectorId, poll.nextCursor(), now, nextPoll);
            judgeFreshness(tx, store.connector(tx.connection(), connectorId).orElseThrow(), now);
            return report;
        });
    }

    /** Records a failed poll in the connector's health and when to try again; its cursor and verdicts stay. */
    public void pollFailed(String connectorId, String failure, Instant nextPoll) {
        transactions.inTransaction("record a failed threat-defense poll", tx -> {
            store.pollFailed(tx.connection(), connectorId, failure, clock.instant(), nextPoll);
            return null;
        });
    }

    /** Puts off a connector's next poll (one not set up is looked at again after its interval). */
    public void pollLater(String connectorId, Instant nextPoll) {
        transactions.inTransaction("put off a threat-defense poll", tx -> {
            store.nextPoll(tx.connection(), connectorId, nextPoll);
            return null;
        });
    }

    private ThreatReport apply(Tx tx, ConnectorState connector, List<ThreatAssessment> assessments, Instant now) throws SQLException {
        int matched = 0;
        int unmatched = 0;
        int changed = 0;
        for (ThreatAssessment assessment : assessments) {
            String vendorId = assessment.device().vendorDeviceId();
            Optional<ThreatStore.Kept> kept = store.unmatchedKept(tx.connection(), connector.connectorId(), vendorId);
            if (kept.isPresent() && !assessment.assessedAt().isAfter(kept.get().assessedAt())
                    && now.isBefore(kept.get().receivedAt().plus(UNMATCHED_RETRY))) {
                // Kept unmatched, and nothing new: a vendor listing every device at each poll would otherwise search
                // the inventory for the same unknown devices again and again. Matched again hourly (enrollments since).
                unmatched++;
                continue;
            }
            DeviceMatcher.Match match = matcher.match(tx.connection(), connector.connectorId(), assessment.device());
            if (match.device().isEmpty()) {
                unmatched++;
                if (kept.isEmpty() || !assessment.assessedAt().isBefore(kept.get().assessedAt())) {
                    store.saveUnmatched(tx.connection(), connector.connectorId(), assessment, match.by(), now);
                }
                continue;
            }
            matched++;
            DeviceId device = match.device().get();
            Optional<ThreatStore.Link> link = store.link(tx.connection(), connector.connectorId(), vendorId);
            if (link.isEmpty() || !link.get().device().equals(device)) {
                store.saveLink(tx.connection(), connector.connectorId(), vendorId, device, match.by(), now);
            }
            store.deleteUnmatched(tx.connection(), connector.connectorId(), vendorId);
            if (applyVerdict(tx, connector, device, assessment, now, Actor.plugin(connector.pluginId()))) {
                changed++;
            }
        }
        if (unmatched > 0) {
            store.pruneUnmatched(tx.connection(), connector.connectorId(), ThreatLimits.UNMATCHED_KEPT);
        }
        return new ThreatReport(matched, unmatched, changed);
    }

    /** @return whether the device's verdict from the connector changed */
    private boolean applyVerdict(Tx tx, ConnectorState connector, DeviceId device, ThreatAssessment assessment, Instant now, Actor actor)
            throws SQLException {
        Optional<StoredVerdict> before = store.verdict(tx.connection(), device, connector.connectorId());
        if (before.isPresent() && assessment.assessedAt().isBefore(before.get().assessedAt())) {
            return false; // older than what the server has: a late page or a replayed push
        }
        StoredVerdict after = new StoredVerdict(device, connector.connectorId(), assessment.level(), assessment.vendorVerdict(),
                assessment.device().vendorDeviceId(), assessment.assessedAt(), now, assessment.threats());
        if (before.isPresent() && before.get().saysTheSameAs(after)) {
            return false;
        }
        store.saveVerdict(tx.connection(), after);
        String from = before.map(verdict -> verdict.level().name()).orElse(ThreatLevel.NONE.name());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("deviceId", device.toString());
        data.put("connectorId", connector.connectorId());
        data.put("from", from);
        data.put("level", after.level().name());
        data.put("threats", after.threats().size());
        events.record(tx, Event.of(EventTypes.THREAT_CHANGED, "kernel", data));
        audit.append(tx, new AuditRecord(actor, "threat.change", "device", device.toString(),
                before.map(verdict -> json.write(Map.of("connectorId", verdict.connectorId(), "level", verdict.level().name(),
                        "vendorVerdict", verdict.vendorVerdict(), "threats", verdict.threats().size()))),
                Optional.of(json.write(Map.of("connectorId", after.connectorId(), "level", after.level().name(),
                        "vendorVerdict", after.vendorVerdict(), "threats", after.threats().size())))));
        compliance.enqueue(tx, device);
        return true;
    }

    // ---- freshness ----

    /**
     * Judges every connector's freshness now: one that went stale or fresh since last judged has its devices queued for
     * compliance evaluation, an event and an audit entry. Run periodically by the poller; reports judge their own
     * connector at once.
     *
     * @return how many connectors changed freshness
     */
    public int judgeFreshness() {
        Instant now = clock.instant();
        int changed = 0;
        for (ConnectorState connector : connectors()) {
            if (connector.isStale(now, defaultStaleAfter) != connector.markedStale()) {
                changed += transactions.inTransaction("judge a threat-defense connector's freshness", tx -> {
                    Optional<ConnectorState> locked = store.lockConnector(tx.connection(), connector.connectorId());
                    return locked.isPresent() && judgeFreshness(tx, locked.get(), now) ? 1 : 0;
                });
            }
        }
        return changed;
    }

    private boolean judgeFreshness(Tx tx, ConnectorState connector, Instant now) throws SQLException {
        boolean stale = connector.isStale(now, defaultStaleAfter);
        if (stale == connector.markedStale()) {
            return false;
        }
        store.markStale(tx.connection(), connector.connectorId(), stale);
        int devices = compliance.enqueueAll(tx, "SELECT v.device_id FROM threat_verdict v WHERE v.connector_id = ?",
                List.of(connector.connectorId()));
        events.record(tx, Event.of(EventTypes.THREAT_CHANGED, "kernel", Map.of("connectorId", connector.connectorId(),
                "stale", stale, "devices", devices)));
        audit.append(tx, new AuditRecord(Actor.SYSTEM, stale ? "threat-connector.stale" : "threat-connector.fresh", "threat-connector",
                connector.connectorId(), Optional.empty(), Optional.of(json.write(Map.of("lastHeardAt",
                        connector.lastHeardAt().map(Instant::toString).orElse("never"), "staleAfterSeconds",
                        connector.staleAfter(defaultStaleAfter).toSeconds())))));
        return true;
    }

    // ---- reading ----

    @Override
    public ThreatStanding standing(Tx tx, DeviceId device, Instant now) throws SQLException {
        return state(tx.connection(), device, now).standing();
    }

    /** @return a device's threat state: each connector's verdict with its freshness, and the effective level */
    public DeviceThreatState device(DeviceId device) {
        Instant now = clock.instant();
        return transactions.read("read a device's threat state", connection -> state(connection, device, now));
    }

    private DeviceThreatState state(Connection connection, DeviceId device, Instant now) throws SQLException {
        Map<String, ConnectorState> connectors = store.connectors(connection).stream()
                .collect(Collectors.toMap(ConnectorState::connectorId, Function.identity()));
        return DeviceThreatState.of(device, store.verdictsOf(connection, device), connectors, now, defaultStaleAfter);
    }

    /**
     * The devices with threat verdicts, a page at a time in device id order, with their effective state.
     *
     * @param level only devices whose effective level is this ({@code NONE}…{@code CRITICAL} or {@code UNKNOWN})
     * @param after the last device id of the previous page
     * @param limit the most devices on the page
     * @param inScope keeps the devices the caller may see
     */
    public List<DeviceThreatState> fleet(Optional<String> level, Optional<String> after, int limit,
                                         Function<List<DeviceId>, List<DeviceId>> inScope) {
        Optional<ThreatLevel> exact = level.filter(value -> !value.equals(UNKNOWN)).map(ThreatLevel::valueOf);
        Instant now = clock.instant();
        return transactions.read("list devices' threat states", connection -> {
            Map<String, ConnectorState> connectors = store.connectors(connection).stream()
                    .collect(Collectors.toMap(ConnectorState::connectorId, Function.identity()));
            // A device is UNKNOWN only through a stale connector's verdict: only those devices are read for it.
            Optional<List<String>> from = level.filter(UNKNOWN::equals).map(unknown -> connectors.values().stream()
                    .filter(connector -> connector.isStale(now, defaultStaleAfter)).map(ConnectorState::connectorId).toList());
            List<DeviceThreatState> page = new ArrayList<>();
            Optional<String> cursor = after;
            // Pages of candidates until the page is full: a level filter discards devices whose effective level differs.
            for (int round = 0; round < 20 && page.size() < limit; round++) {
                List<StoredVerdict> verdicts = store.verdictsPage(connection, cursor, exact, from, limit);
                if (verdicts.isEmpty()) {
                    break;
                }
                Map<DeviceId, List<StoredVerdict>> byDevice = new LinkedHashMap<>();
                verdicts.forEach(verdict -> byDevice.computeIfAbsent(verdict.device(), id -> new ArrayList<>()).add(verdict));
                List<DeviceId> visible = inScope.apply(List.copyOf(byDevice.keySet()));
                for (Map.Entry<DeviceId, List<StoredVerdict>> entry : byDevice.entrySet()) {
                    cursor = Optional.of(entry.getKey().toString());
                    if (!visible.contains(entry.getKey())) {
                        continue;
                    }
                    DeviceThreatState state = DeviceThreatState.of(entry.getKey(), entry.getValue(), connectors, now, defaultStaleAfter);
                    if (level.isEmpty() || state.effective().level().equals(level.get())) {
                        page.add(state);
                        if (page.size() == limit) {
                            break;
                        }
                    }
                }
            }
            return page;
        });
    }

    /** @return the newest unmatched signals, of one connector or all */
    public List<UnmatchedSignal> unmatched(Optional<String> connectorId, int limit) {
        return transactions.read("list unmatched threat signals", connection -> store.unmatched(connection, connectorId, limit));
    }

    /**
     * Links an unmatched signal to a device: records the vendor id's link (so the connector's later signals reach the
     * device) and applies the signal's verdict, as if it had matched.
     *
     * @return the device's threat state after; empty when there is no such unmatched signal
     * @throws IllegalArgumentException when the device is not managed (enrolled or quarantined)
     */
    public Optional<DeviceThreatState> link(Actor actor, String connectorId, String vendorDeviceId, DeviceId device) {
        Optional<Boolean> linked = transactions.inTransaction("link a threat signal to a device", tx -> {
            Optional<ConnectorState> connector = store.lockConnector(tx.connection(), connectorId);
            Optional<ThreatAssessment> assessment = store.unmatchedAssessment(tx.connection(), connectorId, vendorDeviceId);
            if (connector.isEmpty() || assessment.isEmpty()) {
                return Optional.<Boolean>empty();
            }
            if (store.managedById(tx.connection(), device).isEmpty()) {
                throw new IllegalArgumentException("device " + device + " is not managed (enrolled or quarantined), so no signal can be linked to it");
            }
            Instant now = clock.instant();
            String by = "admin:" + ThreatLimits.clip(actor.id(), 57);
            store.saveLink(tx.connection(), connectorId, vendorDeviceId, device, by, now);
            store.deleteUnmatched(tx.connection(), connectorId, vendorDeviceId);
            audit.append(tx, new AuditRecord(actor, "threat.link", "device", device.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("connectorId", connectorId, "vendorDeviceId", vendorDeviceId)))));
            applyVerdict(tx, connector.get(), device, assessment.get(), now, actor);
            return Optional.of(true);
        });
        return linked.map(done -> device(device));
    }
}
