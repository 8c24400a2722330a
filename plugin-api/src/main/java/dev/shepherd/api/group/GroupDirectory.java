package dev.shepherd.api.group;

import dev.shepherd.api.device.DeviceId;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Static groups a plugin keeps in step with a structure outside Shepherd, such as ChromeOS organisational units, so
 * admins can assign policies and rules to them like to any group. Each plugin sees and changes only the groups it
 * created; the kernel records the plugin as their creator. Since 0.12.2 a plugin can also read, never change, which
 * groups devices are in, whoever made those groups, to act on the admins' grouping (such as choosing a device's
 * enrollment profile by group). Injectable into any extension.
 */
public interface GroupDirectory {

    /** The most devices {@link #memberships} answers for at once. */
    int MAX_MEMBERSHIP_DEVICES = 1000;

    /**
     * @param name the group's name, unique among all groups
     * @param description what the group mirrors, shown to admins
     * @return the id of this plugin's group of that name, created if it does not exist
     * @throws IllegalArgumentException when another plugin or an admin already has a group of that name, or the
     *         name is blank or longer than 200 characters
     */
    String ensureGroup(String name, String description);

    /**
     * Makes a device a member of exactly these of the plugin's groups: it joins the listed ones and leaves the
     * plugin's others. Groups not created by the plugin are left alone.
     *
     * @param device the device
     * @param groupIds ids returned by {@link #ensureGroup}
     * @throws IllegalArgumentException when an id is not one of this plugin's groups
     */
    void setGroups(DeviceId device, Set<String> groupIds);

    /**
     * The groups each of some devices is in now, whoever created them: admins' static groups, smart groups (whose rules
     * the kernel evaluates for every device as it changes, devices pre-registered PENDING included) and plugins'
     * groups. One read for all of them, answered by the kernel with one query per few hundred devices.
     *
     * @param devices at most {@link #MAX_MEMBERSHIP_DEVICES} devices
     * @return for every device asked about, the ids of its groups; empty for a device in no group or unknown
     * @throws IllegalArgumentException when more than {@link #MAX_MEMBERSHIP_DEVICES} devices are asked about
     * @since 0.12.2
     */
    default Map<DeviceId, Set<String>> memberships(Collection<DeviceId> devices) {
        throw new UnsupportedOperationException("this kernel does not tell plugins which groups devices are in");
    }

    /**
     * The name of a group, whoever created it, so a plugin that refers to an admin's group by id can check that it
     * exists and show it.
     *
     * @param groupId the group's id
     * @return its name; empty when there is no such group
     * @since 0.12.2
     */
    default Optional<String> groupName(String groupId) {
        throw new UnsupportedOperationException("this kernel does not tell plugins group names");
    }
}
