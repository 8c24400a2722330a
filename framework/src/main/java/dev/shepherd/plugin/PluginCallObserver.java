package dev.shepherd.plugin;

/**
 * Told of every call into a plugin as it ends, by the containment wrapper all calls go through
 * ({@link PluginGeneration#call}); the metrics count and time them per plugin. Called on the calling thread, so it
 * must be quick and must not throw.
 */
@FunctionalInterface
public interface PluginCallObserver {

    /** Observes nothing. */
    PluginCallObserver NONE = (pluginId, outcome, nanos) -> {
    };

    /** How a call ended. */
    enum Outcome {
        /** The plugin returned. */
        OK,
        /** The plugin refused its input with a 4xx of its own: it did its job. */
        REFUSED,
        /** The plugin threw. */
        FAILED,
        /** The plugin did not return within the call timeout. */
        TIMEOUT,
        /** The plugin had no thread free, or was stopping. */
        BUSY,
        /** The circuit breaker refused the call, or the plugin has failed. */
        OUT_OF_SERVICE
    }

    /**
     * @param pluginId the plugin called
     * @param outcome how the call ended
     * @param nanos how long it took, waiting for a thread included
     */
    void called(String pluginId, Outcome outcome, long nanos);
}
