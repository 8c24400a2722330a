package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/** Google's words in an error answer, for the messages of {@link GoogleException}s. */
final class GoogleErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoogleErrors() {
    }

    /**
     * Google's APIs answer {@code {"error": {"code", "message", "status"}}}; its OAuth endpoint
     * {@code {"error", "error_description"}}. The assertion and tokens are never echoed in either.
     *
     * @param body the answer's body
     * @return {@code ": "} and Google's status and message, or nothing when the body holds neither
     */
    static String detail(byte[] body) {
        JsonNode node;
        try {
            node = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            return "";
        }
        if (node == null) {
            return "";
        }
        JsonNode error = node.path("error");
        if (error.isObject()) {
            String status = error.path("status").asText("");
            return ": " + (status.isEmpty() ? "" : status + " ") + error.path("message").asText("");
        }
        if (error.isTextual()) {
            return ": " + error.asText() + (node.hasNonNull("error_description") ? " " + node.get("error_description").asText() : "");
        }
        return "";
    }
}
