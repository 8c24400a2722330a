package dev.shepherd.group;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.audit.Actor;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * One plugin's view of the groups it mirrors: it creates them, and it alone moves devices in and out of them. It reads
 * every group's membership and name, and changes none but its own.
 */
public final class PluginGroupDirectory implements GroupDirectory {

    private final Actor plugin;
    private final GroupService groups;

    public PluginGroupDirectory(String pluginId, GroupService groups) {
        this.plugin = Actor.plugin(requireNonNull(pluginId, "pluginId is null"));
        this.groups = requireNonNull(groups, "groups is null");
    }

    @Override
    public String ensureGroup(String name, String description) {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        Optional<Group> mine = own(name);
        if (mine.isPresent()) {
            return mine.get().id();
        }
        try {
            return groups.create(plugin, name, description, Optional.empty()).id();
        } catch (GroupConflictException e) {
            // Created meanwhile by this plugin's other thread, or taken by someone else.
            return own(name).map(Group::id).orElseThrow(() -> new IllegalArgumentException(
                    "a group named '" + name + "' exists and was not created by plugin " + plugin.id()));
        }
    }

    @Override
    public void setGroups(DeviceId device, Set<String> groupIds) {
        requireNonNull(device, "device is null");
        Map<String, Group> mine = groups.createdBy(plugin).stream().collect(Collectors.toMap(Group::id, Function.identity()));
        for (String id : groupIds) {
            if (!mine.containsKey(id)) {
                throw new IllegalArgumentException("group " + id + " was not created by plugin " + plugin.id());
            }
        }
        Set<String> current = new HashSet<>();
        for (Group group : groups.groupsOf(device)) {
            if (mine.containsKey(group.id())) {
                current.add(group.id());
            }
        }
        for (String id : groupIds) {
            if (!current.contains(id)) {
                groups.addMembers(plugin, id, List.of(device));
            }
        }
        for (String id : current) {
            if (!groupIds.contains(id)) {
                groups.removeMembers(plugin, id, List.of(device));
            }
        }
    }

    @Override
    public Map<DeviceId, Set<String>> memberships(Collection<DeviceId> devices) {
        requireNonNull(devices, "devices is null");
        if (devices.size() > MAX_MEMBERSHIP_DEVICES) {
            throw new IllegalArgumentException("ask about at most " + MAX_MEMBERSHIP_DEVICES + " devices at a time, not " + devices.size());
        }
        Map<DeviceId, Set<String>> memberships = new LinkedHashMap<>();
        groups.groupIdsOf(devices).forEach((device, ids) -> memberships.put(device, Set.copyOf(ids)));
        return Collections.unmodifiableMap(memberships);
    }

    @Override
    public Optional<String> groupName(String groupId) {
        requireNonNull(groupId, "groupId is null");
        // Group ids are UUIDs; anything longer names no group and is not sent to the database.
        return groupId.isEmpty() || groupId.length() > 64 ? Optional.empty() : groups.get(groupId).map(Group::name);
    }

    private Optional<Group> own(String name) {
        return groups.createdBy(plugin).stream().filter(group -> group.name().equals(name)).findFirst();
    }
}
