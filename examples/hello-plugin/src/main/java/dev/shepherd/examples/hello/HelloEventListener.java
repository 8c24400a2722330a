package dev.shepherd.examples.hello;

import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventListener;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** Listens to every kernel event and remembers the latest ones. */
@Extension
public final class HelloEventListener implements EventListener {

    private final EventLog log;

    @Inject
    public HelloEventListener(EventLog log) {
        this.log = log;
    }

    @Override
    public void onEvent(Event event) {
        log.add(event);
    }
}
