package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * The plugin's JSON reader and writer. Request bodies are bounded by the endpoint's body limit before they get here;
 * the reader bounds nesting at {@link #MAX_DEPTH} levels (a SCIM resource needs four) and strings at
 * {@link #MAX_STRING} characters, so no body can make it recurse or allocate without limit.
 */
final class ScimJson {

    static final int MAX_DEPTH = 16;
    static final int MAX_STRING = 64 * 1024;

    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_STRING).build())
            .build());

    private ScimJson() {
    }

    /**
     * @param body a request body
     * @return its JSON
     * @throws ScimException {@code invalidSyntax} when it is not JSON within the bounds
     */
    static JsonNode read(byte[] body) {
        if (body.length == 0) {
            throw ScimException.invalidSyntax("The request has no body; it needs a JSON object.");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ScimException.invalidSyntax("The request has no JSON body.");
            }
            return node;
        } catch (IOException e) {
            throw ScimException.invalidSyntax("The body is not JSON within this service's bounds (nesting at most " + MAX_DEPTH
                    + " levels, strings at most " + MAX_STRING + " characters).");
        }
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON of the plugin's own values could not be written", e);
        }
    }
}
