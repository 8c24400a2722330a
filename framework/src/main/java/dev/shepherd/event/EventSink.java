package dev.shepherd.event;

import dev.shepherd.api.event.Event;

/** Where the kernel raises events that happen outside any database transaction of its own. */
@FunctionalInterface
public interface EventSink {

    void publish(Event event);
}
