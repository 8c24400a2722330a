package dev.shepherd.plugin;

import org.pf4j.PluginDescriptor;

import java.util.Optional;

/** A plugin file cannot be loaded; the message is the reason shown to operators. */
final class PluginLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    private transient PluginDescriptor descriptor;

    PluginLoadException(String message) {
        super(message);
    }

    PluginLoadException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Records which plugin the file claimed to be, when its descriptor could be read before the refusal. */
    PluginLoadException about(PluginDescriptor descriptor) {
        if (this.descriptor == null) {
            this.descriptor = descriptor;
        }
        return this;
    }

    Optional<PluginDescriptor> descriptor() {
        return Optional.ofNullable(descriptor);
    }
}
