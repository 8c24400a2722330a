package dev.shepherd.http;

import com.fasterxml.jackson.annotation.JsonInclude;

import static java.util.Objects.requireNonNull;

/**
 * An RFC 9457 problem detail, the body of every error response.
 *
 * @param type a URI naming the kind of problem
 * @param title a short summary of the kind
 * @param status the HTTP status
 * @param detail what went wrong this time, in words an admin can act on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, java.util.List<String> errors) {

    public Problem(String type, String title, int status, String detail) {
        this(type, title, status, detail, null);
    }

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://shepherd.dev/problems/";

    public Problem {
        requireNonNull(type, "type is null");
        requireNonNull(title, "title is null");
        errors = errors == null ? null : java.util.List.copyOf(errors);
    }

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(TYPE_BASE + slug, title, status, detail);
    }

    public static Problem notFound(String detail) {
        return of(404, "not-found", "Not found", detail);
    }

    public static Problem badRequest(String detail) {
        return of(400, "bad-request", "Bad request", detail);
    }

    public static Problem conflict(String detail) {
        return of(409, "conflict", "Conflict", detail);
    }

    public static Problem forbidden(String detail) {
        return of(403, "forbidden", "Forbidden", detail);
    }

    public static Problem unauthorized() {
        return of(401, "unauthorized", "Authentication required", "Sign in with an admin account.");
    }

    public static Problem methodNotAllowed(String method) {
        return of(405, "method-not-allowed", "Method not allowed", method + " is not supported here.");
    }
}
