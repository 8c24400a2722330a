package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * The fields Google's refusal names: the {@code fieldViolations} of each {@code google.rpc.BadRequest} among the
     * error's {@code details}.
     *
     * @param body the answer's body
     * @return the violations, empty when there are none or the body is not Google's error
     */
    static List<GoogleException.FieldViolation> fieldViolations(byte[] body) {
        JsonNode node;
        try {
            node = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            return List.of();
        }
        List<GoogleException.FieldViolation> violations = new ArrayList<>();
        if (node != null) {
            for (JsonNode detail : node.path("error").path("details")) {
                if (detail.path("@type").asText("").endsWith("google.rpc.BadRequest")) {
                    for (JsonNode violation : detail.path("fieldViolations")) {
                        violations.add(new GoogleException.FieldViolation(violation.path("field").asText(""),
                                violation.path("description").asText("")));
                    }
                }
            }
        }
        return violations;
    }
}
