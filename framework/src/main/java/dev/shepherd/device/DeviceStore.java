package dev.shepherd.device;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.storage.SqlLists;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The device tables. Every statement is parameterised; filters compile to conditions over indexed columns, and
 * listings use keyset pagination so the millionth page costs what the first does.
 */
final class DeviceStore {

    private static final String COLUMNS = """
            d.id, d.platform, d.status, d.ownership, d.name, d.serial_number, d.model, d.os_version, d.user_id,
            d.enrollment_method, d.compliance, d.enrolled_at, d.last_check_in, d.row_version, d.enrolled_by,
            d.enrollment_token_id, d.created_at, d.updated_at""";

    /** A device row as written; the related rows (hardware ids, tags, attributes) are written separately. */
    record Row(DeviceId id, Platform platform, DeviceStatus status, Ownership ownership, String name, String serialNumber,
               String model, String osVersion, Optional<String> userId, Optional<EnrollmentMethod> enrollmentMethod,
               ComplianceState compliance, Optional<Instant> enrolledAt, Optional<Instant> lastCheckIn,
               Optional<String> enrolledBy, Optional<String> enrollmentTokenId, Instant createdAt, Instant updatedAt,
               long version) {
    }

    private static final String INSERT = """
            INSERT INTO device (id, platform, status, ownership, name, name_key, serial_number, model, os_version,
                                os_version_key, user_id, enrollment_method, enrollment_token_id, enrolled_by,
                                enrolled_at, last_check_in, compliance, created_at, updated_at, row_version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";

    void insert(Connection connection, Row row) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            bindInsert(insert, row);
            insert.executeUpdate();
        }
    }

    /** Inserts many devices with their hardware ids and tags in batched statements. */
    void insertAll(Connection connection, List<Row> rows, List<Map<String, String>> hardwareIds, List<Set<String>> tags)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT);
             PreparedStatement insertHardwareId = connection.prepareStatement(
                     "INSERT INTO device_hardware_id (platform, kind, value, device_id) VALUES (?, ?, ?, ?)");
             PreparedStatement insertTag = connection.prepareStatement("INSERT INTO device_tag (device_id, tag) VALUES (?, ?)")) {
            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                bindInsert(insert, row);
                insert.addBatch();
                for (Map.Entry<String, String> hardwareId : hardwareIds.get(i).entrySet()) {
                    insertHardwareId.setString(1, row.platform().id());
                    insertHardwareId.setString(2, hardwareId.getKey());
                    insertHardwareId.setString(3, hardwareId.getValue());
                    insertHardwareId.setString(4, row.id().toString());
                    insertHardwareId.addBatch();
                }
                for (String tag : tags.get(i)) {
                    insertTag.setString(1, row.id().toString());
                    insertTag.setString(2, tag);
                    insertTag.addBatch();
                }
            }
            insert.executeBatch();
            insertHardwareId.executeBatch();
            insertTag.executeBatch();
        }
    }

    private static void bindInsert(PreparedStatement insert, Row row) throws SQLException {
        {
            insert.setString(1, row.id().toString());
            insert.setString(2, row.platform().id());
            insert.setString(3, row.status().name());
            insert.setString(4, row.ownership().name());
            insert.setString(5, row.name());
            insert.setString(6, nameKey(row.name()));
            insert.setString(7, row.serialNumber());
            insert.setString(8, row.model());
            insert.setString(9, row.osVersion());
            insert.setString(10, OsVersion.key(row.osVersion()));
            setOptional(insert, 11, row.userId());
            setOptional(insert, 12, row.enrollmentMethod().map(Enum::name));
            setOptional(insert, 13, row.enrollmentTokenId());
            setOptional(insert, 14, row.enrolledBy());
            setTimestamp(insert, 15, row.enrolledAt());
            setTimestamp(insert, 16, row.lastCheckIn());
            insert.setString(17, row.compliance().name());
            insert.setTimestamp(18, Timestamp.from(row.createdAt()));
            insert.setTimestamp(19, Timestamp.from(row.updatedAt()));
            insert.setLong(20, row.version());
        }
    }

    /**
     * Rewrites a device's row if its version is still the expected one.
     *
     * @return false when another change got there first
     */
    boolean update(Connection connection, Row row, long expectedVersion) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE device SET platform = ?, status = ?, ownership = ?, name = ?, name_key = ?, serial_number = ?,
                                  model = ?, os_version = ?, os_version_key = ?, user_id = ?, enrollment_method = ?,
                                  enrollment_token_id = ?, enrolled_by = ?, enrolled_at = ?, last_check_in = ?,
                                  compliance = ?, updated_at = ?, row_version = ?
                WHERE id = ? AND row_version = ?""")) {
            update.setString(1, row.platform().id());
            update.setString(2, row.status().name());
            update.setString(3, row.ownership().name());
            update.setString(4, row.name());
            update.setString(5, nameKey(row.name()));
            update.setString(6, row.serialNumber());
            update.setString(7, row.model());
            update.setString(8, row.osVersion());
            update.setString(9, OsVersion.key(row.osVersion()));
            setOptional(update, 10, row.userId());
            setOptional(update, 11, row.enrollmentMethod().map(Enum::name));
            setOptional(update, 12, row.enrollmentTokenId());
            setOptional(update, 13, row.enrolledBy());
            setTimestamp(update, 14, row.enrolledAt());
            setTimestamp(update, 15, row.lastCheckIn());
            update.setString(16, row.compliance().name());
            update.setTimestamp(17, Timestamp.from(row.updatedAt()));
            update.setLong(18, row.version());
            update.setString(19, row.id().toString());
            update.setLong(20, expectedVersion);
            return update.executeUpdate() == 1;
        }
    }

    /** Check-ins are frequent and change nothing an admin audits: one narrow update, no version bump. */
    /** Moves the last check-in to {@code at} if it is unset or before {@code recordedBefore}. */
    boolean touchCheckIn(Connection connection, DeviceId id, Instant at, Instant recordedBefore) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE device SET last_check_in = ? WHERE id = ? AND (last_check_in IS NULL OR last_check_in < ?)")) {
            update.setTimestamp(1, Timestamp.from(at));
            update.setString(2, id.toString());
            update.setTimestamp(3, Timestamp.from(recordedBefore));
            return update.executeUpdate() == 1;
        }
    }

    void replaceHardwareIds(Connection connection, DeviceId id, Platform platform, Map<String, String> hardwareIds) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM device_hardware_id WHERE device_id = ?")) {
            delete.setString(1, id.toString());
            delete.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO device_hardware_id (platform, kind, value, device_id) VALUES (?, ?, ?, ?)")) {
            for (Map.Entry<String, String> hardwareId : hardwareIds.entrySet()) {
                insert.setString(1, platform.id());
                insert.setString(2, hardwareId.getKey());
                insert.setString(3, hardwareId.getValue());
                insert.setString(4, id.toString());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    void replaceTags(Connection connection, DeviceId id, Set<String> tags) throws SQLException {
        replaceValues(connection, id, "DELETE FROM device_tag WHERE device_id = ?",
                "INSERT INTO device_tag (device_id, tag) VALUES (?, ?)",
                tags.stream().collect(Collectors.toMap(tag -> tag, tag -> tag)), false);
    }

    void replaceAttributes(Connection connection, DeviceId id, Map<String, String> attributes) throws SQLException {
        replaceValues(connection, id, "DELETE FROM device_attribute WHERE device_id = ?",
                "INSERT INTO device_attribute (device_id, name, value) VALUES (?, ?, ?)", attributes, true);
    }

    private static void replaceValues(Connection connection, DeviceId id, String deleteSql, String insertSql,
                                      Map<String, String> values, boolean withValue) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(deleteSql)) {
            delete.setString(1, id.toString());
            delete.executeUpdate();
        }
        if (values.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(insertSql)) {
            for (Map.Entry<String, String> value : values.entrySet()) {
                insert.setString(1, id.toString());
                insert.setString(2, value.getKey());
                if (withValue) {
                    insert.setString(3, value.getValue());
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Upserts inventory items: update what exists, insert the rest. */
    void putInventory(Connection connection, DeviceId id, Map<String, String> items, Instant at) throws SQLException {
        Set<String> existing = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT item FROM device_inventory WHERE device_id = ?")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    existing.add(rows.getString(1));
                }
            }
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE device_inventory SET value = ?, updated_at = ? WHERE device_id = ? AND item = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO device_inventory (device_id, item, value, updated_at) VALUES (?, ?, ?, ?)")) {
            for (Map.Entry<String, String> item : items.entrySet()) {
                if (existing.contains(item.getKey())) {
                    update.setString(1, item.getValue());
                    update.setTimestamp(2, Timestamp.from(at));
                    update.setString(3, id.toString());
                    update.setString(4, item.getKey());
                    update.addBatch();
                } else {
                    insert.setString(1, id.toString());
                    insert.setString(2, item.getKey());
                    insert.setString(3, item.getValue());
                    insert.setTimestamp(4, Timestamp.from(at));
                    insert.addBatch();
                }
            }
            update.executeBatch();
            insert.executeBatch();
        }
    }

    /**
     * Writes an inventory report against what is stored ({@code stored}, read in the same transaction): items whose
     * value is unchanged are not written at all; changed ones are updated and new ones inserted, each kind in one
     * batch; with {@code completePrefix}, stored items under it that the report lacks are deleted in one batch.
     *
     * @return what was written
     */
    InventoryWrite writeInventory(Connection connection, DeviceId id, Map<String, String> stored, Map<String, String> items,
                                  Optional<String> completePrefix, Instant at) throws SQLException {
        List<String> gone = new ArrayList<>();
        // Filtered here rather than with LIKE, whose wildcards (_ and %) are common in inventory keys.
        completePrefix.ifPresent(prefix -> stored.keySet().stream()
                .filter(item -> item.startsWith(prefix) && !items.containsKey(item)).forEach(gone::add));
        int changed = 0;
        int added = 0;
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE device_inventory SET value = ?, updated_at = ? WHERE device_id = ? AND item = ?");
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO device_inventory (device_id, item, value, updated_at) VALUES (?, ?, ?, ?)");
             PreparedStatement delete = connection.prepareStatement("DELETE FROM device_inventory WHERE device_id = ? AND item = ?")) {
            Timestamp now = Timestamp.from(at);
            for (Map.Entry<String, String> item : items.entrySet()) {
                String before = stored.get(item.getKey());
                if (before == null) {
                    insert.setString(1, id.toString());
                    insert.setString(2, item.getKey());
                    insert.setString(3, item.getValue());
                    insert.setTimestamp(4, now);
                    insert.addBatch();
                    added++;
                } else if (!before.equals(item.getValue())) {
                    update.setString(1, item.getValue());
                    update.setTimestamp(2, now);
                    update.setString(3, id.toString());
                    update.setString(4, item.getKey());
                    update.addBatch();
                    changed++;
                }
            }
            for (String item : gone) {
                delete.setString(1, id.toString());
                delete.setString(2, item);
                delete.addBatch();
            }
            if (changed > 0) {
                update.executeBatch();
            }
            if (added > 0) {
                insert.executeBatch();
            }
            if (!gone.isEmpty()) {
                delete.executeBatch();
            }
        }
        return new InventoryWrite(added, changed, gone.size());
    }

    /** What an inventory report changed: items added, items whose value changed, items removed. */
    record InventoryWrite(int added, int changed, int removed) {
        boolean any() {
            return added + changed + removed > 0;
        }
    }

    Map<String, String> inventory(Connection connection, DeviceId id) throws SQLException {
        Map<String, String> items = new LinkedHashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT item, value FROM device_inventory WHERE device_id = ? ORDER BY item")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    items.put(rows.getString(1), rows.getString(2));
                }
            }
        }
        return items;
    }

    Optional<DeviceId> idByHardwareId(Connection connection, Platform platform, String kind, String value) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT device_id FROM device_hardware_id WHERE platform = ? AND kind = ? AND value = ?")) {
            select.setString(1, platform.id());
            select.setString(2, kind);
            select.setString(3, value);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(DeviceId.parse(rows.getString(1).trim())) : Optional.empty();
            }
        }
    }

    Optional<DeviceRecord> find(Connection connection, DeviceId id) throws SQLException {
        List<DeviceRecord> found = load(connection, List.of(id.toString()));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    Optional<DeviceStatus> status(Connection connection, DeviceId id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT status FROM device WHERE id = ?")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(DeviceStatus.valueOf(rows.getString(1))) : Optional.empty();
            }
        }
    }

    /** The facts of a device that inventory reports also carry, as stored. */
    record Facts(String name, String serialNumber, String model, String osVersion) {
    }

    /**
     * Locks the device's row for the rest of the transaction and reads the facts inventory reports carry: two
     * statements, where {@link #findForUpdate} needs five.
     */
    Optional<Facts> lockFacts(Connection connection, DeviceId id) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("UPDATE device SET row_version = row_version WHERE id = ?")) {
            lock.setString(1, id.toString());
            if (lock.executeUpdate() == 0) {
                return Optional.empty();
            }
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT name, serial_number, model, os_version FROM device WHERE id = ?")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(new Facts(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)))
                        : Optional.empty();
            }
        }
    }

    /** A device's facts and inventory as last committed, read without a lock. */
    record Reported(Facts facts, Map<String, String> inventory) {
    }

    /**
     * Reads the facts inventory reports carry and the whole inventory in one statement, without locking anything: what
     * a report is compared with before any transaction is begun for it.
     */
    Optional<Reported> reported(Connection connection, DeviceId id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT d.name, d.serial_number, d.model, d.os_version, i.item, i.value
                FROM device d LEFT JOIN device_inventory i ON i.device_id = d.id WHERE d.id = ?""")) {
            select.setString(1, id.toString());
            try (ResultSet rows = select.executeQuery()) {
                Facts facts = null;
                Map<String, String> items = new LinkedHashMap<>();
                while (rows.next()) {
                    if (facts == null) {
                        facts = new Facts(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4));
                    }
                    String item = rows.getString(5);
                    if (item != null) {
                        items.put(item, rows.getString(6));
                    }
                }
                return facts == null ? Optional.empty() : Optional.of(new Reported(facts, items));
            }
        }
    }

    /** Whether {@link #writeInventory} would write anything for these items over what is stored. */
    static boolean inventoryChanges(Map<String, String> stored, Map<String, String> items, Optional<String> completePrefix) {
        for (Map.Entry<String, String> item : items.entrySet()) {
            if (!stored.containsKey(item.getKey()) || !Objects.equals(item.getValue(), stored.get(item.getKey()))) {
                return true;
            }
        }
        return completePrefix.isPresent() && stored.keySet().stream()
                .anyMatch(item -> item.startsWith(completePrefix.get()) && !items.containsKey(item));
    }

    Optional<DeviceRecord> findForUpdate(Connection connection, DeviceId id) throws SQLException {
        // Derby takes an update lock on the row for the rest of the transaction.
        try (PreparedStatement lock = connection.prepareStatement("UPDATE device SET row_version = row_version WHERE id = ?")) {
            lock.setString(1, id.toString());
            if (lock.executeUpdate() == 0) {
                return Optional.empty();
            }
        }
        return find(connection, id);
    }

    /** Lists devices matching a filter, one keyset page at a time. */
    DevicePage search(Connection connection, DeviceFilter filter, DeviceSort sort, Optional<String> cursorText, int limit)
            throws SQLException {
        Optional<Cursor> cursor = cursorText.map(text -> Cursor.decode(text, sort));
        StringBuilder sql = new StringBuilder();
        List<Object> parameters = new ArrayList<>();
        // The plan matters at a million devices: the query is driven by whichever index already yields the sort
        // order, so the first page never sorts the whole fleet. Derby's optimizer needs telling for two cases.
        boolean byTag = filter.tag().isPresent() && sort == DeviceSort.ID;
        String idColumn = byTag ? "t.device_id" : "d.id";
        if (byTag) {
            sql.append("SELECT d.id, d.name_key FROM --DERBY-PROPERTIES joinOrder=FIXED\n")
                    .append(" device_tag t --DERBY-PROPERTIES index=IX_DEVICE_TAG\n")
                    .append(" INNER JOIN device d --DERBY-PROPERTIES joinStrategy=NESTEDLOOP, constraint=PK_DEVICE\n")
                    .append(" ON d.id = t.device_id WHERE t.tag = ?");
            parameters.add(filter.tag().get());
            appendConditions(withoutTag(filter), sql, parameters);
        } else if (sort == DeviceSort.NAME && filter.serialNumber().isEmpty() && filter.userId().isEmpty() && filter.tag().isEmpty()) {
            sql.append("SELECT d.id, d.name_key FROM device d --DERBY-PROPERTIES index=IX_DEVICE_NAME\n WHERE 1 = 1");
            appendConditions(filter, sql, parameters);
        } else {
            sql.append("SELECT d.id, ").append(sort.column()).append(" FROM device d WHERE 1 = 1");
            appendConditions(filter, sql, parameters);
        }
        if (cursor.isPresent()) {
            if (sort == DeviceSort.ID) {
                sql.append(" AND ").append(idColumn).append(" > ?");
                parameters.add(cursor.get().id());
            } else {
                // Written so either engine can start an index range scan at the cursor's value.
                String beyond = sort.descending() ? " < ?" : " > ?";
                sql.append(" AND ").append(sort.column()).append(sort.descending() ? " <= ?" : " >= ?")
                        .append(" AND (").append(sort.column()).append(beyond).append(" OR d.id").append(beyond).append(")");
                parameters.add(cursor.get().sortValue());
                parameters.add(cursor.get().sortValue());
                parameters.add(cursor.get().id());
            }
        }
        String direction = sort.descending() ? " DESC" : "";
        sql.append(sort == DeviceSort.ID ? " ORDER BY " + idColumn
                : " ORDER BY " + sort.column() + direction + ", d.id" + direction);
        sql.append(" FETCH FIRST ").append(limit + 1).append(" ROWS ONLY");
        List<String> ids = new ArrayList<>();
        List<String> sortValues = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                    sortValues.add(rows.getString(2));
                }
            }
        }
        Optional<String> next = Optional.empty();
        if (ids.size() > limit) {
            ids = ids.subList(0, limit);
            String lastId = ids.get(limit - 1);
            next = Optional.of(new Cursor(sort, sort == DeviceSort.ID ? "" : sortValues.get(limit - 1), lastId).encode());
        }
        return new DevicePage(load(connection, ids), next);
    }

    private static DeviceFilter withoutTag(DeviceFilter filter) {
        return new DeviceFilter(filter.platform(), filter.status(), filter.ownership(), filter.compliance(), filter.model(),
                filter.namePrefix(), filter.serialNumber(), filter.userId(), Optional.empty(), filter.osVersionAtLeast(),
                filter.osVersionBelow(), filter.checkedInBefore(), filter.checkedInAfter(), filter.groupId(), filter.text(), filter.scope());
    }

    /** Counts devices matching a filter. */
    long count(Connection connection, DeviceFilter filter) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT COUNT(*) FROM device d WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        appendConditions(filter, sql, parameters);
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** The ids of every device matching a filter, in id order, for fan-out. */
    List<DeviceId> ids(Connection connection, DeviceFilter filter) throws SQLException {
        return ids(connection, filter, false, false);
    }

    /**
     * @param manageableOnly leave out retired and wiped devices
     * @param corporateOnly leave out personal devices
     */
    List<DeviceId> ids(Connection connection, DeviceFilter filter, boolean manageableOnly, boolean corporateOnly) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT d.id FROM device d WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        appendConditions(filter, sql, parameters);
        if (manageableOnly) {
            sql.append(" AND d.status NOT IN ('RETIRED', 'WIPED')");
        }
        if (corporateOnly) {
            sql.append(" AND d.ownership = 'CORPORATE'");
        }
        sql.append(" ORDER BY d.id");
        List<DeviceId> ids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            bind(select, parameters);
            select.setFetchSize(1000);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(new DeviceId(UUID.fromString(rows.getString(1).trim())));
                }
            }
        }
        return ids;
    }

    /** Of the given devices, those that exist and are managed (and corporate, if asked), in pages of 500. */
    List<DeviceId> manageableAmong(Connection connection, List<DeviceId> devices, boolean corporateOnly) throws SQLException {
        List<DeviceId> manageable = new ArrayList<>(devices.size());
        for (int from = 0; from < devices.size(); from += 500) {
            List<DeviceId> page = devices.subList(from, Math.min(devices.size(), from + 500));
            String sql = "SELECT id FROM device WHERE status NOT IN ('RETIRED', 'WIPED')"
                    + (corporateOnly ? " AND ownership = 'CORPORATE'" : "")
                    + " AND id IN (" + SqlLists.placeholders(page.size()) + ")";
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                for (int i = 0; i < page.size(); i++) {
                    select.setString(i + 1, page.get(i).toString());
                }
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        manageable.add(DeviceId.parse(rows.getString(1).trim()));
                    }
                }
            }
        }
        return manageable;
    }

    /** Of the listed devices, those that are members of one of the scope's groups. */
    Set<DeviceId> inScopeAmong(Connection connection, DeviceScope scope, List<DeviceId> devices) throws SQLException {
        Set<DeviceId> inside = new HashSet<>();
        for (int from = 0; from < devices.size(); from += 500) {
            List<DeviceId> page = devices.subList(from, Math.min(devices.size(), from + 500));
            StringBuilder sql = new StringBuilder("SELECT d.id FROM device d WHERE d.id IN (" + SqlLists.placeholders(page.size()) + ")");
            List<Object> parameters = new ArrayList<>();
            page.forEach(id -> parameters.add(id.toString()));
            scope.appendCondition("d.id", sql, parameters);
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                bind(select, parameters);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        inside.add(DeviceId.parse(rows.getString(1).trim()));
                    }
                }
            }
        }
        return inside;
    }

    /** Whether a device is a member of one of the scope's groups. */
    boolean inScope(Connection connection, DeviceScope scope, DeviceId id) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT d.id FROM device d WHERE d.id = ?");
        List<Object> parameters = new ArrayList<>();
        parameters.add(id.toString());
        scope.appendCondition("d.id", sql, parameters);
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    static void appendConditions(DeviceFilter filter, StringBuilder sql, List<Object> parameters) {
        filter.platform().ifPresent(value -> condition(sql, parameters, " AND d.platform = ?", value.id()));
        filter.status().ifPresent(value -> condition(sql, parameters, " AND d.status = ?", value.name()));
        filter.ownership().ifPresent(value -> condition(sql, parameters, " AND d.ownership = ?", value.name()));
        filter.compliance().ifPresent(value -> condition(sql, parameters, " AND d.compliance = ?", value.name()));
        filter.model().ifPresent(value -> condition(sql, parameters, " AND d.model = ?", value));
        filter.namePrefix().ifPresent(value -> condition(sql, parameters, " AND d.name_key LIKE ? ESCAPE '!'",
                escapeLike(nameKey(value)) + "%"));
        filter.serialNumber().ifPresent(value -> condition(sql, parameters, " AND d.serial_number = ?", value));
        filter.userId().ifPresent(value -> condition(sql, parameters, " AND d.user_id = ?", value));
        filter.tag().ifPresent(value -> condition(sql, parameters,
                " AND d.id IN (SELECT t.device_id FROM device_tag t WHERE t.tag = ?)", value));
        filter.osVersionAtLeast().ifPresent(value -> condition(sql, parameters, " AND d.os_version_key >= ?", OsVersion.key(value)));
        filter.osVersionBelow().ifPresent(value -> condition(sql, parameters,
                " AND d.os_version_key < ? AND d.os_version_key <> ''", OsVersion.key(value)));
        filter.checkedInBefore().ifPresent(value -> condition(sql, parameters,
                " AND (d.last_check_in IS NULL OR d.last_check_in < ?)", Timestamp.from(value)));
        filter.checkedInAfter().ifPresent(value -> condition(sql, parameters, " AND d.last_check_in >= ?", Timestamp.from(value)));
        filter.groupId().ifPresent(value -> condition(sql, parameters,
                " AND d.id IN (SELECT m.device_id FROM group_member m WHERE m.group_id = ?)", value));
        filter.text().ifPresent(value -> {
            // A substring anywhere: LIKE '%…%' cannot seek an index on either engine, so it runs over the rows the other
            // (indexed) conditions leave; the lower-cased name is stored, the short serial and model are lowered here.
            String pattern = "%" + escapeLike(value.toLowerCase(Locale.ROOT)) + "%";
            sql.append(" AND (d.name_key LIKE ? ESCAPE '!' OR LOWER(d.serial_number) LIKE ? ESCAPE '!'"
                    + " OR LOWER(d.model) LIKE ? ESCAPE '!' OR d.user_id IN (SELECT u.id FROM directory_user u"
                    + " WHERE LOWER(u.username) LIKE ? ESCAPE '!' OR LOWER(u.display_name) LIKE ? ESCAPE '!'"
                    + " OR LOWER(u.email) LIKE ? ESCAPE '!'))");
            for (int i = 0; i < 6; i++) {
                parameters.add(pattern);
            }
        });
        filter.scope().appendCondition("d.id", sql, parameters);
    }

    private static void condition(StringBuilder sql, List<Object> parameters, String clause, Object value) {
        sql.append(clause);
        parameters.add(value);
    }

    /** Loads devices with their hardware ids, tags and attributes, in the order given, in four queries. */
    List<DeviceRecord> load(Connection connection, List<String> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        String placeholders = SqlLists.placeholders(ids.size());
        Map<String, Map<String, String>> hardwareIds = related(connection,
                "SELECT device_id, kind, value FROM device_hardware_id WHERE device_id IN (" + placeholders + ")", ids);
        Map<String, Map<String, String>> tags = related(connection,
                "SELECT device_id, tag, tag FROM device_tag WHERE device_id IN (" + placeholders + ")", ids);
        Map<String, Map<String, String>> attributes = related(connection,
                "SELECT device_id, name, value FROM device_attribute WHERE device_id IN (" + placeholders + ")", ids);
        Map<String, DeviceRecord> byId = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM device d WHERE d.id IN (" + placeholders + ")")) {
            bind(select, new ArrayList<>(ids));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String id = rows.getString(1).trim();
                    byId.put(id, recordOf(rows, hardwareIds.getOrDefault(id, Map.of()),
                            tags.getOrDefault(id, Map.of()).keySet(), attributes.getOrDefault(id, Map.of())));
                }
            }
        }
        List<DeviceRecord> ordered = new ArrayList<>(ids.size());
        for (String id : ids) {
            DeviceRecord record = byId.get(id.trim());
            if (record != null) {
                ordered.add(record);
            }
        }
        return ordered;
    }

    private static Map<String, Map<String, String>> related(Connection connection, String sql, Collection<String> ids)
            throws SQLException {
        Map<String, Map<String, String>> related = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            bind(select, new ArrayList<>(ids));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    related.computeIfAbsent(rows.getString(1).trim(), id -> new LinkedHashMap<>()).put(rows.getString(2), rows.getString(3));
                }
            }
        }
        return related;
    }

    private static DeviceRecord recordOf(ResultSet rows, Map<String, String> hardwareIds, Set<String> tags,
                                         Map<String, String> attributes) throws SQLException {
        Device device = new Device(
                DeviceId.parse(rows.getString(1).trim()),
                new Platform(rows.getString(2)),
                DeviceStatus.valueOf(rows.getString(3)),
                Ownership.valueOf(rows.getString(4)),
                rows.getString(5),
                rows.getString(6),
                rows.getString(7),
                rows.getString(8),
                hardwareIds,
                Optional.ofNullable(rows.getString(9)).map(String::trim),
                Optional.ofNullable(rows.getString(10)).map(EnrollmentMethod::valueOf),
                ComplianceState.valueOf(rows.getString(11)),
                instant(rows.getTimestamp(12)),
                instant(rows.getTimestamp(13)),
                tags,
                attributes);
        return new DeviceRecord(device, rows.getLong(14), Optional.ofNullable(rows.getString(15)),
                Optional.ofNullable(rows.getString(16)).map(String::trim),
                rows.getTimestamp(17).toInstant(), rows.getTimestamp(18).toInstant());
    }

    static String nameKey(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static String escapeLike(String text) {
        return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    private static Optional<Instant> instant(Timestamp timestamp) {
        return Optional.ofNullable(timestamp).map(Timestamp::toInstant);
    }

    static void bind(PreparedStatement statement, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(i + 1, parameters.get(i));
        }
    }

    private static void setOptional(PreparedStatement statement, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            statement.setString(index, value.get());
        } else {
            statement.setNull(index, Types.VARCHAR);
        }
    }

    private static void setTimestamp(PreparedStatement statement, int index, Optional<Instant> value) throws SQLException {
        if (value.isPresent()) {
            statement.setTimestamp(index, Timestamp.from(value.get()));
        } else {
            statement.setNull(index, Types.TIMESTAMP);
        }
    }
}
