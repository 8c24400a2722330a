package dev.shepherd.examples.hello;

import dev.shepherd.api.event.Event;
import jakarta.inject.Singleton;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The last few kernel events this plugin saw, shared by the listener and the endpoint. */
@Singleton
public final class EventLog {

    private static final int KEEP = 20;
    private final Deque<String> recent = new ArrayDeque<>();

    synchronized void add(Event event) {
        recent.addFirst(event.type() + " " + event.data());
        while (recent.size() > KEEP) {
            recent.removeLast();
        }
    }

    synchronized List<String> recent() {
        return List.copyOf(recent);
    }
}
