package dev.shepherd.api.event;

import org.pf4j.ExtensionPoint;

/**
 * Receives events. The kernel delivers them asynchronously, in order per listener, after they happened;
 * a slow or failing listener never delays the action that raised the event.
 */
public interface EventListener extends ExtensionPoint {

    /**
     * Whether this listener wants events of a type; only those are delivered.
     *
     * @param type the event type
     * @return true to receive it
     */
    default boolean accepts(String type) {
        return true;
    }

    /**
     * Handles one event.
     *
     * @param event the event
     */
    void onEvent(Event event);
}
