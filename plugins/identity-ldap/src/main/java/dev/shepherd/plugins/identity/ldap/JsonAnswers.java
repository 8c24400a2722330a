package dev.shepherd.plugins.identity.ldap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.DeviceResponse;

/** JSON answers of the plugin's admin endpoints. */
final class JsonAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonAnswers() {
    }

    static DeviceResponse json(int status, Object body) {
        try {
            return DeviceResponse.of(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of plain values did not turn into JSON", e);
        }
    }

    static DeviceResponse methodNotAllowed(String allowed) {
        return DeviceResponse.problem(405, "Method not allowed", "Use " + allowed + ".").withHeader("Allow", allowed);
    }

    static ObjectMapper mapper() {
        return JSON;
    }
}
