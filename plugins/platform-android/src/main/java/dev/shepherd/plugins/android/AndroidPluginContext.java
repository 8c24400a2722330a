package dev.shepherd.plugins.android;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import static java.util.Objects.requireNonNull;

/**
 * What the plugin's parts share for one generation: its checked settings and its id. How the calls to Google have
 * gone is kept by {@link Amapi}, which makes them.
 */
@Singleton
public final class AndroidPluginContext {

    private final AndroidSettings settings;
    private final String pluginId;

    @Inject
    public AndroidPluginContext(PluginConfig config, PluginIdentity identity) {
        this.settings = AndroidSettings.from(requireNonNull(config, "config is null"));
        this.pluginId = requireNonNull(identity, "identity is null").id();
    }

    /** @return the plugin's settings */
    public AndroidSettings settings() {
        return settings;
    }

    /** @return the plugin's id, for thread names and log context */
    public String pluginId() {
        return pluginId;
    }
}
