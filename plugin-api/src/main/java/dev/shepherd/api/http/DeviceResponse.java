package dev.shepherd.api.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What a device-facing endpoint answers.
 *
 * @param status HTTP status code, 100 to 599
 * @param headers response headers; {@code Content-Type} belongs here
 * @param body the response body, possibly empty
 */
public record DeviceResponse(int status, Map<String, String> headers, byte[] body) {

    /** Validates and copies every part. */
    public DeviceResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status out of range: " + status);
        }
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
        body = requireNonNull(body, "body is null").clone();
    }

    /**
     * A response with a body of the given content type.
     *
     * @param status HTTP status code
     * @param contentType value of the {@code Content-Type} header
     * @param body the body
     * @return the response
     */
    public static DeviceResponse of(int status, String contentType, byte[] body) {
        return new DeviceResponse(status, Map.of("Content-Type", contentType), body);
    }

    /**
     * A plain-text UTF-8 response.
     *
     * @param status HTTP status code
     * @param text the body text
     * @return the response
     */
    public static DeviceResponse text(int status, String text) {
        return of(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An RFC 9457 problem ({@code application/problem+json}), the shape of every error the kernel answers, for a
     * request refused for what it carries (a body past a parser's bounds, malformed, or not the protocol's).
     *
     * @param status HTTP status code, usually 4xx
     * @param title a short summary of the kind of problem
     * @param detail what was wrong with this request, in words fit for its sender; no stack traces or class names
     * @return the response
     * @since 0.4.0
     */
    public static DeviceResponse problem(int status, String title, String detail) {
        String json = "{\"type\":\"about:blank\",\"title\":" + quoted(requireNonNull(title, "title is null")) + ",\"status\":" + status
                + ",\"detail\":" + quoted(requireNonNull(detail, "detail is null")) + "}";
        return of(status, "application/problem+json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * A response without a body.
     *
     * @param status HTTP status code
     * @return the response
     */
    public static DeviceResponse empty(int status) {
        return new DeviceResponse(status, Map.of(), new byte[0]);
    }

    /**
     * This response with one more header.
     *
     * @param name header name
     * @param value header value
     * @return a new response
     */
    public DeviceResponse withHeader(String name, String value) {
        Map<String, String> merged = new LinkedHashMap<>(headers);
        merged.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
        return new DeviceResponse(status, merged, body);
    }

    /**
     * The body, copied.
     *
     * @return the response body
     */
    @Override
    public byte[] body() {
        return body.clone();
    }
}
