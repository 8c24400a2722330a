package dev.shepherd.audit;

import static java.util.Objects.requireNonNull;

/**
 * Who did something: an admin, the system itself, a plugin, or a device.
 *
 * @param kind what sort of actor
 * @param id the admin's username, the plugin's id, the device's id, or {@code system}
 */
public record Actor(Kind kind, String id) {

    /** The sorts of actor. */
    public enum Kind { ADMIN, SYSTEM, PLUGIN, DEVICE }

    public static final Actor SYSTEM = new Actor(Kind.SYSTEM, "system");

    public Actor {
        requireNonNull(kind, "kind is null");
        requireNonNull(id, "id is null");
    }

    public static Actor admin(String username) {
        return new Actor(Kind.ADMIN, username);
    }

    public static Actor plugin(String pluginId) {
        return new Actor(Kind.PLUGIN, pluginId);
    }

    public static Actor device(String deviceId) {
        return new Actor(Kind.DEVICE, deviceId);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + ":" + id;
    }
}
