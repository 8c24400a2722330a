package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.DeviceResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** JSON answers and RFC 9457 problems of the plugin's admin endpoints. */
final class Responses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {
    }

    static DeviceResponse json(int status, Object body) {
        return write(status, "application/json", body);
    }

    static DeviceResponse problem(int status, String title, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("status", status);
        body.put("title", title);
        body.put("detail", detail);
        return write(status, "application/problem+json", body);
    }

    /** Google refused or failed: a 502, since the fault is upstream, with Google's words and status. */
    static DeviceResponse google(GoogleApiException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("status", 502);
        body.put("title", e.status() == 403 ? "Google refused the request" : "Google did not complete the request");
        body.put("detail", e.getMessage());
        body.put("googleStatus", e.status());
        return write(502, "application/problem+json", body);
    }

    static DeviceResponse methodNotAllowed(String allowed) {
        return problem(405, "Method not allowed", "Use " + allowed + ".").withHeader("Allow", allowed);
    }

    private static DeviceResponse write(int status, String contentType, Object body) {
        try {
            return DeviceResponse.of(status, contentType, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
