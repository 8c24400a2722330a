package dev.shepherd.api.group;

import dev.shepherd.api.device.DeviceId;

import java.util.Set;

/**
 * Static groups a plugin keeps in step with a structure outside Shepherd, such as ChromeOS organisational units, so
 * admins can assign policies and rules to them like to any group. Each plugin sees and changes only the groups it
 * created; the kernel records the plugin as their creator. Injectable into any extension.
 */
public interface GroupDirectory {

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
}
