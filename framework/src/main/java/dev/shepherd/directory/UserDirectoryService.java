package dev.shepherd.directory;

import dev.shepherd.api.identity.DirectorySyncSummary;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.util.Objects.requireNonNull;

/**
 * The directory as identity-provider plugins feed it: people matched by the provider's external id, groups with their
 * direct members, and the effective (nested, cycle-safe) memberships smart groups read. Every change is audited; an
 * unchanged put writes nothing. Each provider id belongs to the first plugin that writes under it.
 */
public final class UserDirectoryService {

    /** Told, inside the transaction that changed them, which people joined or left a directory group at any depth. */
    @FunctionalInterface
    public interface RegroupListener {
        void regrouped(Tx tx, Set<String> userIds) throws SQLException;
    }

    private static final int MAX_PROVIDER_ID = 64;
    private static final int MAX_EXTERNAL_ID = 200;
    private static final int MAX_GROUP_NAME = 200;

    private final Transactions transactions;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final List<RegroupListener> listeners = new CopyOnWriteArrayList<>();
    /** Owners never change once claimed, so what was read once stays true. */
    private final Map<String, String> owners = new ConcurrentHashMap<>();

    public UserDirectoryService(Transactions transactions, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public void addRegroupListener(RegroupListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    /** @return the directory as the plugin sees it: its calls act as the plugin, under providers it owns */
    public UserDirectory forPlugin(String pluginId) {
        requireNonNull(pluginId, "pluginId is null");
        return new UserDirectory() {
            @Override
            public String putUser(String providerId, ProvidedUser user) {
                return UserDirectoryService.this.putUser(pluginId, providerId, user);
            }

            @Override
            public Optional<String> findUser(String providerId, String externalId) {
                return UserDirectoryService.this.findUser(pluginId, providerId, externalId);
            }

            @Override
            public String putGroup(String providerId, ProvidedGroup group) {
                return UserDirectoryService.this.putGroup(pluginId, providerId, group);
            }

            @Override
            public boolean removeGroup(String providerId, String externalId) {
                return UserDirectoryService.this.removeGroup(pluginId, providerId, externalId);
            }

            @Override
            public DirectorySyncSummary completeSync(String providerId, Set<String> userExternalIds, Set<String> groupExternalIds) {
                return UserDirectoryService.this.completeSync(pluginId, providerId, userExternalIds, groupExternalIds);
            }
        };
    }

    /** {@link UserDirectory#putUser} for a plugin. */
    public String putUser(String pluginId, String providerId, ProvidedUser user) {
        requireNonNull(user, "user is null");
        DirectoryService.checkPerson(user.username(), user.displayName(), user.email());
        checkExternalId(user.externalId());
        claim(pluginId, providerId);
        Actor actor = Actor.plugin(pluginId);
        return transactions.inTransaction("put a user in the directory", tx -> {
            Connection connection = tx.connection();
            Instant now = clock.instant();
            Optional<DirectoryUser> known = user(connection, "provider = ? AND external_id = ?", providerId, user.externalId());
            if (known.isEmpty()) {
                Optional<DirectoryUser> sameName = user(connection, "provider = ? AND username = ?", providerId, user.username());
                if (sameName.isPresent() && sameName.get().externalId().isPresent()) {
                    throw new IllegalArgumentException("the " + providerId + " directory has another user named '" + user.username() + "'");
                }
                // A person who signed in before the first sync is adopted: their devices and history stay theirs.
                known = sameName;
            }
            if (known.isEmpty()) {
                DirectoryUser created = new DirectoryUser(UUID.randomUUID().toString(), providerId, Optional.of(user.externalId()),
                        user.username(), user.displayName(), user.email(), user.active(),
                        user.active() ? Optional.empty() : Optional.of(now), now, now);
                DirectoryService.insert(connection, created);
                audit.append(tx, new AuditRecord(actor, "user.create", "user", created.id(), Optional.empty(), Optional.of(json.write(created))));
                return created.id();
            }
            DirectoryUser before = known.get();
            DirectoryUser after = new DirectoryUser(before.id(), providerId, Optional.of(user.externalId()), user.username(),
                    user.displayName(), user.email(), user.active(),
                    user.active() ? Optional.empty() : before.active() ? Optional.of(now) : before.deactivatedAt(),
                    before.createdAt(), now);
            if (sameData(before, after)) {
                return before.id();
            }
            update(connection, after);
            String action = before.active() == after.active() ? "user.update" : after.active() ? "user.reactivate" : "user.deactivate";
            audit.append(tx, new AuditRecord(actor, action, "user", after.id(), Optional.of(json.write(before)), Optional.of(json.write(after))));
            return after.id();
        });
    }

    /** {@link UserDirectory#findUser} for a plugin. */
    public Optional<String> findUser(String pluginId, String providerId, String externalId) {
        requireNonNull(externalId, "externalId is null");
        checkOwner(pluginId, providerId);
        return transactions.read("read the directory", connection -> user(connection, "provider = ? AND external_id = ?", providerId, externalId).map(DirectoryUser::id));
    }

    /** {@link UserDirectory#putGroup} for a plugin. */
    public String putGroup(String pluginId, String providerId, ProvidedGroup group) {
        requireNonNull(group, "group is null");
        checkExternalId(group.externalId());
        if (group.name().isBlank() || group.name().length() > MAX_GROUP_NAME) {
            throw new IllegalArgumentException("group names are 1 to " + MAX_GROUP_NAME + " characters");
        }
        claim(pluginId, providerId);
        Actor actor = Actor.plugin(pluginId);
        return transactions.inTransaction("put a group in the directory", tx -> {
            Connection connection = tx.connection();
            Instant now = clock.instant();
            Set<String> users = ids(connection, "directory_user", providerId, group.memberUsers());
            Set<String> groups = ids(connection, "directory_group", providerId, group.memberGroups());
            Optional<DirectoryGroup> known = DirectoryGroupStore.byExternalId(connection, providerId, group.externalId());
            DirectoryGroup saved;
            Optional<String> before = Optional.empty();
            if (known.isEmpty()) {
                saved = new DirectoryGroup(UUID.randomUUID().toString(), providerId, group.externalId(), group.name(), now, now);
                DirectoryGroupStore.insert(connection, saved);
            } else {
                DirectoryGroup current = known.get();
                Set<String> currentUsers = DirectoryGroupStore.directUsers(connection, current.id());
                Set<String> currentGroups = DirectoryGroupStore.directGroups(connection, current.id());
                if (current.name().equals(group.name()) && currentUsers.equals(users) && currentGroups.equals(groups)) {
                    return current.id();
                }
                before = Optional.of(json.write(new GroupRecord(current, currentUsers, currentGroups)));
                saved = new DirectoryGroup(current.id(), providerId, current.externalId(), group.name(), current.createdAt(), now);
                DirectoryGroupStore.rename(connection, saved);
            }
            DirectoryGroupStore.replaceMembers(connection, saved.id(), users, groups);
            regrouped(tx, DirectoryGroupStore.refreshClosure(connection, Set.of(saved.id())));
            audit.append(tx, new AuditRecord(actor, known.isEmpty() ? "directory_group.create" : "directory_group.update",
                    "directory_group", saved.id(), before, Optional.of(json.write(new GroupRecord(saved, users, groups)))));
            return saved.id();
        });
    }

    /** {@link UserDirectory#removeGroup} for a plugin. */
    public boolean removeGroup(String pluginId, String providerId, String externalId) {
        requireNonNull(externalId, "externalId is null");
        claim(pluginId, providerId);
        Actor actor = Actor.plugin(pluginId);
        return transactions.inTransaction("remove a group from the directory", tx -> {
            Optional<DirectoryGroup> group = DirectoryGroupStore.byExternalId(tx.connection(), providerId, externalId);
            if (group.isEmpty()) {
                return false;
            }
            remove(tx, actor, group.get());
            return true;
        });
    }

    /** {@link UserDirectory#completeSync} for a plugin. */
    public DirectorySyncSummary completeSync(String pluginId, String providerId, Set<String> userExternalIds, Set<String> groupExternalIds) {
        Set<String> users = Set.copyOf(requireNonNull(userExternalIds, "userExternalIds is null"));
        Set<String> groups = Set.copyOf(requireNonNull(groupExternalIds, "groupExternalIds is null"));
        claim(pluginId, providerId);
        Actor actor = Actor.plugin(pluginId);
        return transactions.inTransaction("complete a directory sync", tx -> {
            Connection connection = tx.connection();
            Instant now = clock.instant();
            int deactivated = 0;
            for (DirectoryUser user : DirectoryService.query(connection, DirectoryService.SELECT + " WHERE provider = ? AND active = 1",
                    List.of(providerId))) {
                // A person with no external id signed in but was not adopted by this sync: the directory does not have them.
                if (user.externalId().filter(users::contains).isEmpty()) {
                    DirectoryUser after = new DirectoryUser(user.id(), user.provider(), user.externalId(), user.username(), user.displayName(),
                            user.email(), false, Optional.of(now), user.createdAt(), now);
                    update(connection, after);
                    audit.append(tx, new AuditRecord(actor, "user.deactivate", "user", user.id(), Optional.of(json.write(user)),
                            Optional.of(json.write(after))));
                    deactivated++;
                }
            }
            int removed = 0;
            for (DirectoryGroup group : DirectoryGroupStore.query(connection, DirectoryGroupStore.SELECT + " WHERE provider = ?",
                    List.of(providerId))) {
                if (!groups.contains(group.externalId())) {
                    remove(tx, actor, group);
                    removed++;
                }
            }
            return new DirectorySyncSummary(deactivated, removed);
        });
    }

    /**
     * Where a page of groups ended: its last group's name and id.
     *
     * @param name the last group's name
     * @param id the last group's id
     */
    public record GroupCursor(String name, String id) {
        public GroupCursor {
            requireNonNull(name, "name is null");
            requireNonNull(id, "id is null");
        }
    }

    /** Groups whose name starts with the text (any case), in name then id order, after a cursor. */
    public List<DirectoryGroup> searchGroups(String prefix, Optional<GroupCursor> after, int limit) {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(after, "after is null");
        String like = prefix.toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        String afterName = after.map(GroupCursor::name).orElse("");
        String afterId = after.map(GroupCursor::id).orElse("");
        return transactions.read("search directory groups", connection -> DirectoryGroupStore.query(connection, DirectoryGroupStore.SELECT
                + " WHERE LOWER(name) LIKE ? ESCAPE '!' AND (name > ? OR (name = ? AND id > ?)) ORDER BY name, id FETCH FIRST "
                + Math.max(1, Math.min(limit, 500)) + " ROWS ONLY", List.of(like, afterName, afterName, afterId)));
    }

    public Optional<DirectoryGroup> group(String id) {
        requireNonNull(id, "id is null");
        return transactions.read("read the directory", connection -> DirectoryGroupStore.query(connection, DirectoryGroupStore.SELECT + " WHERE id = ?", List.of(id))
                .stream().findFirst());
    }

    /**
     * A group's members, each list cut at a limit.
     *
     * @param users the people directly in it
     * @param groups the groups directly in it
     * @param effectiveUsers the people in it at any depth
     * @param userCount how many people are directly in it
     * @param groupCount how many groups are directly in it
     * @param effectiveUserCount how many people are in it at any depth
     */
    public record Members(List<DirectoryUser> users, List<DirectoryGroup> groups, List<DirectoryUser> effectiveUsers, int userCount,
                          int groupCount, int effectiveUserCount) {
        public Members {
            users = List.copyOf(users);
            groups = List.copyOf(groups);
            effectiveUsers = List.copyOf(effectiveUsers);
        }
    }

    /** @param limit at most this many of each kind of member, in username or name order */
    public Members members(String groupId, int limit) {
        requireNonNull(groupId, "groupId is null");
        String first = " FETCH FIRST " + Math.max(1, limit) + " ROWS ONLY";
        String direct = "SELECT user_id FROM directory_group_user WHERE group_id = ?";
        String nested = "SELECT member_group_id FROM directory_group_nesting WHERE group_id = ?";
        String effective = "SELECT user_id FROM directory_group_closure WHERE group_id = ?";
        return transactions.read("read a directory group's members", connection -> new Members(
                DirectoryService.query(connection, DirectoryService.SELECT + " WHERE id IN (" + direct + ") ORDER BY username" + first,
                        List.of(groupId)),
                DirectoryGroupStore.query(connection, DirectoryGroupStore.SELECT + " WHERE id IN (" + nested + ") ORDER BY name" + first,
                        List.of(groupId)),
                DirectoryService.query(connection, DirectoryService.SELECT + " WHERE id IN (" + effective + ") ORDER BY username" + first,
                        List.of(groupId)),
                count(connection, direct, groupId), count(connection, nested, groupId), count(connection, effective, groupId)));
    }

    private static int count(Connection connection, String members, String groupId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM (" + members + ") m")) {
            select.setString(1, groupId);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    /** The groups a person is directly in, or in at any depth. */
    public List<DirectoryGroup> groupsOf(String userId, boolean effective) {
        requireNonNull(userId, "userId is null");
        return transactions.read("read the directory", connection -> DirectoryGroupStore.groupsOf(connection, userId, effective));
    }

    /** A group as its audit entries record it. */
    private record GroupRecord(String id, String provider, String externalId, String name, Set<String> memberUsers, Set<String> memberGroups) {
        GroupRecord(DirectoryGroup group, Set<String> users, Set<String> groups) {
            this(group.id(), group.provider(), group.externalId(), group.name(), Set.copyOf(users), Set.copyOf(groups));
        }
    }

    private void remove(Tx tx, Actor actor, DirectoryGroup group) throws SQLException {
        Connection connection = tx.connection();
        Set<String> containers = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT group_id FROM directory_group_nesting WHERE member_group_id = ?")) {
            select.setString(1, group.id());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    containers.add(rows.getString(1).trim());
                }
            }
        }
        containers.remove(group.id());
        Set<String> regrouped = new HashSet<>(DirectoryGroupStore.effectiveUsers(connection, group.id()));
        Set<String> users = DirectoryGroupStore.directUsers(connection, group.id());
        Set<String> groups = DirectoryGroupStore.directGroups(connection, group.id());
        DirectoryGroupStore.delete(connection, group.id());
        regrouped.addAll(DirectoryGroupStore.refreshClosure(connection, containers));
        regrouped(tx, regrouped);
        audit.append(tx, new AuditRecord(actor, "directory_group.remove", "directory_group", group.id(),
                Optional.of(json.write(new GroupRecord(group, users, groups))), Optional.empty()));
    }

