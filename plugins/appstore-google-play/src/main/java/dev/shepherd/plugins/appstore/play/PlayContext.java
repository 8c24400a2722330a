package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.config.PluginConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import static java.util.Objects.requireNonNull;

/** The plugin's checked settings, read once per generation and shared by its parts. */
@Singleton
public final class PlayContext {

    private final PlaySettings settings;

    @Inject
    public PlayContext(PluginConfig config) {
        this.settings = PlaySettings.from(requireNonNull(config, "config is null"));
    }

    /** @return the plugin's settings */
    public PlaySettings settings() {
        return settings;
    }
}
