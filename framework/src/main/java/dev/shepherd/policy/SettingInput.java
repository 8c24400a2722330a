package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A setting as an admin writes it: its type and its value; the key is derived from the type.
 *
 * @param type the setting type's name
 * @param value the value, to be validated against the type's schema
 */
public record SettingInput(String type, JsonNode value) {
    public SettingInput {
        requireNonNull(type, "type is null");
        requireNonNull(value, "value is null");
    }
}
