package dev.shepherd.plugin;

/** What an operator sees of a plugin. */
public enum PluginState {
    /** Loaded and started; its extensions are live. */
    STARTED,
    /**
     * Loaded, but its calls keep failing or one hung: its circuit breaker is open and its calls are refused until a
     * trial call after the cool-down succeeds (see the reason and {@code retryAt}).
     */
    OUT_OF_SERVICE,
    /** Refused at load, failed to start, ties with another file of the same plugin, or its calls got stuck; see the reason. */
    FAILED,
    /** Not loaded because another file of the same plugin has a newer version (or is the same file); see the reason. */
    SUPERSEDED,
    /** Switched off by an operator; its file stays in the plugins directory, unloaded. */
    DISABLED
}
