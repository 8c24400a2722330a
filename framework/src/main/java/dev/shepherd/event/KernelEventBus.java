package dev.shepherd.event;

import dev.shepherd.api.event.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Hands every event to the kernel's subscribers. Subscribers must return quickly: anything slow or
 * untrusted (plugin listeners, webhooks) queues the event and works on it elsewhere.
 */
public final class KernelEventBus implements EventSink {

    private static final Logger log = LoggerFactory.getLogger(KernelEventBus.class);

    private final CopyOnWriteArrayList<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();

    /**
     * Adds a subscriber.
     *
     * @param subscriber called with every event, on the publishing thread
     * @return an action that removes the subscriber
     */
    public Runnable subscribe(Consumer<Event> subscriber) {
        requireNonNull(subscriber, "subscriber is null");
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /**
     * Publishes an event to every subscriber; one failing subscriber does not keep it from the others.
     *
     * @param event the event
     */
    @Override
    public void publish(Event event) {
        requireNonNull(event, "event is null");
        for (Consumer<Event> subscriber : subscribers) {
            try {
                subscriber.accept(event);
            } catch (RuntimeException e) {
                log.error("Event subscriber failed on {} {}", event.type(), event.id(), e);
            }
        }
    }
}
