package dev.shepherd.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An admin API answer: status, JSON body (absent for 204) and extra headers.
 *
 * @param status HTTP status
 * @param body the body, serialised as JSON
 * @param headers extra headers, such as {@code ETag} or {@code Location}
 */
public record ApiResponse(int status, Optional<Object> body, Map<String, String> headers) {

    public ApiResponse {
        requireNonNull(body, "body is null");
        headers = Map.copyOf(headers);
    }

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, Optional.of(body), Map.of());
    }

    public static ApiResponse created(Object body) {
        return new ApiResponse(201, Optional.of(body), Map.of());
    }

    public static ApiResponse noContent() {
        return new ApiResponse(204, Optional.empty(), Map.of());
    }

    public ApiResponse withHeader(String name, String value) {
        Map<String, String> merged = new LinkedHashMap<>(headers);
        merged.put(name, value);
        return new ApiResponse(status, body, merged);
    }
}
