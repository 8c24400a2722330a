package dev.shepherd.audit;

import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Who did something: an admin, the system itself, a plugin, a device, or a directory user (in the self-service portal).
 *
 * @param kind what sort of actor
 * @param id the admin's username, the plugin's id, the device's id, the directory user's id, or {@code system}
 */
public record Actor(Kind kind, String id) {

    /** The sorts of actor. */
    public enum Kind { ADMIN, SYSTEM, PLUGIN, DEVICE, USER }

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

    /** A person of the directory acting for themselves, in the self-service portal. */
    public static Actor user(String directoryUserId) {
        return new Actor(Kind.USER, directoryUserId);
    }

    /**
     * The actor a stored {@link #toString()} names, e.g. the creator of a fan-out whose rows are written later.
     *
     * @throws IllegalArgumentException when the text is not {@code kind:id}
     */
    public static Actor parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("not an actor: " + text);
        }
        return new Actor(Kind.valueOf(text.substring(0, colon).toUpperCase(Locale.ROOT)), text.substring(colon + 1));
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + ":" + id;
    }
}
