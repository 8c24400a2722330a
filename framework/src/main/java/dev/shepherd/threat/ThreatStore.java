package dev.shepherd.threat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;
import dev.shepherd.json.Json;
import dev.shepherd.storage.SqlLists;
import dev.shepherd.storage.StorageException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The threat tables (V51): connectors and their health, verdicts per device and connector, vendor-id links and
 * unmatched signals. Plain SQL that both engines run; every method works on the caller's connection, so the service
 * decides the transactions.
 */
final class ThreatStore {

    private static final TypeReference<List<Threat>> THREATS = new TypeReference<>() {
    };
    private static final String CONNECTOR_COLUMNS = """
            connector_id, plugin_id, display_name, poll_cursor, last_heard_at, last_success_at, last_failure_at, last_failure,
            consecutive_failures, next_poll_at, declared_stale_secs, admin_stale_secs, stale, created_at""";
    private static final String VERDICT_COLUMNS = """
            device_id, connector_id, level, vendor_verdict, vendor_device_id, assessed_at, received_at, threats""";
    /** Devices a signal may match: managed ones. Retired, wiped and pending devices are never matched. */
    static final String MANAGED = "('ENROLLED', 'QUARANTINED')";

    private final Json json;

    ThreatStore(Json json) {
        this.json = requireNonNull(json, "json is null");
    }

    // ---- connectors ----

