package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A kind of policy setting with the JSON Schema its values follow and how policies combine it.
 *
 * @param name the type's name, such as {@code passcode}
 * @param schema the JSON Schema, as published to the API and the console
 * @param validator the compiled schema
 * @param keyProperty the property that tells several settings of the type apart, for repeatable types
 * @param fieldwise whether conflicting policies combine field by field rather than by priority
 * @param source {@code kernel} or the contributing plugin's id
 */
public record SettingType(String name, JsonNode schema, Schema validator, Optional<String> keyProperty, boolean fieldwise,
                          String source) {
    public SettingType {
        requireNonNull(name, "name is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(validator, "validator is null");
        requireNonNull(keyProperty, "keyProperty is null");
        requireNonNull(source, "source is null");
    }

    public String title() {
        return schema.path("title").asText(name);
    }

    /** How one property combines when several policies set it: max, min, min-positive, or, and. */
    public Optional<String> mergeOf(String property) {
        JsonNode merge = schema.path("properties").path(property).path("x-shepherd-merge");
        return merge.isTextual() ? Optional.of(merge.asText()) : Optional.empty();
    }
}
