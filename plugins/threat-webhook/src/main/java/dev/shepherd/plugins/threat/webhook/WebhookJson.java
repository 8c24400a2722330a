package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Optional;

/**
 * The plugin's JSON reader and writer. Bodies are bounded by the endpoints' body limits before they get here; the
 * reader also bounds nesting at {@link #MAX_DEPTH} levels and strings at {@link #MAX_STRING} characters, so no body
 * can make it recurse or allocate without limit.
 */
final class WebhookJson {

    static final int MAX_DEPTH = 32;
    static final int MAX_STRING = 64 * 1024;

    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_STRING).build())
            .build());

    private WebhookJson() {
    }

    /**
     * @param body a body
     * @return its JSON, or empty when it is not JSON within the bounds
     */
    static Optional<JsonNode> read(byte[] body) {
        if (body.length == 0) {
            return Optional.empty();
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String bounds() {
        return "JSON nested at most " + MAX_DEPTH + " levels, with strings of at most " + MAX_STRING + " characters";
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON of the plugin's own values could not be written", e);
        }
    }
}
