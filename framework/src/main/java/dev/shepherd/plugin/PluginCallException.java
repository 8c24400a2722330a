package dev.shepherd.plugin;

/** A call into a plugin threw, hung or could not be scheduled; the plugin has been marked failed unless rejected. */
public final class PluginCallException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean overloaded;

    PluginCallException(String message, Throwable cause, boolean overloaded) {
        super(message, cause);
        this.overloaded = overloaded;
    }

    /** @return true when the call was refused because the plugin was busy or stopping, not because it failed */
    public boolean overloaded() {
        return overloaded;
    }
}
