package dev.shepherd.device;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.shepherd.storage.SqlLists;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Which devices a role grant reaches: the whole fleet, or the current members of a set of device groups (static or
 * smart; smart groups' membership is kept current by the group service, so a device that stops matching leaves the
 * scope at once). A scope of groups that have all been deleted reaches nothing: deleting a group never widens a
 * grant.
 *
 * <p>In JSON a scope is {@code null} for the whole fleet, or the sorted list of its group ids.
 *
 * @param groupIds empty for the whole fleet; otherwise the groups whose members are in scope (possibly none)
 */
public record DeviceScope(Optional<List<String>> groupIds) {

    /** The most groups one scope may name. */
    public static final int MAX_GROUPS = 100;
    /** The whole fleet: what every grant was before scopes existed. */
    public static final DeviceScope FLEET = new DeviceScope(Optional.empty());

    private static final Pattern GROUP_ID = Pattern.compile("[0-9a-fA-F-]{1,36}");

    public DeviceScope {
        requireNonNull(groupIds, "groupIds is null");
        groupIds = groupIds.map(ids -> {
            ids.forEach(id -> {
                if (id == null || !GROUP_ID.matcher(id).matches()) {
                    throw new IllegalArgumentException("'" + id + "' is not a group id");
                }
            });
            if (ids.size() > MAX_GROUPS) {
                throw new IllegalArgumentException("a scope names at most " + MAX_GROUPS + " groups");
            }
            return List.copyOf(new TreeSet<>(ids));
        });
    }

    /** @return the scope of the members of these groups */
    public static DeviceScope groups(Collection<String> groupIds) {
        return new DeviceScope(Optional.of(List.copyOf(requireNonNull(groupIds, "groupIds is null"))));
    }

    /** @return the scope as stored: {@code null} for the whole fleet, else the group ids separated by commas */
    public String stored() {
        return groupIds.map(ids -> String.join(",", ids)).orElse(null);
    }

    /** @param stored a column written by {@link #stored()}, possibly {@code null} */
    public static DeviceScope fromStored(String stored) {
        if (stored == null) {
            return FLEET;
        }
        String trimmed = stored.trim();
        return groups(trimmed.isEmpty() ? List.of() : List.of(trimmed.split(",")));
    }

    /** @return the group ids, or {@code null} for the whole fleet */
    @JsonValue
    public List<String> json() {
        return groupIds.orElse(null);
    }

    public boolean isFleet() {
        return groupIds.isEmpty();
    }

    /** @return whether every device this other scope reaches is in this one, whatever the groups' members */
    public boolean covers(DeviceScope other) {
        requireNonNull(other, "other is null");
        return isFleet() || other.groupIds.map(ids -> groupIds.get().containsAll(ids)).orElse(false);
    }

    /** @return whether a group is inside the scope, so acting on the group as a whole stays within it */
    public boolean includesGroup(String groupId) {
        requireNonNull(groupId, "groupId is null");
        return groupIds.map(ids -> ids.contains(groupId)).orElse(true);
    }

    /**
     * Appends the SQL condition that keeps rows whose device is in scope ({@code AND ...}), with its parameters: nothing
     * for the whole fleet, a semi-join on {@code group_member} otherwise, so filtering costs an index probe per row and
     * never loads the fleet.
     *
     * @param deviceIdColumn the column of the query that holds the device id, such as {@code d.id}
     */
    public void appendCondition(String deviceIdColumn, StringBuilder sql, List<Object> parameters) {
        requireNonNull(deviceIdColumn, "deviceIdColumn is null");
        if (groupIds.isEmpty()) {
            return;
        }
        List<String> ids = groupIds.get();
        if (ids.isEmpty()) {
            sql.append(" AND 1 = 0");
            return;
        }
        sql.append(" AND ").append(deviceIdColumn).append(" IN (SELECT scope_member.device_id FROM group_member scope_member WHERE scope_member.group_id IN (")
                .append(SqlLists.placeholders(ids.size())).append("))");
        parameters.addAll(ids);
    }

    @Override
    public String toString() {
        return groupIds.map(ids -> "groups " + ids).orElse("whole fleet");
    }
}
