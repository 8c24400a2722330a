package dev.shepherd.app;

import dev.shepherd.api.device.DeviceId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/** SQL of staged rollouts ({@code app_rollout}); the service decides, this only reads and writes. */
final class AppRolloutStore {

    /** A rollout as stored, without its progress. */
    record StoredRollout(String appId, String pilotGroupId, Optional<String> releasedVersion, String startedBy, Instant startedAt,
                         Optional<Instant> promotedAt) {
    }

    /** Per-device facts a rollout's progress is counted from. */
    interface ProgressRow {
        void accept(boolean pilot, String state, Optional<String> installedVersion);
    }

    Optional<StoredRollout> find(Connection c, String appId) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(
                "SELECT app_id, pilot_group_id, released_version, started_by, started_at, promoted_at FROM app_rollout WHERE app_id = ?")) {
            select.setString(1, appId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                Timestamp promoted = rows.getTimestamp(6);
                return Optional.of(new StoredRollout(rows.getString(1).trim(), rows.getString(2).trim(), Optional.ofNullable(rows.getString(3)),
                        rows.getString(4), rows.getTimestamp(5).toInstant(), Optional.ofNullable(promoted).map(Timestamp::toInstant)));
            }
        }
    }

    void insert(Connection c, StoredRollout rollout) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO app_rollout (app_id, pilot_group_id, released_version, started_by, started_at, promoted_at)
                VALUES (?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, rollout.appId());
            insert.setString(2, rollout.pilotGroupId());
            insert.setString(3, rollout.releasedVersion().orElse(null));
            insert.setString(4, rollout.startedBy());
            insert.setTimestamp(5, Timestamp.from(rollout.startedAt()));
            insert.setTimestamp(6, rollout.promotedAt().map(Timestamp::from).orElse(null));
            insert.executeUpdate();
        }
    }

    void changePilot(Connection c, String appId, String pilotGroupId) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE app_rollout SET pilot_group_id = ? WHERE app_id = ?")) {
            update.setString(1, pilotGroupId);
            update.setString(2, appId);
            update.executeUpdate();
        }
    }

    void release(Connection c, String appId, Optional<String> version, Instant now) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE app_rollout SET released_version = ?, promoted_at = ? WHERE app_id = ?")) {
            update.setString(1, version.orElse(null));
            update.setTimestamp(2, Timestamp.from(now));
            update.setString(3, appId);
            update.executeUpdate();
        }
    }

    boolean delete(Connection c, String appId) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM app_rollout WHERE app_id = ?")) {
            delete.setString(1, appId);
            return delete.executeUpdate() > 0;
        }
    }

    boolean inGroup(Connection c, String groupId, DeviceId device) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM group_member WHERE group_id = ? AND device_id = ?")) {
            select.setString(1, groupId);
            select.setString(2, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Streams the REQUIRED devices of an app, saying which are in the pilot group, for counting progress. */
    void required(Connection c, String appId, String pilotGroupId, ProgressRow row) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("""
                SELECT CASE WHEN m.device_id IS NULL THEN 0 ELSE 1 END, d.state, d.installed_version
                FROM device_app d LEFT JOIN group_member m ON m.group_id = ? AND m.device_id = d.device_id
                WHERE d.app_id = ? AND d.intent = 'REQUIRED'""")) {
            select.setString(1, pilotGroupId);
            select.setString(2, appId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    row.accept(rows.getInt(1) == 1, rows.getString(2), Optional.ofNullable(rows.getString(3)));
                }
            }
        }
    }
}
