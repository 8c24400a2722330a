package dev.shepherd.plugin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.util.Objects.requireNonNull;

/**
 * The live extensions of all started plugins, by extension point. The kernel holds registrations, never raw
 * instances, so unloading a plugin is removing its registrations.
 */
public final class ExtensionRegistry {

    /**
     * One live extension.
     *
     * @param owner the plugin generation it belongs to; calls go through it
     * @param point the extension point
     * @param extension the instance
     */
    public record Registration<T>(PluginHandle owner, Class<T> point, T extension) {
        public Registration {
            requireNonNull(owner, "owner is null");
            requireNonNull(point, "point is null");
            requireNonNull(extension, "extension is null");
        }
    }

    /** Told about registrations as they come and go. */
    public interface Listener {
        void registered(Registration<?> registration);

        void unregistered(Registration<?> registration);
    }

    private final Map<Class<?>, CopyOnWriteArrayList<Registration<?>>> byPoint = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(Listener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    void register(List<Registration<?>> registrations) {
        for (Registration<?> registration : registrations) {
            byPoint.computeIfAbsent(registration.point(), point -> new CopyOnWriteArrayList<>()).add(registration);
            listeners.forEach(listener -> listener.registered(registration));
        }
    }

    void unregister(List<Registration<?>> registrations) {
        for (Registration<?> registration : registrations) {
            List<Registration<?>> list = byPoint.get(registration.point());
            if (list != null && list.remove(registration)) {
                listeners.forEach(listener -> listener.unregistered(registration));
            }
        }
    }

    /**
     * The live extensions of one point, in registration order.
     *
     * @param point the extension point
     * @return a snapshot
     */
    @SuppressWarnings("unchecked")
    public <T> List<Registration<T>> extensions(Class<T> point) {
        List<Registration<?>> list = byPoint.get(point);
        if (list == null) {
            return List.of();
        }
        return list.stream().map(registration -> (Registration<T>) registration).toList();
    }
}