    private void regrouped(Tx tx, Set<String> userIds) throws SQLException {
        if (userIds.isEmpty()) {
            return;
        }
        for (RegroupListener listener : listeners) {
            listener.regrouped(tx, Set.copyOf(userIds));
        }
    }

    /** Makes the plugin the provider's owner if it has none. */
    private void claim(String pluginId, String providerId) {
        checkProviderId(providerId);
        requireNonNull(pluginId, "pluginId is null");
        if (owner(providerId).isEmpty()) {
            try {
                transactions.inTransaction("claim a directory provider", tx -> {
                    try (PreparedStatement insert = tx.connection().prepareStatement(
                            "INSERT INTO directory_provider (id, owner_plugin, created_at) VALUES (?, ?, ?)")) {
                        insert.setString(1, providerId);
                        insert.setString(2, pluginId);
                        insert.setTimestamp(3, Timestamp.from(clock.instant()));
                        insert.executeUpdate();
                    }
                    return null;
                });
            } catch (StorageException e) {
                // Claimed meanwhile, by this plugin or another: the owner read next decides.
                if (!(e.getCause() instanceof SQLException cause) || !Dialect.isConstraintViolation(cause)) {
                    throw e;
                }
            }
        }
        checkOwner(pluginId, providerId);
    }

    private void checkOwner(String pluginId, String providerId) {
        checkProviderId(providerId);
        requireNonNull(pluginId, "pluginId is null");
        Optional<String> owner = owner(providerId);
        if (owner.isPresent() && !owner.get().equals(pluginId)) {
            throw new IllegalArgumentException("the directory provider '" + providerId + "' belongs to plugin " + owner.get());
        }
    }

