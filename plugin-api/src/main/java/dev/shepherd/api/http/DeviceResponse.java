package dev.shepherd.api.http;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a device-facing endpoint answers.
 *
 * @param status HTTP status code, 100 to 599
 * @param headers response headers; {@code Content-Type} belongs here
 * @param body the response body, possibly empty; empty when the body is {@link #fileBody()}
 * @param fileBody a region of a file the kernel sends as the body, streamed and never read whole into memory
 *        ({@link #ofFile}); empty for a body in memory (since 0.9.0)
 */
public record DeviceResponse(int status, Map<String, String> headers, byte[] body, Optional<FileBody> fileBody) {

    /** Validates and copies every part; a response with a file body has an empty {@code body}. */
    public DeviceResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status out of range: " + status);
        }
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
        body = requireNonNull(body, "body is null").clone();
        requireNonNull(fileBody, "fileBody is null");
        if (fileBody.isPresent() && body.length > 0) {
            throw new IllegalArgumentException("a response with a file body has an empty body");
        }
    }

    /**
     * A response with its body in memory, as every response was before 0.9.0.
     *
     * @param status HTTP status code, 100 to 599
     * @param headers response headers
     * @param body the response body, possibly empty
     */
    public DeviceResponse(int status, Map<String, String> headers, byte[] body) {
        this(status, headers, body, Optional.empty());
    }

    /**
     * A region of a file sent as a response body. The kernel opens the file when it sends the response, after
     * {@code handle} returned, and sends exactly {@code length} bytes from {@code offset} with a matching
     * {@code Content-Length}; a file that is by then missing or shorter fails the request (a 500 when nothing was sent
     * yet, else a cut-off connection), so keep files in place while they may be served (replace them by moving a new
     * file over them, which leaves readers of the old one unharmed).
     *
     * @param file the file, readable by the server's process
     * @param offset the first byte sent, from 0
     * @param length how many bytes are sent, from 0
     * @since 0.9.0
     */
    public record FileBody(Path file, long offset, long length) {
        /** Validates every part. */
        public FileBody {
            requireNonNull(file, "file is null");
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("offset and length must not be negative");
            }
        }
    }

    /**
     * A response whose body is a region of a file, streamed by the kernel from the file rather than held in memory:
     * for downloads of large files, from device endpoints and admin endpoints alike. The whole file is
     * {@code ofFile(status, type, file, 0, Files.size(file))}; a {@code Range} answer (206) adds its
     * {@code Content-Range} header with {@link #withHeader}. The kernel sets {@code Content-Length}; a {@code HEAD}
     * request gets the headers without the body.
     *
     * @param status HTTP status code
     * @param contentType value of the {@code Content-Type} header
     * @param file the file
     * @param offset the first byte sent
     * @param length how many bytes are sent
     * @return the response
     * @since 0.9.0
     */
    public static DeviceResponse ofFile(int status, String contentType, Path file, long offset, long length) {
        return new DeviceResponse(status, Map.of("Content-Type", requireNonNull(contentType, "contentType is null")), new byte[0],
                Optional.of(new FileBody(file, offset, length)));
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
        return new DeviceResponse(status, merged, body, fileBody);
    }

    /**
     * The body, copied; empty for a response whose body is {@link #fileBody()}.
     *
     * @return the response body
     */
    @Override
    public byte[] body() {
        return body.clone();
    }
}
