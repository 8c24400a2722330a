package dev.shepherd.examples.hello;

import dev.shepherd.api.config.PluginIdentity;
import jakarta.inject.Inject;
import org.pf4j.Plugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's lifecycle hook. Optional: a plugin without a {@code Plugin-Class} is just its extensions.
 * Like extensions, it is created by the kernel and may inject kernel services.
 */
public final class HelloPlugin extends Plugin {

    private static final Logger log = LoggerFactory.getLogger(HelloPlugin.class);
    private final PluginIdentity identity;

    @Inject
    public HelloPlugin(PluginIdentity identity) {
        this.identity = identity;
    }

    @Override
    public void start() {
        log.info("Hello plugin {} started; try GET {}/hello", identity.version(), identity.devicePath());
    }

    @Override
    public void stop() {
        log.info("Hello plugin {} stopped", identity.version());
    }
}
