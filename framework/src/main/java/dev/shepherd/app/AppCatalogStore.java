package dev.shepherd.app;

import dev.shepherd.api.appstore.LicenceCount;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.LicenceUser;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.OsVersion;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The app catalog's tables (migrations V33, V38 and V39). Every statement is parameterised and written once for Derby and
 * PostgreSQL; the service decides, this class only reads and writes.
 */
final class AppCatalogStore {

    /** Versions and identifiers are kept as devices report them, cut to the column's width. */
    private static final int INVENTORY_TEXT = 200;
    private static final String APP_COLUMNS = """
            a.id, a.platform, a.store_id, a.store_app_id, a.identifier, a.name, a.publisher, a.icon_url, a.version,
            a.size_bytes, a.configuration_schema, a.licensed, a.removed_from_store, a.added_by, a.created_at, a.updated_at,
            p.total, p.assigned, p.reported_at""";
    private static final String SELECT_APPS = "SELECT " + APP_COLUMNS + " FROM app a LEFT JOIN app_licence_pool p ON p.app_id = a.id";
    private static final String STATE_COLUMNS = """
            s.device_id, s.app_id, a.name, a.identifier, s.intent, s.state, s.installed_version, s.reason, s.command_id, s.updated_at""";
    private static final String SELECT_STATES = "SELECT " + STATE_COLUMNS + " FROM device_app s JOIN app a ON a.id = s.app_id";

    /** One assignment reaching a device through one of its groups. */
    record Reach(String appId, String groupId, AppIntent intent, Optional<String> configuration, LicenceKind licenceSource) {
    }

    /** An assignment as stored: its configuration as JSON text, secrets sealed. */
    record StoredAssignment(String appId, String groupId, AppIntent intent, Optional<String> configuration, LicenceKind licenceSource,
                            String createdBy, Instant createdAt, Instant updatedAt) {
    }

    /** A licence the kernel holds for a user, with the device it was first asked for on. */
    record UserLicence(String appId, String userId, String deviceId, Optional<String> reference, Instant assignedAt) {
    }

    // ---- apps ----

    Optional<CatalogApp> find(Connection c, String id) throws SQLException {
        return apps(c, SELECT_APPS + " WHERE a.id = ?", List.of(id)).stream().findFirst();
    }

    Optional<CatalogApp> findInStore(Connection c, String storeId, String storeAppId, Platform platform) throws SQLException {
        return apps(c, SELECT_APPS + " WHERE a.store_id = ? AND a.store_app_id = ? AND a.platform = ?",
                List.of(storeId, storeAppId, platform.id())).stream().findFirst();
    }

    List<CatalogApp> list(Connection c, Optional<String> text, Optional<Platform> platform, Optional<String> storeId, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder(SELECT_APPS + " WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        if (text.isPresent()) {
            sql.append(" AND (LOWER(a.name) LIKE ? ESCAPE '!' OR LOWER(a.identifier) LIKE ? ESCAPE '!' OR LOWER(a.publisher) LIKE ? ESCAPE '!')");
            String like = "%" + text.get().toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
            parameters.add(like);
            parameters.add(like);
            parameters.add(like);
        }
        if (platform.isPresent()) {
            sql.append(" AND a.platform = ?");
            parameters.add(platform.get().id());
        }
        if (storeId.isPresent()) {
            sql.append(" AND a.store_id = ?");
            parameters.add(storeId.get());
        }
        sql.append(" ORDER BY a.name, a.id FETCH FIRST ").append(limit).append(" ROWS ONLY");
        return apps(c, sql.toString(), parameters);
    }

