package dev.shepherd.plugin;

/** What an operator sees of a plugin. */
public enum PluginState {
    /** Loaded and started; its extensions are live. */
    STARTED,
    /** Refused at load, failed to start, or failed or hung in a call; see the reason. */
    FAILED,
    /** Switched off by an operator; its file stays in the plugins directory, unloaded. */
    DISABLED
}
