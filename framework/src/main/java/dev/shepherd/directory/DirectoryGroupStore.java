package dev.shepherd.directory;

import dev.shepherd.storage.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The directory's groups in the store: the groups, their direct members as providers report them, and the closure
 * of effective memberships (every person in a group directly or through nested groups) that smart-group rules read.
 * Every method works inside the caller's transaction.
 */
final class DirectoryGroupStore {

    static final String SELECT = "SELECT id, provider, external_id, name, created_at, updated_at FROM directory_group";

    private DirectoryGroupStore() {
    }

    static Optional<DirectoryGroup> byExternalId(Connection connection, String provider, String externalId) throws SQLException {
        return query(connection, SELECT + " WHERE provider = ? AND external_id = ?", List.of(provider, externalId)).stream().findFirst();
    }

    /** @throws IllegalArgumentException when another group of the provider has the name */
    static void insert(Connection connection, DirectoryGroup group) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO directory_group (id, provider, external_id, name,"
                + " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, group.id());
            insert.setString(2, group.provider());
            insert.setString(3, group.externalId());
            insert.setString(4, group.name());
            insert.setTimestamp(5, Timestamp.from(group.createdAt()));
            insert.setTimestamp(6, Timestamp.from(group.updatedAt()));
            insert.executeUpdate();
        } catch (SQLException e) {
            throw nameTaken(e, group);
        }
    }

    /** @throws IllegalArgumentException when another group of the provider has the name */
    static void rename(Connection connection, DirectoryGroup group) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE directory_group SET name = ?, updated_at = ? WHERE id = ?")) {
            update.setString(1, group.name());
            update.setTimestamp(2, Timestamp.from(group.updatedAt()));
            update.setString(3, group.id());
            update.executeUpdate();
        } catch (SQLException e) {
            throw nameTaken(e, group);
        }
    }

    private static SQLException nameTaken(SQLException e, DirectoryGroup group) {
        if (!Dialect.isConstraintViolation(e)) {
            return e;
        }
        throw new IllegalArgumentException("the " + group.provider() + " directory has another group named '" + group.name() + "'");
    }

    /** Removes a group; its rows of members, of membership in other groups and of closure go with it. */
    static void delete(Connection connection, String groupId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM directory_group WHERE id = ?")) {
            delete.setString(1, groupId);
            delete.executeUpdate();
        }
    }

    /** The people directly in a group. */
    static Set<String> directUsers(Connection connection, String groupId) throws SQLException {
        return strings(connection, "SELECT user_id FROM directory_group_user WHERE group_id = ?", groupId);
    }

    /** The groups directly in a group. */
    static Set<String> directGroups(Connection connection, String groupId) throws SQLException {
        return strings(connection, "SELECT member_group_id FROM directory_group_nesting WHERE group_id = ?", groupId);
    }

    /** The people in a group at any depth, as the closure holds them. */
    static Set<String> effectiveUsers(Connection connection, String groupId) throws SQLException {
        return strings(connection, "SELECT user_id FROM directory_group_closure WHERE group_id = ?", groupId);
    }

    /** Replaces a group's direct members with the given ones. */
    static void replaceMembers(Connection connection, String groupId, Set<String> users, Set<String> groups) throws SQLException {
        replace(connection, "directory_group_user", "user_id", groupId, directUsers(connection, groupId), users);
        replace(connection, "directory_group_nesting", "member_group_id", groupId, directGroups(connection, groupId), groups);
    }

    /**
     * Brings the closure of the given groups, and of every group that contains one of them at any depth, in line with
     * the direct memberships. Cycles end where a group is met again.
     *
     * @return the people who joined or left one of those groups
     */
    static Set<String> refreshClosure(Connection connection, Set<String> changedGroups) throws SQLException {
        Set<String> affected = new LinkedHashSet<>();
        Deque<String> upwards = new ArrayDeque<>(changedGroups);
        while (!upwards.isEmpty()) {
            String group = upwards.pop();
            if (affected.add(group)) {
                upwards.addAll(strings(connection, "SELECT group_id FROM directory_group_nesting WHERE member_group_id = ?", group));
            }
        }
        Map<String, Set<String>> nested = new HashMap<>();
        Map<String, Set<String>> direct = new HashMap<>();
        Set<String> regrouped = new HashSet<>();
        for (String group : affected) {
            Set<String> wanted = new HashSet<>();
            Set<String> seen = new HashSet<>();
            Deque<String> downwards = new ArrayDeque<>(List.of(group));
            while (!downwards.isEmpty()) {
                String member = downwards.pop();
                if (seen.add(member)) {
                    wanted.addAll(memo(direct, member, () -> directUsers(connection, member)));
                    downwards.addAll(memo(nested, member, () -> directGroups(connection, member)));
                }
            }
            regrouped.addAll(replace(connection, "directory_group_closure", "user_id", group, effectiveUsers(connection, group), wanted));
        }
        return regrouped;
    }

    /** The groups a person is in, directly or at any depth. */
    static List<DirectoryGroup> groupsOf(Connection connection, String userId, boolean effective) throws SQLException {
        String table = effective ? "directory_group_closure" : "directory_group_user";
        return query(connection, SELECT + " WHERE id IN (SELECT m.group_id FROM " + table + " m WHERE m.user_id = ?)"
                + " ORDER BY provider, name", List.of(userId));
    }

    static List<DirectoryGroup> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<DirectoryGroup> groups = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    groups.add(new DirectoryGroup(rows.getString(1).trim(), rows.getString(2), rows.getString(3), rows.getString(4),
                            rows.getTimestamp(5).toInstant(), rows.getTimestamp(6).toInstant()));
                }
            }
            return groups;
        }
    }

    @FunctionalInterface
    private interface Read {
        Set<String> read() throws SQLException;
    }

    private static Set<String> memo(Map<String, Set<String>> cache, String key, Read read) throws SQLException {
        Set<String> cached = cache.get(key);
        if (cached == null) {
            cached = read.read();
            cache.put(key, cached);
        }
        return cached;
    }

    /** Makes a group's rows in a member table the wanted ones; returns the members added or removed. */
    private static Set<String> replace(Connection connection, String table, String memberColumn, String groupId, Set<String> current,
                                       Set<String> wanted) throws SQLException {
        Set<String> changed = new HashSet<>();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " (group_id, " + memberColumn + ") VALUES (?, ?)");
             PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table + " WHERE group_id = ? AND " + memberColumn + " = ?")) {
            for (String member : wanted) {
                if (!current.contains(member)) {
                    insert.setString(1, groupId);
                    insert.setString(2, member);
                    insert.addBatch();
                    changed.add(member);
                }
            }
            for (String member : current) {
                if (!wanted.contains(member)) {
                    delete.setString(1, groupId);
                    delete.setString(2, member);
                    delete.addBatch();
                    changed.add(member);
                }
            }
            insert.executeBatch();
            delete.executeBatch();
        }
        return changed;
    }

    private static Set<String> strings(Connection connection, String sql, String parameter) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, parameter);
            Set<String> values = new HashSet<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1).trim());
                }
            }
            return values;
        }
    }
}