    void insertApp(Connection c, String id, StoreApp app, String addedBy, boolean listed, Instant now) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO app (id, platform, store_id, store_app_id, identifier, name, publisher, icon_url, version, size_bytes,
                                 configuration_schema, licensed, listed, removed_from_store, added_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)""")) {
            insert.setString(1, id);
            insert.setString(2, app.platform().id());
            insert.setString(3, app.storeId());
            insert.setString(4, app.storeAppId());
            insert.setString(5, app.identifier());
            insert.setString(6, app.name());
            insert.setString(7, app.publisher());
            setText(insert, 8, app.icon().map(Object::toString));
            setText(insert, 9, app.version());
            if (app.size().isPresent()) {
                insert.setLong(10, app.size().getAsLong());
            } else {
                insert.setNull(10, Types.BIGINT);
            }
            setLongText(insert, 11, app.configurationSchema());
            insert.setInt(12, app.licensed() ? 1 : 0);
            insert.setInt(13, listed ? 1 : 0);
            insert.setString(14, addedBy);
            insert.setTimestamp(15, Timestamp.from(now));
            insert.setTimestamp(16, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    /** Writes what the store says now; an app the store lists again is no longer marked removed. */
    void updateApp(Connection c, String id, StoreApp app, boolean listed, Instant now) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("""
                UPDATE app SET identifier = ?, name = ?, publisher = ?, icon_url = ?, version = ?, size_bytes = ?,
                               configuration_schema = ?, licensed = ?, listed = CASE WHEN ? = 1 THEN 1 ELSE listed END,
                               removed_from_store = CASE WHEN ? = 1 THEN 0 ELSE removed_from_store END, updated_at = ?
                WHERE id = ?""")) {
            update.setString(1, app.identifier());
            update.setString(2, app.name());
            update.setString(3, app.publisher());
            setText(update, 4, app.icon().map(Object::toString));
            setText(update, 5, app.version());
            if (app.size().isPresent()) {
                update.setLong(6, app.size().getAsLong());
            } else {
                update.setNull(6, Types.BIGINT);
            }
            setLongText(update, 7, app.configurationSchema());
            update.setInt(8, app.licensed() ? 1 : 0);
            update.setInt(9, listed ? 1 : 0);
            update.setInt(10, listed ? 1 : 0);
            update.setTimestamp(11, Timestamp.from(now));
            update.setString(12, id);
            update.executeUpdate();
        }
    }

    /**
     * Marks the store's apps that a complete pass of its catalog no longer lists.
     *
     * @return the ids of the apps newly marked
     */
    List<String> markUnlisted(Connection c, String storeId, Set<String> listedAppIds, Instant now) throws SQLException {
        List<String> unlisted = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement("SELECT id FROM app WHERE store_id = ? AND listed = 1")) {
            select.setString(1, storeId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    if (!listedAppIds.contains(rows.getString(1))) {
                        unlisted.add(rows.getString(1));
                    }
                }
            }
        }
        try (PreparedStatement update = c.prepareStatement(
                "UPDATE app SET listed = 0, removed_from_store = 1, updated_at = ? WHERE id = ?")) {
            for (String id : unlisted) {
                update.setTimestamp(1, Timestamp.from(now));
                update.setString(2, id);
                update.addBatch();
            }
            if (!unlisted.isEmpty()) {
                update.executeBatch();
            }
        }
        return unlisted;
    }

    /** @return whether the version was new to the catalog */
    boolean recordVersion(Connection c, String appId, String version, Instant now) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO app_version (app_id, version, first_seen)
                SELECT CAST(? AS CHAR(36)), CAST(? AS VARCHAR(512)), CAST(? AS TIMESTAMP) FROM (VALUES (1)) AS one (x)
                WHERE NOT EXISTS (SELECT 1 FROM app_version WHERE app_id = ? AND version = ?)""")) {
            insert.setString(1, appId);
            insert.setString(2, version);
            insert.setTimestamp(3, Timestamp.from(now));
            insert.setString(4, appId);
            insert.setString(5, version);
            return insert.executeUpdate() > 0;
        }
    }

    List<String> versions(Connection c, String appId) throws SQLException {
        List<String> versions = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement("SELECT version FROM app_version WHERE app_id = ? ORDER BY first_seen DESC, version")) {
            select.setString(1, appId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    versions.add(rows.getString(1));
                }
            }
        }
        return versions;
    }

    void writePool(Connection c, String appId, Optional<LicenceCount> licences, Instant now) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM app_licence_pool WHERE app_id = ?")) {
            delete.setString(1, appId);
            delete.executeUpdate();
        }
        if (licences.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO app_licence_pool (app_id, total, assigned, reported_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, appId);
            insert.setLong(2, licences.get().total());
            insert.setLong(3, licences.get().assigned());
            insert.setTimestamp(4, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    void deleteApp(Connection c, String id) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM app WHERE id = ?")) {
            delete.setString(1, id);
            delete.executeUpdate();
        }
    }

    // ---- assignments ----

    List<StoredAssignment> assignments(Connection c, String appId) throws SQLException {
        List<StoredAssignment> assignments = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement("""
                SELECT app_id, group_id, intent, configuration, licence_source, created_by, created_at, updated_at
                FROM app_assignment WHERE app_id = ? ORDER BY group_id""")) {
            select.setString(1, appId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    assignments.add(new StoredAssignment(rows.getString(1), rows.getString(2), AppIntent.valueOf(rows.getString(3)),
                            Optional.ofNullable(rows.getString(4)), LicenceKind.valueOf(rows.getString(5)), rows.getString(6),
                            rows.getTimestamp(7).toInstant(), rows.getTimestamp(8).toInstant()));
                }
            }
        }
        return assignments;
    }

    Optional<StoredAssignment> assignment(Connection c, String appId, String groupId) throws SQLException {
        return assignments(c, appId).stream().filter(assignment -> assignment.groupId().equals(groupId)).findFirst();
    }

    void writeAssignment(Connection c, String appId, String groupId, AppIntent intent, Optional<String> configuration,
                         LicenceKind licenceSource, String actor, Instant now, boolean exists) throws SQLException {
        if (exists) {
            try (PreparedStatement update = c.prepareStatement(
                    "UPDATE app_assignment SET intent = ?, configuration = ?, licence_source = ?, updated_at = ? WHERE app_id = ? AND group_id = ?")) {
                update.setString(1, intent.name());
                setLongText(update, 2, configuration);
                update.setString(3, licenceSource.name());
                update.setTimestamp(4, Timestamp.from(now));
                update.setString(5, appId);
                update.setString(6, groupId);
                update.executeUpdate();
            }
            return;
        }
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO app_assignment (app_id, group_id, intent, configuration, created_by, created_at, updated_at, licence_source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, appId);
            insert.setString(2, groupId);
            insert.setString(3, intent.name());
            setLongText(insert, 4, configuration);
            insert.setString(5, actor);
            insert.setTimestamp(6, Timestamp.from(now));
            insert.setTimestamp(7, Timestamp.from(now));
            insert.setString(8, licenceSource.name());
            insert.executeUpdate();
        }
    }

    void deleteAssignment(Connection c, String appId, String groupId) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM app_assignment WHERE app_id = ? AND group_id = ?")) {
            delete.setString(1, appId);
            delete.setString(2, groupId);
            delete.executeUpdate();
        }
    }

    /** @return every assignment reaching the device through its groups, by group id */
    List<Reach> reaching(Connection c, DeviceId device) throws SQLException {
        List<Reach> reach = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement("""
                SELECT a.app_id, a.group_id, a.intent, a.configuration, a.licence_source FROM group_member m
                JOIN app_assignment a ON a.group_id = m.group_id WHERE m.device_id = ? ORDER BY a.app_id, a.group_id""")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    reach.add(new Reach(rows.getString(1), rows.getString(2), AppIntent.valueOf(rows.getString(3)),
                            Optional.ofNullable(rows.getString(4)), LicenceKind.valueOf(rows.getString(5))));
                }
            }
        }
        return reach;
    }

    // ---- per-device state ----

    Map<String, DeviceAppState> states(Connection c, DeviceId device) throws SQLException {
        Map<String, DeviceAppState> states = new LinkedHashMap<>();
        for (DeviceAppState state : states(c, SELECT_STATES + " WHERE s.device_id = ? ORDER BY a.name, s.app_id", List.of(device.toString()))) {
            states.put(state.appId(), state);
        }
        return states;
    }

    List<DeviceAppState> statesOfApp(Connection c, String appId, int limit) throws SQLException {
        return states(c, SELECT_STATES + " WHERE s.app_id = ? ORDER BY s.device_id FETCH FIRST " + limit + " ROWS ONLY", List.of(appId));
    }

    Optional<DeviceAppState> stateByCommand(Connection c, String commandId) throws SQLException {
        return states(c, SELECT_STATES + " WHERE s.command_id = ?", List.of(commandId)).stream().findFirst();
    }

    void writeState(Connection c, DeviceAppState state, boolean exists) throws SQLException {
        String sql = exists
                ? "UPDATE device_app SET intent = ?, state = ?, installed_version = ?, reason = ?, command_id = ?, updated_at = ? WHERE device_id = ? AND app_id = ?"
                : "INSERT INTO device_app (intent, state, installed_version, reason, command_id, updated_at, device_id, app_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement write = c.prepareStatement(sql)) {
            write.setString(1, state.intent().name());
            write.setString(2, state.state().name());
            setText(write, 3, state.installedVersion().map(version -> cut(version, 512)));
            setText(write, 4, state.reason().map(reason -> cut(reason, 2000)));
            setText(write, 5, state.commandId());
            write.setTimestamp(6, Timestamp.from(state.updatedAt()));
            write.setString(7, state.deviceId());
            write.setString(8, state.appId());
            write.executeUpdate();
        }
    }

    void deleteState(Connection c, String deviceId, String appId) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM device_app WHERE device_id = ? AND app_id = ?")) {
            delete.setString(1, deviceId);
            delete.setString(2, appId);
            delete.executeUpdate();
        }
    }

    /** @return the devices with a state for the app */
    List<DeviceId> devicesWithState(Connection c, String appId) throws SQLException {
        return deviceIds(c, "SELECT device_id FROM device_app WHERE app_id = ?", List.of(appId));
    }

    /** @return the devices whose apps wait for the kernel (pending, or failed at the store) */
    /** Marks an AVAILABLE app on a device as asked for by its user (the portal), or clears the mark. */
    void markRequested(Connection c, DeviceId device, String appId, Optional<String> userId) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE device_app SET requested_by = ? WHERE device_id = ? AND app_id = ?")) {
            setText(update, 1, userId);
            update.setString(2, device.toString());
            update.setString(3, appId);
            update.executeUpdate();
        }
    }

    /** @return the apps the device's user asked for and the reconciler has not installed yet */
    Set<String> requested(Connection c, DeviceId device) throws SQLException {
        Set<String> apps = new HashSet<>();
        try (PreparedStatement select = c.prepareStatement("SELECT app_id FROM device_app WHERE device_id = ? AND requested_by IS NOT NULL")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    apps.add(rows.getString(1).trim());
                }
            }
        }
        return apps;
    }

    List<DeviceId> devicesWaiting(Connection c) throws SQLException {
        return deviceIds(c, "SELECT DISTINCT device_id FROM device_app WHERE state = 'PENDING'", List.of());
    }

    // ---- licences ----

    List<AppLicence> licences(Connection c, String appId) throws SQLException {
        return licences(c, "SELECT app_id, device_id, reference, assigned_at FROM app_licence WHERE app_id = ? ORDER BY device_id", appId);
    }

    List<AppLicence> licencesOfDevice(Connection c, DeviceId device) throws SQLException {
        return licences(c, "SELECT app_id, device_id, reference, assigned_at FROM app_licence WHERE device_id = ? ORDER BY app_id", device.toString());
    }

    void insertLicence(Connection c, String appId, DeviceId device, Optional<String> reference, Instant now) throws SQLException {
        deleteLicence(c, appId, device);
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO app_licence (app_id, device_id, reference, assigned_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, appId);
            insert.setString(2, device.toString());
            setText(insert, 3, reference.map(text -> cut(text, 512)));
            insert.setTimestamp(4, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    void deleteLicence(Connection c, String appId, DeviceId device) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM app_licence WHERE app_id = ? AND device_id = ?")) {
            delete.setString(1, appId);
            delete.setString(2, device.toString());
            delete.executeUpdate();
        }
    }

    // ---- user licences ----

    List<UserLicence> userLicences(Connection c, String appId) throws SQLException {
        return userLicences(c, "SELECT app_id, user_id, device_id, reference, assigned_at FROM app_user_licence WHERE app_id = ? ORDER BY user_id",
                List.of(appId));
    }

    Optional<UserLicence> userLicence(Connection c, String appId, String userId) throws SQLException {
        return userLicences(c, "SELECT app_id, user_id, device_id, reference, assigned_at FROM app_user_licence WHERE app_id = ? AND user_id = ?",
                List.of(appId, userId)).stream().findFirst();
    }

    /** @return the user licences due a check whether any device still needs them, at most {@code limit} */
    List<UserLicence> userLicencesDue(Connection c, int limit) throws SQLException {
        return userLicences(c, "SELECT app_id, user_id, device_id, reference, assigned_at FROM app_user_licence WHERE check_due = 1"
                + " ORDER BY app_id, user_id FETCH FIRST " + limit + " ROWS ONLY", List.of());
    }

    void insertUserLicence(Connection c, String appId, String userId, DeviceId device, Optional<String> reference, Instant now)
            throws SQLException {
        deleteUserLicence(c, appId, userId);
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO app_user_licence (app_id, user_id, device_id, reference, assigned_at, check_due) VALUES (?, ?, ?, ?, ?, 0)")) {
            insert.setString(1, appId);
            insert.setString(2, userId);
            insert.setString(3, device.toString());
            setText(insert, 4, reference.map(text -> cut(text, 512)));
            insert.setTimestamp(5, Timestamp.from(now));
            insert.executeUpdate();
        }
    }

    void deleteUserLicence(Connection c, String appId, String userId) throws SQLException {
        execute(c, "DELETE FROM app_user_licence WHERE app_id = ? AND user_id = ?", List.of(appId, userId));
    }

    /** Marks a user's licences (or, with an empty user, an app's) for the reclaim pass. */
    void markUserLicencesDue(Connection c, Optional<String> userId, Optional<String> appId) throws SQLException {
        String sql = "UPDATE app_user_licence SET check_due = 1 WHERE check_due = 0"
                + (userId.isPresent() ? " AND user_id = ?" : "") + (appId.isPresent() ? " AND app_id = ?" : "");
        List<Object> parameters = new ArrayList<>();
        userId.ifPresent(parameters::add);
        appId.ifPresent(parameters::add);
        execute(c, sql, parameters);
    }

    /** Marks the licences of the users of some devices for the reclaim pass. */
    void markUserLicencesDueForDevice(Connection c, DeviceId device) throws SQLException {
        execute(c, """
                UPDATE app_user_licence SET check_due = 1
                WHERE check_due = 0 AND user_id IN (SELECT d.user_id FROM device d WHERE d.id = ? AND d.user_id IS NOT NULL)""",
                List.of(device.toString()));
    }

    void clearUserLicenceDue(Connection c, String appId, String userId) throws SQLException {
        execute(c, "UPDATE app_user_licence SET check_due = 0 WHERE app_id = ? AND user_id = ?", List.of(appId, userId));
    }

    /** Sets the FAILED apps of a device back to PENDING, so the reconciler tries them again (its user changed, say). */
    void retryFailedOnDevice(Connection c, DeviceId device, Instant now) throws SQLException {
        execute(c, "UPDATE device_app SET state = 'PENDING', updated_at = ? WHERE device_id = ? AND state = 'FAILED'",
                List.of(Timestamp.from(now), device.toString()));
    }

    /** @return the devices of a user, any status */
    List<DeviceId> devicesOfUser(Connection c, String userId) throws SQLException {
        return deviceIds(c, "SELECT id FROM device WHERE user_id = ? ORDER BY id", List.of(userId));
    }

    /** @return the directory's details of a user a store needs for a user licence, empty when the directory has no such user */
    Optional<LicenceUser> licenceUser(Connection c, String userId) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT id, email, display_name FROM directory_user WHERE id = ?")) {
            select.setString(1, userId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                String email = rows.getString(2);
                return Optional.of(new LicenceUser(rows.getString(1).trim(), email == null || email.isBlank() ? Optional.empty() : Optional.of(email),
                        rows.getString(3)));
            }
        }
    }

    private static List<UserLicence> userLicences(Connection c, String sql, List<Object> parameters) throws SQLException {
        List<UserLicence> licences = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    licences.add(new UserLicence(rows.getString(1).trim(), rows.getString(2).trim(), rows.getString(3).trim(),
                            Optional.ofNullable(rows.getString(4)), rows.getTimestamp(5).toInstant()));
                }
            }
        }
        return licences;
    }

    // ---- the device-app inventory ----

    Map<String, String> installed(Connection c, DeviceId device) throws SQLException {
        Map<String, String> installed = new HashMap<>();
        try (PreparedStatement select = c.prepareStatement("SELECT identifier, version FROM device_app_inventory WHERE device_id = ?")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    installed.put(rows.getString(1), rows.getString(2));
                }
            }
        }
        return installed;
    }

    /**
     * Brings the device's rows in step with the apps it reports: only what changed is written.
     *
     * @return the apps as stored now, identifier to version
     */
    Map<String, String> replaceInstalled(Connection c, DeviceId device, Map<String, String> reported, Instant now) throws SQLException {
        Map<String, String> stored = installed(c, device);
        Map<String, String> wanted = new HashMap<>();
        reported.forEach((identifier, version) -> wanted.put(cut(identifier, INVENTORY_TEXT), cut(version, INVENTORY_TEXT)));
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM device_app_inventory WHERE device_id = ? AND identifier = ?");
             PreparedStatement update = c.prepareStatement(
                     "UPDATE device_app_inventory SET version = ?, version_key = ?, updated_at = ? WHERE device_id = ? AND identifier = ?");
             PreparedStatement insert = c.prepareStatement(
                     "INSERT INTO device_app_inventory (device_id, identifier, version, version_key, updated_at) VALUES (?, ?, ?, ?, ?)")) {
            for (String identifier : stored.keySet()) {
                if (!wanted.containsKey(identifier)) {
                    delete.setString(1, device.toString());
                    delete.setString(2, identifier);
                    delete.executeUpdate();
                }
            }
            for (Map.Entry<String, String> app : wanted.entrySet()) {
                String before = stored.get(app.getKey());
                if (before == null) {
                    insert.setString(1, device.toString());
                    insert.setString(2, app.getKey());
                    insert.setString(3, app.getValue());
                    insert.setString(4, OsVersion.key(app.getValue()));
                    insert.setTimestamp(5, Timestamp.from(now));
                    insert.executeUpdate();
                } else if (!before.equals(app.getValue())) {
                    update.setString(1, app.getValue());
                    update.setString(2, OsVersion.key(app.getValue()));
                    update.setTimestamp(3, Timestamp.from(now));
                    update.setString(4, device.toString());
                    update.setString(5, app.getKey());
                    update.executeUpdate();
                }
            }
        }
        return wanted;
    }

    /**
     * The devices reporting an app, optionally only those below a version (compared number by number, as
     * {@link OsVersion#key} orders them); a version without numbers never counts as below.
     */
    List<InstalledApp> reporting(Connection c, String identifier, Optional<String> versionBelow, Optional<String> afterDevice, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT device_id, identifier, version, updated_at FROM device_app_inventory WHERE identifier = ?");
        List<Object> parameters = new ArrayList<>(List.of(identifier));
        if (versionBelow.isPresent()) {
            sql.append(" AND version_key <> '' AND version_key < ?");
            parameters.add(OsVersion.key(versionBelow.get()));
        }
        if (afterDevice.isPresent()) {
            sql.append(" AND device_id > ?");
            parameters.add(afterDevice.get());
        }
        sql.append(" ORDER BY device_id FETCH FIRST ").append(limit).append(" ROWS ONLY");
        List<InstalledApp> found = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql.toString())) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    found.add(new InstalledApp(rows.getString(1).trim(), rows.getString(2), rows.getString(3), rows.getTimestamp(4).toInstant()));
                }
            }
        }
        return found;
    }

    // ---- helpers ----

    private static List<CatalogApp> apps(Connection c, String sql, List<Object> parameters) throws SQLException {
        List<CatalogApp> apps = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    long size = rows.getLong(10);
                    Optional<Long> sizeBytes = rows.wasNull() ? Optional.empty() : Optional.of(size);
                    long total = rows.getLong(17);
                    Optional<LicencePool> pool = rows.wasNull() ? Optional.empty() : Optional.of(new LicencePool(total, rows.getLong(18),
                            new LicenceCount(total, rows.getLong(18)).available(), rows.getTimestamp(19).toInstant()));
                    apps.add(new CatalogApp(rows.getString(1).trim(), new Platform(rows.getString(2)), rows.getString(3), rows.getString(4),
                            rows.getString(5), rows.getString(6), rows.getString(7), Optional.ofNullable(rows.getString(8)),
                            Optional.ofNullable(rows.getString(9)), sizeBytes, Optional.ofNullable(rows.getString(11)),
                            rows.getInt(12) == 1, rows.getInt(13) == 1, pool, rows.getString(14), rows.getTimestamp(15).toInstant(),
                            rows.getTimestamp(16).toInstant()));
                }
            }
        }
        return apps;
    }

    private static List<DeviceAppState> states(Connection c, String sql, List<Object> parameters) throws SQLException {
        List<DeviceAppState> states = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    states.add(new DeviceAppState(rows.getString(1).trim(), rows.getString(2).trim(), rows.getString(3), rows.getString(4),
                            AppIntent.valueOf(rows.getString(5)), AppInstallState.valueOf(rows.getString(6)),
                            Optional.ofNullable(rows.getString(7)), Optional.ofNullable(rows.getString(8)),
                            Optional.ofNullable(rows.getString(9)).map(String::trim), rows.getTimestamp(10).toInstant()));
                }
            }
        }
        return states;
    }

    private static List<AppLicence> licences(Connection c, String sql, String parameter) throws SQLException {
        List<AppLicence> licences = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            select.setString(1, parameter);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    licences.add(AppLicence.ofDevice(rows.getString(1).trim(), rows.getString(2).trim(), Optional.ofNullable(rows.getString(3)),
                            rows.getTimestamp(4).toInstant()));
                }
            }
        }
        return licences;
    }

    private static List<DeviceId> deviceIds(Connection c, String sql, List<Object> parameters) throws SQLException {
        List<DeviceId> ids = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement(sql)) {
            bind(select, parameters);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(DeviceId.parse(rows.getString(1).trim()));
                }
            }
        }
        return ids;
    }

    private static void execute(Connection c, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            bind(statement, parameters);
            statement.executeUpdate();
        }
    }

    private static void bind(PreparedStatement statement, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(i + 1, parameters.get(i));
        }
    }

    private static void setText(PreparedStatement statement, int index, Optional<String> text) throws SQLException {
        if (text.isPresent()) {
            statement.setString(index, text.get());
        } else {
            statement.setNull(index, Types.VARCHAR);
        }
    }

    /** CLOB on Derby, TEXT on PostgreSQL: a null must be typed as a CLOB for Derby. */
    private static void setLongText(PreparedStatement statement, int index, Optional<String> text) throws SQLException {
        if (text.isPresent()) {
            statement.setString(index, text.get());
        } else {
            statement.setNull(index, Types.CLOB);
        }
    }

    private static String cut(String text, int max) {
        return text.length() > max ? text.substring(0, max) : text;
    }
}
