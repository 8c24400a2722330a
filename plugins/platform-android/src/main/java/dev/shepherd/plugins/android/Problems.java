package dev.shepherd.plugins.android;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.DeviceResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** JSON answers of the plugin's endpoints: bodies, and RFC 9457 problems for everything refused. */
final class Problems {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Problems() {
    }

    static DeviceResponse json(int status, Object body) {
        try {
            return DeviceResponse.of(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static DeviceResponse problem(int status, String title, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("status", status);
        body.put("title", title);
        body.put("detail", detail);
        try {
            return DeviceResponse.of(status, "application/problem+json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Google's refusal as the admin sees it: 502 when Google failed or refused Shepherd, 409 when setup is missing. */
    static DeviceResponse google(GoogleException e) {
        if (e.status() == 0 && !e.retriable()) {
            return problem(409, "Not set up", e.getMessage());
        }
        return problem(502, e.retriable() ? "Google unavailable" : "Google refused", e.getMessage());
    }
}
