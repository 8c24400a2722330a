package dev.shepherd.google;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.DeviceResponse;

import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** JSON answers of a plugin's endpoints: bodies, and RFC 9457 problems for everything refused. */
public final class JsonResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonResponses() {
    }

    /**
     * @param status the HTTP status
     * @param body what Jackson writes as the body
     * @return an {@code application/json} response
     */
    public static DeviceResponse json(int status, Object body) {
        return write(status, "application/json", requireNonNull(body, "body is null"));
    }

    /**
     * @param status the HTTP status
     * @param title the problem's short, general title
     * @param detail what went wrong this time, for admins
     * @return an {@code application/problem+json} response
     */
    public static DeviceResponse problem(int status, String title, String detail) {
        return problem(status, title, detail, Map.of());
    }

    /**
     * @param status the HTTP status
     * @param title the problem's short, general title
     * @param detail what went wrong this time, for admins
     * @param extensions further members, after the standard ones (such as Google's own status)
     * @return an {@code application/problem+json} response
     */
    public static DeviceResponse problem(int status, String title, String detail, Map<String, ?> extensions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("status", status);
        body.put("title", requireNonNull(title, "title is null"));
        body.put("detail", requireNonNull(detail, "detail is null"));
        body.putAll(requireNonNull(extensions, "extensions is null"));
        return write(status, "application/problem+json", body);
    }

    private static DeviceResponse write(int status, String contentType, Object body) {
        try {
            return DeviceResponse.of(status, contentType, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
