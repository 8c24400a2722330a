package dev.shepherd.webhook;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * An HTTP endpoint that receives events. Its signing secret is never part of this view.
 *
 * @param id identifier
 * @param name what it is for
 * @param url where events are POSTed
 * @param eventTypes which events: exact types, prefixes ending in {@code *}, or {@code *} for all
 * @param enabled whether events are delivered
 * @param createdAt when it was made
 * @param updatedAt when it last changed
 */
public record Webhook(String id, String name, String url, List<String> eventTypes, boolean enabled, Instant createdAt,
                      Instant updatedAt) {
    public Webhook {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(url, "url is null");
        eventTypes = List.copyOf(eventTypes);
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    /** @return whether an event of this type goes to this webhook */
    public boolean wants(String type) {
        for (String pattern : eventTypes) {
            if (pattern.equals("*") || pattern.equals(type)
                    || (pattern.endsWith("*") && type.startsWith(pattern.substring(0, pattern.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}
