package dev.shepherd.api.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The plugin's own settings, from the {@code plugins.config.<pluginId>} section of {@code conf/shepherd.yaml}.
 * Values are text; the typed getters parse them and name the key when a value is malformed.
 */
public interface PluginConfig {

    /**
     * All settings of this plugin.
     *
     * @return keys to values
     */
    Map<String, String> asMap();

    /**
     * One setting.
     *
     * @param key the key
     * @return its value, or empty when unset
     */
    default Optional<String> get(String key) {
        return Optional.ofNullable(asMap().get(key));
    }

    /**
     * One setting with a default.
     *
     * @param key the key
     * @param defaultValue used when unset
     * @return the value
     */
    default String get(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    /**
     * An integer setting.
     *
     * @param key the key
     * @param defaultValue used when unset
     * @return the value
     * @throws IllegalArgumentException naming the key when the value is not an integer
     */
    default int getInt(String key, int defaultValue) {
        return get(key).map(value -> {
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("plugin setting '" + key + "' is not an integer: " + value, e);
            }
        }).orElse(defaultValue);
    }

    /**
     * A boolean setting ({@code true} or {@code false}).
     *
     * @param key the key
     * @param defaultValue used when unset
     * @return the value
     * @throws IllegalArgumentException naming the key when the value is neither
     */
    default boolean getBoolean(String key, boolean defaultValue) {
        return get(key).map(value -> switch (value.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("plugin setting '" + key + "' is not true or false: " + value);
        }).orElse(defaultValue);
    }

    /**
     * A duration setting in ISO-8601 form, such as {@code PT30S}.
     *
     * @param key the key
     * @param defaultValue used when unset
     * @return the value
     * @throws IllegalArgumentException naming the key when the value is not a duration
     */
    default Duration getDuration(String key, Duration defaultValue) {
        return get(key).map(value -> {
            try {
                return Duration.parse(value.trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("plugin setting '" + key + "' is not an ISO-8601 duration: " + value, e);
            }
        }).orElse(defaultValue);
    }
}
