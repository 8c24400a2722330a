package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Jackson bounded as the plugin guide asks (64 levels, strings of at most 1 MiB) and small readers for Lookout's
 * fields. Lookout's identifiers go into URLs, storage keys and cursors, so they are checked against
 * {@link #IDENTIFIER} before use.
 */
final class LookoutJson {

    /** Lookout's GUIDs, OIDs and event ids: UUIDs and opaque tokens; anything else is refused. */
    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(1024 * 1024).build())
            .build()).build();

    private LookoutJson() {
    }

    static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the text at a path of field names, when it is a non-blank string or number */
    static Optional<String> text(JsonNode node, String... path) {
        JsonNode at = node;
        for (String name : path) {
            at = at.path(name);
        }
        return at.isTextual() || at.isNumber() ? Optional.of(at.asText().strip()).filter(value -> !value.isEmpty()) : Optional.empty();
    }

    /** @return the identifier at a path, when present and well-formed */
    static Optional<String> identifier(JsonNode node, String... path) {
        return text(node, path).filter(value -> IDENTIFIER.matcher(value).matches());
    }

    /** @return the ISO-8601 instant at a path (with an offset, as Lookout writes them), when present and valid */
    static Optional<Instant> instant(JsonNode node, String... path) {
        return text(node, path).flatMap(value -> {
            try {
                return Optional.of(OffsetDateTime.parse(value).toInstant());
            } catch (DateTimeParseException e) {
                try {
                    return Optional.of(Instant.parse(value));
                } catch (DateTimeParseException again) {
                    return Optional.empty();
                }
            }
        });
    }
}
