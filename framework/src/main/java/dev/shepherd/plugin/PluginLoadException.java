package dev.shepherd.plugin;

/** A plugin file cannot be loaded; the message is the reason shown to operators. */
final class PluginLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    PluginLoadException(String message) {
        super(message);
    }

    PluginLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