    List<ConnectorState> connectors(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + CONNECTOR_COLUMNS + " FROM threat_connector ORDER BY connector_id");
             ResultSet rows = select.executeQuery()) {
            List<ConnectorState> connectors = new ArrayList<>();
            while (rows.next()) {
                connectors.add(connector(rows));
            }
            return connectors;
        }
    }

    Optional<ConnectorState> connector(Connection connection, String connectorId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + CONNECTOR_COLUMNS + " FROM threat_connector WHERE connector_id = ?")) {
            select.setString(1, connectorId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(connector(rows)) : Optional.empty();
            }
        }
    }

    /** Locks the connector's row for the rest of the transaction, so reports of one connector apply one after another. */
    Optional<ConnectorState> lockConnector(Connection connection, String connectorId) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "UPDATE threat_connector SET consecutive_failures = consecutive_failures WHERE connector_id = ?")) {
            lock.setString(1, connectorId);
            lock.executeUpdate();
        }
        return connector(connection, connectorId);
    }

    private static ConnectorState connector(ResultSet rows) throws SQLException {
        return new ConnectorState(rows.getString(1), rows.getString(2), rows.getString(3), Optional.ofNullable(rows.getString(4)),
                instant(rows, 5), instant(rows, 6), instant(rows, 7), Optional.ofNullable(rows.getString(8)), rows.getInt(9),
                instant(rows, 10), seconds(rows, 11), seconds(rows, 12), rows.getShort(13) != 0, rows.getTimestamp(14).toInstant());
    }

    /** Records a running connector, or what it says of itself now (its plugin, name and stale age may change). */
    void register(Connection connection, String connectorId, String pluginId, String displayName, Optional<Duration> declaredStaleAfter,
                  Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE threat_connector SET plugin_id = ?, display_name = ?, declared_stale_secs = ? WHERE connector_id = ?")) {
            update.setString(1, pluginId);
            update.setString(2, displayName);
            setSeconds(update, 3, declaredStaleAfter);
            update.setString(4, connectorId);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO threat_connector (connector_id, plugin_id, display_name, declared_stale_secs, created_at)
                VALUES (?, ?, ?, ?, ?)""")) {
            insert.setString(1, connectorId);
            insert.setString(2, pluginId);
            insert.setString(3, displayName);
            setSeconds(insert, 4, declaredStaleAfter);
            insert.setTimestamp(5, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    void heard(Connection connection, String connectorId, Instant now) throws SQLException {
        update(connection, "UPDATE threat_connector SET last_heard_at = ? WHERE connector_id = ?", Timestamp.from(now), connectorId);
    }

    void pollSucceeded(Connection connection, String connectorId, Optional<String> cursor, Instant now, Instant nextPoll) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE threat_connector SET poll_cursor = ?, last_heard_at = ?, last_success_at = ?, consecutive_failures = 0,
                                            next_poll_at = ? WHERE connector_id = ?""")) {
            update.setString(1, cursor.orElse(null));
            update.setTimestamp(2, Timestamp.from(now));
            update.setTimestamp(3, Timestamp.from(now));
            update.setTimestamp(4, Timestamp.from(nextPoll));
            update.setString(5, connectorId);
            update.executeUpdate();
        }
    }

    void pollFailed(Connection connection, String connectorId, String failure, Instant now, Instant nextPoll) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE threat_connector SET last_failure_at = ?, last_failure = ?, consecutive_failures = consecutive_failures + 1,
                                            next_poll_at = ? WHERE connector_id = ?""")) {
            update.setTimestamp(1, Timestamp.from(now));
            update.setString(2, ThreatLimits.clip(failure, ThreatLimits.FAILURE_LENGTH));
            update.setTimestamp(3, Timestamp.from(nextPoll));
            update.setString(4, connectorId);
            update.executeUpdate();
        }
    }

    void nextPoll(Connection connection, String connectorId, Instant at) throws SQLException {
        update(connection, "UPDATE threat_connector SET next_poll_at = ? WHERE connector_id = ?", Timestamp.from(at), connectorId);
    }

    void adminStaleAfter(Connection connection, String connectorId, Optional<Duration> staleAfter) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE threat_connector SET admin_stale_secs = ? WHERE connector_id = ?")) {
            setSeconds(update, 1, staleAfter);
            update.setString(2, connectorId);
            update.executeUpdate();
        }
    }

    void markStale(Connection connection, String connectorId, boolean stale) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE threat_connector SET stale = ? WHERE connector_id = ?")) {
            update.setShort(1, (short) (stale ? 1 : 0));
            update.setString(2, connectorId);
            update.executeUpdate();
        }
    }

    /** @return how many devices each connector has a verdict on, by connector id */
    Map<String, Long> matchedCounts(Connection connection) throws SQLException {
        return counts(connection, "SELECT connector_id, COUNT(*) FROM threat_verdict GROUP BY connector_id");
    }

    /** @return how many unmatched signals each connector has, by connector id */
    Map<String, Long> unmatchedCounts(Connection connection) throws SQLException {
        return counts(connection, "SELECT connector_id, COUNT(*) FROM threat_unmatched GROUP BY connector_id");
    }

    private static Map<String, Long> counts(Connection connection, String sql) throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(sql); ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
        }
        return counts;
    }

    // ---- verdicts ----

    Optional<StoredVerdict> verdict(Connection connection, DeviceId device, String connectorId) throws SQLException {
        List<StoredVerdict> found = verdicts(connection, "SELECT " + VERDICT_COLUMNS + " FROM threat_verdict WHERE device_id = ? AND connector_id = ?",
                List.of(device.toString(), connectorId));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    List<StoredVerdict> verdictsOf(Connection connection, DeviceId device) throws SQLException {
        return verdicts(connection, "SELECT " + VERDICT_COLUMNS + " FROM threat_verdict WHERE device_id = ? ORDER BY connector_id",
                List.of(device.toString()));
    }

    /**
     * The verdicts of the devices after a device id, a page of devices at a time, optionally only of devices that have a
     * verdict at one level (or from one of some connectors).
     */
    List<StoredVerdict> verdictsPage(Connection connection, Optional<String> afterDevice, Optional<ThreatLevel> level,
                                     Optional<List<String>> fromConnectors, int devices) throws SQLException {
        StringBuilder which = new StringBuilder("SELECT DISTINCT device_id FROM threat_verdict WHERE device_id > ?");
        List<Object> parameters = new ArrayList<>();
        parameters.add(afterDevice.orElse(""));
        level.ifPresent(value -> {
            which.append(" AND level = ?");
            parameters.add(value.name());
        });
        if (fromConnectors.isPresent()) {
            if (fromConnectors.get().isEmpty()) {
                return List.of();
            }
            which.append(" AND connector_id IN (").append(SqlLists.placeholders(fromConnectors.get().size())).append(")");
            parameters.addAll(fromConnectors.get());
        }
        which.append(" ORDER BY device_id FETCH FIRST ").append(devices).append(" ROWS ONLY");
        List<String> ids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(which.toString())) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1).trim());
                }
            }
        }
        if (ids.isEmpty()) {
            return List.of();
        }
        return verdicts(connection, "SELECT " + VERDICT_COLUMNS + " FROM threat_verdict WHERE device_id IN ("
                + SqlLists.placeholders(ids.size()) + ") ORDER BY device_id, connector_id", List.copyOf(ids));
    }

    private List<StoredVerdict> verdicts(Connection connection, String sql, List<String> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            bind(select, parameters);
            List<StoredVerdict> verdicts = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    verdicts.add(new StoredVerdict(DeviceId.parse(rows.getString(1).trim()), rows.getString(2),
                            ThreatLevel.valueOf(rows.getString(3)), rows.getString(4), rows.getString(5),
                            rows.getTimestamp(6).toInstant(), rows.getTimestamp(7).toInstant(), threats(rows.getString(8))));
                }
            }
            return verdicts;
        }
    }

    void saveVerdict(Connection connection, StoredVerdict verdict) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE threat_verdict SET level = ?, vendor_verdict = ?, vendor_device_id = ?, assessed_at = ?, received_at = ?, threats = ?
                WHERE device_id = ? AND connector_id = ?""")) {
            fill(update, verdict);
            update.setString(7, verdict.device().toString());
            update.setString(8, verdict.connectorId());
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO threat_verdict (level, vendor_verdict, vendor_device_id, assessed_at, received_at, threats, device_id, connector_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            fill(insert, verdict);
            insert.setString(7, verdict.device().toString());
            insert.setString(8, verdict.connectorId());
            insert.executeUpdate();
        }
    }

    private void fill(PreparedStatement statement, StoredVerdict verdict) throws SQLException {
        statement.setString(1, verdict.level().name());
        statement.setString(2, verdict.vendorVerdict());
        statement.setString(3, verdict.vendorDeviceId());
        statement.setTimestamp(4, Timestamp.from(verdict.assessedAt()));
        statement.setTimestamp(5, Timestamp.from(verdict.receivedAt()));
        statement.setString(6, json.write(verdict.threats()));
    }

    private List<Threat> threats(String text) {
        try {
            return json.mapper().readValue(text, THREATS);
        } catch (JsonProcessingException e) {
            throw new StorageException("A stored threat list is malformed", e);
        }
    }

    // ---- matching ----

    Optional<Link> link(Connection connection, String connectorId, String vendorDeviceId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT l.device_id, l.matched_by, d.status FROM threat_device_link l JOIN device d ON d.id = l.device_id
                WHERE l.connector_id = ? AND l.vendor_device_id = ?""")) {
            select.setString(1, connectorId);
            select.setString(2, vendorDeviceId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(new Link(DeviceId.parse(rows.getString(1).trim()), rows.getString(2),
                        MANAGED.contains("'" + rows.getString(3) + "'"))) : Optional.empty();
            }
        }
    }

    /** A recorded vendor-id link, and whether its device is still managed. */
    record Link(DeviceId device, String matchedBy, boolean managed) {
    }

    void saveLink(Connection connection, String connectorId, String vendorDeviceId, DeviceId device, String matchedBy, Instant now)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE threat_device_link SET device_id = ?, matched_by = ?, linked_at = ? WHERE connector_id = ? AND vendor_device_id = ?""")) {
            update.setString(1, device.toString());
            update.setString(2, ThreatLimits.clip(matchedBy, 64));
            update.setTimestamp(3, Timestamp.from(now));
            update.setString(4, connectorId);
            update.setString(5, vendorDeviceId);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO threat_device_link (connector_id, vendor_device_id, device_id, matched_by, linked_at) VALUES (?, ?, ?, ?, ?)""")) {
            insert.setString(1, connectorId);
            insert.setString(2, vendorDeviceId);
            insert.setString(3, device.toString());
            insert.setString(4, ThreatLimits.clip(matchedBy, 64));
            insert.setTimestamp(5, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    /** @return the managed device with this id, if there is one */
    Set<DeviceId> managedById(Connection connection, DeviceId id) throws SQLException {
        return ids(connection, "SELECT id FROM device WHERE id = ? AND status IN " + MANAGED, List.of(id.toString()));
    }

    Set<DeviceId> managedBySerial(Connection connection, String serialNumber) throws SQLException {
        return ids(connection, "SELECT id FROM device WHERE serial_number = ? AND status IN " + MANAGED, List.of(serialNumber));
    }

    Set<DeviceId> managedByHardwareId(Connection connection, String kind, String value) throws SQLException {
        return ids(connection, "SELECT DISTINCT h.device_id FROM device_hardware_id h JOIN device d ON d.id = h.device_id"
                + " WHERE h.kind = ? AND h.value = ? AND d.status IN " + MANAGED, List.of(kind, value));
    }

    /** @param items inventory items that carry the identifier; @param values the forms its value may be written in */
    Set<DeviceId> managedByInventory(Connection connection, List<String> items, List<String> values) throws SQLException {
        List<String> parameters = new ArrayList<>(items);
        parameters.addAll(values);
        return ids(connection, "SELECT DISTINCT i.device_id FROM device_inventory i JOIN device d ON d.id = i.device_id WHERE i.item IN ("
                + SqlLists.placeholders(items.size()) + ") AND i.value IN (" + SqlLists.placeholders(values.size()) + ") AND d.status IN "
                + MANAGED, parameters);
    }

    Set<DeviceId> managedByName(Connection connection, String nameKey) throws SQLException {
        return ids(connection, "SELECT id FROM device WHERE name_key = ? AND status IN " + MANAGED + " FETCH FIRST 2 ROWS ONLY",
                List.of(nameKey));
    }

    private static Set<DeviceId> ids(Connection connection, String sql, List<String> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            bind(select, parameters);
            Set<DeviceId> ids = new LinkedHashSet<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(DeviceId.parse(rows.getString(1).trim()));
                }
            }
            return ids;
        }
    }

    // ---- unmatched signals ----

    /** When a kept unmatched signal was assessed by the vendor and received by the server. */
    record Kept(Instant assessedAt, Instant receivedAt) {
    }

    Optional<Kept> unmatchedKept(Connection connection, String connectorId, String vendorDeviceId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT assessed_at, received_at FROM threat_unmatched WHERE connector_id = ? AND vendor_device_id = ?")) {
            select.setString(1, connectorId);
            select.setString(2, vendorDeviceId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(new Kept(rows.getTimestamp(1).toInstant(), rows.getTimestamp(2).toInstant()))
                        : Optional.empty();
            }
        }
    }

    void saveUnmatched(Connection connection, String connectorId, ThreatAssessment assessment, String reason, Instant now) throws SQLException {
        deleteUnmatched(connection, connectorId, assessment.device().vendorDeviceId());
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO threat_unmatched (connector_id, vendor_device_id, vendor_device, level, reason, assessment, assessed_at, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, connectorId);
            insert.setString(2, assessment.device().vendorDeviceId());
            insert.setString(3, json.write(assessment.device()));
            insert.setString(4, assessment.level().name());
            insert.setString(5, ThreatLimits.clip(reason, 500));
            insert.setString(6, json.write(assessment));
            insert.setTimestamp(7, Timestamp.from(assessment.assessedAt()));
            insert.setTimestamp(8, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    boolean deleteUnmatched(Connection connection, String connectorId, String vendorDeviceId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM threat_unmatched WHERE connector_id = ? AND vendor_device_id = ?")) {
            delete.setString(1, connectorId);
            delete.setString(2, vendorDeviceId);
            return delete.executeUpdate() > 0;
        }
    }

    Optional<ThreatAssessment> unmatchedAssessment(Connection connection, String connectorId, String vendorDeviceId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT assessment FROM threat_unmatched WHERE connector_id = ? AND vendor_device_id = ?")) {
            select.setString(1, connectorId);
            select.setString(2, vendorDeviceId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(json.mapper().readValue(rows.getString(1), ThreatAssessment.class));
            } catch (JsonProcessingException e) {
                throw new StorageException("A stored unmatched threat signal is malformed", e);
            }
        }
    }

    List<UnmatchedSignal> unmatched(Connection connection, Optional<String> connectorId, int limit) throws SQLException {
        String sql = "SELECT connector_id, vendor_device_id, vendor_device, level, reason, assessed_at, received_at FROM threat_unmatched"
                + (connectorId.isPresent() ? " WHERE connector_id = ?" : "")
                + " ORDER BY received_at DESC, connector_id, vendor_device_id FETCH FIRST " + limit + " ROWS ONLY";
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            if (connectorId.isPresent()) {
                select.setString(1, connectorId.get());
            }
            List<UnmatchedSignal> signals = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    signals.add(new UnmatchedSignal(rows.getString(1), rows.getString(2),
                            json.mapper().readValue(rows.getString(3), VendorDevice.class), ThreatLevel.valueOf(rows.getString(4)),
                            rows.getString(5), rows.getTimestamp(6).toInstant(), rows.getTimestamp(7).toInstant()));
                }
            } catch (JsonProcessingException e) {
                throw new StorageException("A stored unmatched threat signal is malformed", e);
            }
            return signals;
        }
    }

    /** Keeps the newest unmatched signals of a connector, so a vendor listing thousands of unknown devices cannot fill the store. */
    void pruneUnmatched(Connection connection, String connectorId, int keep) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT received_at FROM threat_unmatched WHERE connector_id = ?"
                + " ORDER BY received_at DESC OFFSET " + keep + " ROWS FETCH FIRST 1 ROWS ONLY")) {
            select.setString(1, connectorId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return;
                }
                Timestamp oldestKept = rows.getTimestamp(1);
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM threat_unmatched WHERE connector_id = ? AND received_at < ?")) {
                    delete.setString(1, connectorId);
                    delete.setTimestamp(2, oldestKept);
                    delete.executeUpdate();
                }
            }
        }
    }

    // ---- helpers ----

    private static void bind(PreparedStatement statement, List<?> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(i + 1, parameters.get(i));
        }
    }

    private static void update(Connection connection, String sql, Timestamp at, String connectorId) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            update.setTimestamp(1, at);
            update.setString(2, connectorId);
            update.executeUpdate();
        }
    }

    private static Optional<Instant> instant(ResultSet rows, int column) throws SQLException {
        Timestamp value = rows.getTimestamp(column);
        return value == null ? Optional.empty() : Optional.of(value.toInstant());
    }

    private static Optional<Duration> seconds(ResultSet rows, int column) throws SQLException {
        long value = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(Duration.ofSeconds(value));
    }

    private static void setSeconds(PreparedStatement statement, int index, Optional<Duration> duration) throws SQLException {
        if (duration.isPresent()) {
            statement.setLong(index, duration.get().toSeconds());
        } else {
            statement.setNull(index, Types.BIGINT);
        }
    }
}
