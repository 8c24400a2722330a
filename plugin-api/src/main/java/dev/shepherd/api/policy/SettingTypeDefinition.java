package dev.shepherd.api.policy;

import static java.util.Objects.requireNonNull;

/**
 * A setting type a plugin adds to the policy model.
 *
 * <p>The JSON Schema (draft 2020-12) describes the setting's value; the admin API validates against it and the
 * console builds its form from it ({@code title}, {@code description}, {@code default}, {@code enum} are used).
 * Two extra keywords say how policies combine: {@code "x-shepherd-merge": "highest-priority"} (the default: the
 * highest-priority policy's value wins) or {@code "fieldwise"}, where each property's own
 * {@code "x-shepherd-merge"} is {@code max}, {@code min}, {@code min-positive}, {@code or} or {@code and}; and
 * {@code "x-shepherd-key": "<property>"} makes the type repeatable, one setting per value of that property.
 *
 * @param name the type's name; must start with the plugin's id and a dot, such as {@code acme.kiosk}
 * @param jsonSchema the value's JSON Schema, as JSON text
 */
public record SettingTypeDefinition(String name, String jsonSchema) {

    /** Validates every part. */
    public SettingTypeDefinition {
        requireNonNull(name, "name is null");
        requireNonNull(jsonSchema, "jsonSchema is null");
    }
}
