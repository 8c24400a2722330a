package dev.shepherd.plugins.identity.ldap;

import dev.shepherd.api.config.PluginConfig;

import java.util.Map;

/** Plugin settings as {@code plugins.config.identity-ldap} would give them. */
final class TestConfig {

    private TestConfig() {
    }

    static PluginConfig of(Map<String, String> settings) {
        Map<String, String> copy = Map.copyOf(settings);
        return () -> copy;
    }
}
