package dev.shepherd.plugins.windows.push;

import dev.shepherd.api.config.PluginConfig;

import java.util.Map;

/** Plugin settings from a map, as the kernel reads them from {@code plugins.config.<pluginId>}. */
record MapPluginConfig(Map<String, String> asMap) implements PluginConfig {

    MapPluginConfig {
        asMap = Map.copyOf(asMap);
    }
}
