package dev.shepherd.group;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.event.Event;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.event.EventLog;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.SqlLists;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Static and smart groups. A smart group's membership is recomputed in SQL when its rule changes, and checked
 * for one device whenever that device changes, inside the device's own transaction; both paths use the same
 * compiled rule, so they cannot disagree.
 */
public final class GroupService {

    /** Bound parameters per query when looking up people's (or devices') rows; well under every engine's limit. */
    private static final int USERS_PER_QUERY = 500;

    private static final String SELECT = """
            SELECT g.id, g.name, g.description, g.rule, g.row_version, g.created_at, g.updated_at,
                   (SELECT COUNT(*) FROM group_member m WHERE m.group_id = g.id) FROM device_group g""";

    private final Transactions transactions;
    private final AuditLog audit;
    private final EventLog events;
    private final Json json;
    private final RuleCodec codec;
    private final Clock clock;
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final List<GroupDeletionGuard> deletionGuards = new CopyOnWriteArrayList<>();
    /** Compiled rules of the smart groups, by group id; rebuilt when a group changes. */
    private final Map<String, RuleSql> smartRules = new ConcurrentHashMap<>();

    public GroupService(Transactions transactions, DeviceService devices, AuditLog audit, EventLog events, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.json = requireNonNull(json, "json is null");
        this.codec = new RuleCodec(json.mapper());
        this.clock = requireNonNull(clock, "clock is null");
        for (Group group : list()) {
            group.rule().ifPresent(rule -> smartRules.put(group.id(), RuleSql.compile(rule)));
        }
        devices.addChangeListener(this::deviceChanged);
        devices.addEnrollmentListener((tx, device, grant) -> {
            if (grant.isPresent() && grant.get().groupId().isPresent()) {
                joinEnrollmentGroup(tx, device.device().id(), grant.get().groupId().get());
            }
        });
    }

    /** A device enrolled with a token bound to a static group joins it; a smart group decides for itself. */
    private void joinEnrollmentGroup(Tx tx, DeviceId device, String groupId) throws SQLException {
        Optional<Group> group = find(tx.connection(), groupId);
        if (group.isEmpty() || group.get().isSmart()) {
            return;
        }
        if (groupIdsOf(tx.connection(), device).contains(groupId)) {
            return;
        }
        insertMembers(tx.connection(), groupId, List.of(device));
        notifyListeners(tx, Set.of(device));
    }

    /** The built-in smart group of quarantined devices. */
    public static final String QUARANTINE_GROUP_ID = "00000000-0000-4000-8000-000000000001";

    public RuleCodec codec() {
        return codec;
    }

