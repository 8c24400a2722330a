package dev.shepherd.plugin;

import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventListener;
import dev.shepherd.event.KernelEventBus;

import static java.util.Objects.requireNonNull;

/** Delivers kernel events to plugins' {@link EventListener}s, each on its plugin's own ordered event thread. */
public final class PluginEventDispatcher {

    private final ExtensionRegistry registry;

    public PluginEventDispatcher(ExtensionRegistry registry, KernelEventBus events) {
        this.registry = requireNonNull(registry, "registry is null");
        requireNonNull(events, "events is null").subscribe(this::dispatch);
    }

    private void dispatch(Event event) {
        for (ExtensionRegistry.Registration<EventListener> registration : registry.extensions(EventListener.class)) {
            if (registration.owner() instanceof PluginGeneration generation) {
                EventListener listener = registration.extension();
                generation.deliverEvent("EventListener.onEvent", () -> {
                    if (listener.accepts(event.type())) {
                        listener.onEvent(event);
                    }
                    return null;
                });
            }
        }
    }
}