    private Optional<String> owner(String providerId) {
        String cached = owners.get(providerId);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<String> owner = transactions.read("read the directory", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT owner_plugin FROM directory_provider WHERE id = ?")) {
                select.setString(1, providerId);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.<String>empty();
                }
            }
        });
        owner.ifPresent(plugin -> owners.put(providerId, plugin));
        return owner;
    }

    private static void checkProviderId(String providerId) {
        requireNonNull(providerId, "providerId is null");
        if (providerId.isBlank() || providerId.length() > MAX_PROVIDER_ID) {
            throw new IllegalArgumentException("provider ids are 1 to " + MAX_PROVIDER_ID + " characters");
        }
        if (providerId.equals(DirectoryService.LOCAL)) {
            throw new IllegalArgumentException("the local directory is the server's own; identity providers put people under their own id");
        }
    }

    private static void checkExternalId(String externalId) {
        if (externalId.length() > MAX_EXTERNAL_ID) {
            throw new IllegalArgumentException("external ids are at most " + MAX_EXTERNAL_ID + " characters");
        }
    }

    private static boolean sameData(DirectoryUser before, DirectoryUser after) {
        return before.externalId().equals(after.externalId()) && before.username().equals(after.username())
                && before.displayName().equals(after.displayName()) && before.email().equals(after.email())
                && before.active() == after.active();
    }

    private static Optional<DirectoryUser> user(Connection connection, String where, String provider, String value) throws SQLException {
        return DirectoryService.query(connection, DirectoryService.SELECT + " WHERE " + where, List.of(provider, value)).stream().findFirst();
    }

    /** A reactivated person's deprovisioning mark goes with their deactivation, so a later one counts afresh. */
    private static void update(Connection connection, DirectoryUser user) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE directory_user SET external_id = ?, username = ?, display_name = ?,"
                + " email = ?, active = ?, deactivated_at = ?, updated_at = ?"
                + (user.active() ? ", deprovisioned_at = NULL" : "") + " WHERE id = ?")) {
            update.setString(1, user.externalId().orElse(null));
            update.setString(2, user.username());
            update.setString(3, user.displayName());
            update.setString(4, user.email());
            update.setInt(5, user.active() ? 1 : 0);
            update.setTimestamp(6, user.deactivatedAt().map(Timestamp::from).orElse(null));
            update.setTimestamp(7, Timestamp.from(user.updatedAt()));
            update.setString(8, user.id());
            update.executeUpdate();
        } catch (SQLException e) {
            if (!Dialect.isConstraintViolation(e)) {
                throw e;
            }
            throw new IllegalArgumentException("the " + user.provider() + " directory has another user named '" + user.username() + "'");
        }
        if (!user.active()) {
            // Deactivated means signed out too: their portal sessions end with it.
            try (PreparedStatement signOut = connection.prepareStatement("DELETE FROM portal_session WHERE user_id = ?")) {
                signOut.setString(1, user.id());
                signOut.executeUpdate();
            }
        }
    }

    /** The ids of the provider's users or groups with the given external ids; unknown ones are left out. */
    private static Set<String> ids(Connection connection, String table, String provider, Set<String> externalIds) throws SQLException {
        Set<String> ids = new HashSet<>();
        if (externalIds.isEmpty()) {
            return ids;
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM " + table + " WHERE provider = ? AND external_id = ?")) {
            for (String externalId : externalIds) {
                select.setString(1, provider);
                select.setString(2, externalId);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        ids.add(rows.getString(1).trim());
                    }
                }
            }
        }
        return ids;
    }
}
