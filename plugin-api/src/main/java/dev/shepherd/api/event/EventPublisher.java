package dev.shepherd.api.event;

import java.util.Map;

/** Lets a plugin raise events of its own; the kernel stamps the plugin id as their source. */
public interface EventPublisher {

    /**
     * Raises an event.
     *
     * @param type dotted type, which must start with the plugin's id and a dot
     * @param data details as JSON-like values
     * @return the event raised
     * @throws IllegalArgumentException when the type is not in the plugin's namespace
     */
    Event publish(String type, Map<String, Object> data);
}
