package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.http.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** Shared helpers of the admin API's resources. */
final class Pages {

    private Pages() {
    }

    /** An optional JSON value that JSON {@code null}, or leaving the field out, both leave absent. */
    static Optional<JsonNode> present(Optional<JsonNode> value) {
        return value == null ? Optional.empty() : value.filter(node -> !node.isNull() && !node.isMissingNode());
    }

    /** Cursors over text keys (usernames, ids): the last key, base64url so it is opaque. */
    static String encode(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static Optional<String> decode(Optional<String> cursor) {
        return cursor.map(text -> {
            try {
                return new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("the cursor is not valid");
            }
        });
    }
}
