package dev.shepherd.api.policy;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One platform-independent setting of a policy, such as a passcode rule or a Wi-Fi network.
 *
 * @param type the setting type, such as {@code passcode} or {@code wifi}; each type has a JSON Schema
 * @param key distinguishes several settings of one type (two Wi-Fi networks); the type itself when unique
 * @param value the setting's values as JSON-like values, valid against the type's schema
 */
public record Setting(String type, String key, Map<String, Object> value) {

    /** Validates and copies every part. */
    public Setting {
        requireNonNull(type, "type is null");
        requireNonNull(key, "key is null");
        value = Map.copyOf(requireNonNull(value, "value is null"));
    }
}