    public void addMembershipListener(MembershipListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    public List<Group> list() {
        return query(SELECT + " ORDER BY g.name", List.of());
    }

    /** @return the groups an actor created, such as a plugin's mirrored groups */
    public List<Group> createdBy(Actor actor) {
        return query(SELECT + " WHERE g.created_by = ? ORDER BY g.name", List.of(actor.toString()));
    }

    public Optional<Group> get(String id) {
        return query(SELECT + " WHERE g.id = ?", List.of(id)).stream().findFirst();
    }

    /**
     * Creates a group; with a rule it is a smart group whose members are computed at once.
     *
     * @throws GroupConflictException when the name is taken
     */
    public Group create(Actor actor, String name, String description, Optional<GroupRule> rule) {
        checkName(name);
        String id = UUID.randomUUID().toString();
        Instant now = clock.instant();
        transactions.inTransaction("create a group", tx -> {
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO device_group (id, name, description, kind, rule, created_by, created_at, updated_at, row_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)""")) {
                insert.setString(1, id);
                insert.setString(2, name);
                insert.setString(3, description);
                insert.setString(4, rule.isPresent() ? "SMART" : "STATIC");
                setRule(insert, 5, rule);
                insert.setString(6, actor.toString());
                insert.setTimestamp(7, Timestamp.from(now));
                insert.setTimestamp(8, Timestamp.from(now));
                insert.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new GroupConflictException("a group named '" + name + "' exists already");
            }
            Set<DeviceId> changed = rule.isPresent() ? recompute(tx, id, RuleSql.compile(rule.get())) : Set.of();
            Group created = find(tx.connection(), id).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "group.create", "group", id, Optional.empty(), Optional.of(describe(created))));
            events.record(tx, Event.of("group.created", "kernel", Map.of("groupId", id, "members", created.members())));
            notifyListeners(tx, changed);
            tx.afterCommit(() -> rule.ifPresent(value -> smartRules.put(id, RuleSql.compile(value))));
            return null;
        });
        return get(id).orElseThrow();
    }

    /**
     * Renames, redescribes or changes the rule of a group. A static group cannot become smart or back.
     *
     * @throws GroupConflictException on a taken name or an outdated version
     */
    public Optional<Group> update(Actor actor, String id, Optional<String> name, Optional<String> description,
                                  Optional<GroupRule> rule, OptionalLong expectedVersion) {
        name.ifPresent(GroupService::checkName);
        Optional<Group> updated = transactions.inTransaction("update a group", tx -> {
            Optional<Group> current = find(tx.connection(), id);
            if (current.isEmpty()) {
                return Optional.<Group>empty();
            }
            Group before = current.get();
            if (expectedVersion.isPresent() && expectedVersion.getAsLong() != before.version()) {
                throw new GroupConflictException("group " + id + " is at version " + before.version() + ", not "
                        + expectedVersion.getAsLong() + "; reload it and apply the change again");
            }
            if (rule.isPresent() && !before.isSmart()) {
                throw new GroupConflictException("a static group cannot be given a rule; create a smart group instead");
            }
            Optional<GroupRule> newRule = rule.isPresent() ? rule : before.rule();
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE device_group SET name = ?, description = ?, rule = ?, updated_at = ?, row_version = row_version + 1 WHERE id = ?")) {
                update.setString(1, name.orElse(before.name()));
                update.setString(2, description.orElse(before.description()));
                setRule(update, 3, newRule);
                update.setTimestamp(4, Timestamp.from(clock.instant()));
                update.setString(5, id);
                update.executeUpdate();
            } catch (SQLException e) {
                if (!Dialect.isConstraintViolation(e)) {
                    throw e;
                }
                throw new GroupConflictException("a group named '" + name.orElse("") + "' exists already");
            }
            Set<DeviceId> changed = rule.isPresent() ? recompute(tx, id, RuleSql.compile(rule.get())) : Set.of();
            Group after = find(tx.connection(), id).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "group.update", "group", id, Optional.of(describe(before)), Optional.of(describe(after))));
            events.record(tx, Event.of("group.updated", "kernel", Map.of("groupId", id, "membershipChanges", changed.size())));
            notifyListeners(tx, changed);
            tx.afterCommit(() -> newRule.ifPresent(value -> smartRules.put(id, RuleSql.compile(value))));
            return Optional.of(after);
        });
        return updated;
    }

    /**
     * @return false when there is no such group
     * @throws GroupConflictException for the built-in quarantine group
     */
    public boolean delete(Actor actor, String id) {
        if (QUARANTINE_GROUP_ID.equals(id)) {
            throw new GroupConflictException("the quarantine group is built in and cannot be deleted");
        }
        return transactions.inTransaction("delete a group", tx -> {
            Optional<Group> current = find(tx.connection(), id);
            if (current.isEmpty()) {
                return false;
            }
            Set<DeviceId> members = new HashSet<>(memberIds(tx.connection(), id));
            for (GroupDeletionGuard guard : deletionGuards) {
                guard.deleting(tx, id);
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM device_group WHERE id = ?")) {
                delete.setString(1, id);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "group.delete", "group", id, Optional.of(describe(current.get())), Optional.empty()));
            events.record(tx, Event.of("group.deleted", "kernel", Map.of("groupId", id)));
            notifyListeners(tx, members);
            tx.afterCommit(() -> smartRules.remove(id));
            return true;
        });
    }

    /** Lets other parts of the kernel tidy up what refers to a group (policy assignments) in its deletion's transaction. */
    @FunctionalInterface
    public interface GroupDeletionGuard {
        void deleting(Tx tx, String groupId) throws SQLException;
    }

    public void addDeletionGuard(GroupDeletionGuard guard) {
        deletionGuards.add(requireNonNull(guard, "guard is null"));
    }

    /**
     * Adds devices to a static group; devices already in it are left as they are.
     *
     * @return how many were added
     * @throws GroupConflictException for a smart group
     * @throws IllegalArgumentException naming devices that do not exist
     */
    public int addMembers(Actor actor, String groupId, List<DeviceId> devices) {
        return changeMembers(actor, groupId, devices, true);
    }

    /** Removes devices from a static group; returns how many were removed. */
    public int removeMembers(Actor actor, String groupId, List<DeviceId> devices) {
        return changeMembers(actor, groupId, devices, false);
    }

    private int changeMembers(Actor actor, String groupId, List<DeviceId> devices, boolean add) {
        if (devices.size() > 10_000) {
            throw new IllegalArgumentException("change at most 10,000 members at a time");
        }
        return transactions.inTransaction("change group members", tx -> {
            Group group = find(tx.connection(), groupId).orElseThrow(() -> new IllegalArgumentException("no group " + groupId));
            if (group.isSmart()) {
                throw new GroupConflictException("the members of a smart group follow its rule; change the rule instead");
            }
            Set<String> current = memberIds(tx.connection(), groupId).stream().map(DeviceId::toString).collect(Collectors.toSet());
            Set<DeviceId> changed = new LinkedHashSet<>();
            if (add) {
                List<DeviceId> toAdd = devices.stream().distinct().filter(id -> !current.contains(id.toString())).toList();
                Set<String> existing = existingDevices(tx.connection(), toAdd);
                List<String> unknown = toAdd.stream().map(DeviceId::toString).filter(id -> !existing.contains(id)).toList();
                if (!unknown.isEmpty()) {
                    throw new IllegalArgumentException("no such device: " + String.join(", ", unknown.subList(0, Math.min(5, unknown.size())))
                            + (unknown.size() > 5 ? " and " + (unknown.size() - 5) + " more" : ""));
                }
                insertMembers(tx.connection(), groupId, toAdd);
                changed.addAll(toAdd);
            } else {
                List<DeviceId> toRemove = devices.stream().distinct().filter(id -> current.contains(id.toString())).toList();
                deleteMembers(tx.connection(), groupId, toRemove);
                changed.addAll(toRemove);
            }
            if (!changed.isEmpty()) {
                audit.append(tx, new AuditRecord(actor, add ? "group.add-members" : "group.remove-members", "group", groupId,
                        Optional.empty(), Optional.of(json.write(Map.of("devices", changed.stream().map(DeviceId::toString).toList())))));
                events.record(tx, Event.of("group.membership_changed", "kernel", Map.of("groupId", groupId,
                        add ? "added" : "removed", changed.size())));
                notifyListeners(tx, changed);
            }
            return changed.size();
        });
    }

    /** The groups a device is in. */
    public List<Group> groupsOf(DeviceId device) {
        return query(SELECT + " WHERE g.id IN (SELECT m.group_id FROM group_member m WHERE m.device_id = ?) ORDER BY g.name",
                List.of(device.toString()));
    }

    /**
     * The groups each of several devices is in, in one query per {@value #USERS_PER_QUERY} devices.
     *
     * @return every device asked about, with the ids of its groups (empty when none or unknown)
     */
    public Map<DeviceId, Set<String>> groupIdsOf(Collection<DeviceId> devices) {
        List<DeviceId> distinct = devices.stream().distinct().toList();
        Map<DeviceId, Set<String>> memberships = new LinkedHashMap<>();
        distinct.forEach(device -> memberships.put(device, new LinkedHashSet<>()));
        Map<String, DeviceId> byText = distinct.stream().collect(Collectors.toMap(DeviceId::toString, device -> device));
        return transactions.read("read devices' memberships", connection -> {
            for (int from = 0; from < distinct.size(); from += USERS_PER_QUERY) {
                List<DeviceId> chunk = distinct.subList(from, Math.min(distinct.size(), from + USERS_PER_QUERY));
                try (PreparedStatement select = connection.prepareStatement("SELECT device_id, group_id FROM group_member WHERE device_id IN ("
                        + SqlLists.placeholders(chunk.size()) + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        select.setString(i + 1, chunk.get(i).toString());
                    }
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            memberships.get(byText.get(rows.getString(1).trim())).add(rows.getString(2).trim());
                        }
                    }
                }
            }
            return memberships;
        });
    }

    /** Since when a device is in each of its groups, by group id. */
    public Map<String, Instant> memberSince(DeviceId device) {
        return transactions.read("read a device's memberships", connection -> {
            Map<String, Instant> since = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT group_id, added_at FROM group_member WHERE device_id = ?")) {
                select.setString(1, device.toString());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        since.put(rows.getString(1).trim(), rows.getTimestamp(2).toInstant());
                    }
                }
            }
            return since;
        });
    }

    /** Group ids of a device, inside a transaction. */
    public static List<String> groupIdsOf(Connection connection, DeviceId device) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT group_id FROM group_member WHERE device_id = ?")) {
            select.setString(1, device.toString());
            List<String> ids = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1).trim());
                }
            }
            return ids;
        }
    }

    public List<DeviceId> memberIds(String groupId) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return memberIds(connection, groupId);
        } catch (SQLException e) {
            throw new StorageException("Cannot list the members of group " + groupId, e);
        }
    }

    /** Members of a group, in id order, after a cursor id. */
    public List<DeviceId> memberIds(String groupId, Optional<String> after, int limit) {
        String sql = "SELECT device_id FROM group_member WHERE group_id = ?" + (after.isPresent() ? " AND device_id > ?" : "")
                + " ORDER BY device_id FETCH FIRST " + Math.max(1, Math.min(limit, 1000)) + " ROWS ONLY";
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, groupId);
            if (after.isPresent()) {
                select.setString(2, after.get());
            }
            List<DeviceId> ids = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(DeviceId.parse(rows.getString(1).trim()));
                }
            }
            return ids;
        } catch (SQLException e) {
            throw new StorageException("Cannot list the members of group " + groupId, e);
        }
    }

    /**
     * How many devices a rule would match and a sample of them, without saving anything: the live preview of the
     * smart-group editor.
     */
    public RulePreview preview(GroupRule rule, int sampleSize) {
        RuleSql compiled = RuleSql.compile(rule);
        try (Connection connection = transactions.dataSource().getConnection()) {
            long count;
            try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM device d WHERE " + compiled.sql())) {
                bind(select, compiled.parameters(), 1);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    count = rows.getLong(1);
                }
            }
            List<DeviceId> sample = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT d.id FROM device d WHERE " + compiled.sql()
                    + " ORDER BY d.id FETCH FIRST " + Math.max(1, Math.min(sampleSize, 100)) + " ROWS ONLY")) {
                bind(select, compiled.parameters(), 1);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        sample.add(DeviceId.parse(rows.getString(1).trim()));
                    }
                }
            }
            return new RulePreview(count, sample);
        } catch (SQLException e) {
            throw new StorageException("Cannot preview a group rule", e);
        }
    }

    /**
     * @param matching how many devices match
     * @param sample some of them, in id order
     */
    public record RulePreview(long matching, List<DeviceId> sample) {
        public RulePreview {
            sample = List.copyOf(sample);
        }
    }

    /** Brings a smart group's members in line with its rule; returns the devices that joined or left. */
    private Set<DeviceId> recompute(Tx tx, String groupId, RuleSql rule) throws SQLException {
        Connection connection = tx.connection();
        List<Object> ruleThenGroup = new ArrayList<>(rule.parameters());
        ruleThenGroup.add(groupId);
        List<DeviceId> joining = ids(connection, "SELECT d.id FROM device d WHERE " + rule.sql()
                + " AND NOT EXISTS (SELECT 1 FROM group_member m WHERE m.group_id = ? AND m.device_id = d.id)", ruleThenGroup);
        List<Object> groupThenRule = new ArrayList<>(List.of(groupId));
        groupThenRule.addAll(rule.parameters());
        List<DeviceId> leaving = ids(connection, "SELECT m.device_id FROM group_member m WHERE m.group_id = ?"
                + " AND NOT EXISTS (SELECT 1 FROM device d WHERE d.id = m.device_id AND " + rule.sql() + ")", groupThenRule);
        insertMembers(connection, groupId, joining);
        deleteMembers(connection, groupId, leaving);
        Set<DeviceId> changed = new LinkedHashSet<>(joining);
        changed.addAll(leaving);
        return changed;
    }

    /** Checks one changed device against every smart group, inside the device's transaction. */
    private void deviceChanged(Tx tx, Optional<DeviceRecord> before, DeviceRecord after) throws SQLException {
        reevaluate(tx, after.device().id());
    }

    /**
     * Checks the devices of people whose directory data changed (their directory groups, say) against every smart
     * group, inside the transaction that changed them.
     */
    public void reevaluateDevicesOfUsers(Tx tx, Set<String> userIds) throws SQLException {
        if (smartRules.isEmpty() || userIds.isEmpty()) {
            return;
        }
        List<String> users = List.copyOf(userIds);
        for (int from = 0; from < users.size(); from += USERS_PER_QUERY) {
            List<String> chunk = users.subList(from, Math.min(users.size(), from + USERS_PER_QUERY));
            for (DeviceId device : ids(tx.connection(), "SELECT d.id FROM device d WHERE d.user_id IN ("
                    + SqlLists.placeholders(chunk.size()) + ")", new ArrayList<>(chunk))) {
                reevaluate(tx, device);
            }
        }
    }

    private void reevaluate(Tx tx, DeviceId device) throws SQLException {
        if (smartRules.isEmpty()) {
            return;
        }
        Set<String> memberOf = new HashSet<>(groupIdsOf(tx.connection(), device));
        boolean changed = false;
        for (Map.Entry<String, RuleSql> entry : smartRules.entrySet()) {
            boolean matches;
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT 1 FROM device d WHERE d.id = ? AND " + entry.getValue().sql())) {
                select.setString(1, device.toString());
                bind(select, entry.getValue().parameters(), 2);
                try (ResultSet rows = select.executeQuery()) {
                    matches = rows.next();
                }
            }
            boolean member = memberOf.contains(entry.getKey());
            if (matches && !member) {
                insertMembers(tx.connection(), entry.getKey(), List.of(device));
                changed = true;
            } else if (!matches && member) {
                deleteMembers(tx.connection(), entry.getKey(), List.of(device));
                changed = true;
            }
        }
        if (changed) {
            notifyListeners(tx, Set.of(device));
        }
    }

    private void notifyListeners(Tx tx, Set<DeviceId> devices) throws SQLException {
        if (devices.isEmpty()) {
            return;
        }
        for (MembershipListener listener : listeners) {
            listener.membershipChanged(tx, devices);
        }
    }

    private void insertMembers(Connection connection, String groupId, List<DeviceId> devices) throws SQLException {
        if (devices.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO group_member (group_id, device_id, added_at) VALUES (?, ?, ?)")) {
            Timestamp now = Timestamp.from(clock.instant());
            int pending = 0;
            for (DeviceId device : devices) {
                insert.setString(1, groupId);
                insert.setString(2, device.toString());
                insert.setTimestamp(3, now);
                insert.addBatch();
                if (++pending == 1000) {
                    insert.executeBatch();
                    pending = 0;
                }
            }
            insert.executeBatch();
        }
    }

    private static void deleteMembers(Connection connection, String groupId, List<DeviceId> devices) throws SQLException {
        if (devices.isEmpty()) {
            return;
        }
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM group_member WHERE group_id = ? AND device_id = ?")) {
            int pending = 0;
            for (DeviceId device : devices) {
                delete.setString(1, groupId);
                delete.setString(2, device.toString());
                delete.addBatch();
                if (++pending == 1000) {
                    delete.executeBatch();
                    pending = 0;
                }
            }
            delete.executeBatch();
        }
    }

    private static List<DeviceId> memberIds(Connection connection, String groupId) throws SQLException {
        return ids(connection, "SELECT device_id FROM group_member WHERE group_id = ?", List.of(groupId));
    }

    private static List<DeviceId> ids(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            bind(select, parameters, 1);
            List<DeviceId> ids = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(DeviceId.parse(rows.getString(1).trim()));
                }
            }
            return ids;
        }
    }

    private static Set<String> existingDevices(Connection connection, List<DeviceId> devices) throws SQLException {
        Set<String> existing = new HashSet<>();
        for (int from = 0; from < devices.size(); from += 500) {
            List<DeviceId> page = devices.subList(from, Math.min(devices.size(), from + 500));
            try (PreparedStatement select = connection.prepareStatement("SELECT id FROM device WHERE id IN ("
                    + SqlLists.placeholders(page.size()) + ")")) {
                for (int i = 0; i < page.size(); i++) {
                    select.setString(i + 1, page.get(i).toString());
                }
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        existing.add(rows.getString(1).trim());
                    }
                }
            }
        }
        return existing;
    }

    private static int bind(PreparedStatement statement, List<Object> parameters, int first) throws SQLException {
        int index = first;
        for (Object parameter : parameters) {
            statement.setObject(index++, parameter);
        }
        return index;
    }

    private List<Group> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read groups", e);
        }
    }

    private Optional<Group> find(Connection connection, String id) throws SQLException {
        return query(connection, SELECT + " WHERE g.id = ?", List.of(id)).stream().findFirst();
    }

    private List<Group> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            bind(select, parameters, 1);
            List<Group> groups = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String rule = rows.getString(4);
                    groups.add(new Group(rows.getString(1).trim(), rows.getString(2), rows.getString(3),
                            rule == null ? Optional.empty() : Optional.of(codec.read(parse(rule))), rows.getLong(8),
                            rows.getLong(5), rows.getTimestamp(6).toInstant(), rows.getTimestamp(7).toInstant()));
                }
            }
            return groups;
        }
    }

    private JsonNode parse(String text) {
        try {
            return json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new StorageException("A stored group rule is malformed JSON", e);
        }
    }

    private void setRule(PreparedStatement statement, int index, Optional<GroupRule> rule) throws SQLException {
        if (rule.isPresent()) {
            statement.setString(index, codec.write(rule.get()).toString());
        } else {
            statement.setNull(index, Types.CLOB);
        }
    }

    private String describe(Group group) {
        return json.write(Map.of("name", group.name(), "description", group.description(),
                "rule", group.rule().map(codec::write).map(Object::toString).orElse("")));
    }

    private static void checkName(String name) {
        requireNonNull(name, "name is null");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("group names are 1 to 200 characters");
        }
    }
}
