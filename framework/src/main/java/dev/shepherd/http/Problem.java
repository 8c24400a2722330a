package dev.shepherd.http;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
public record Problem(String type, String title, int status, String detail, List<String> errors) {

    public Problem(String type, String title, int status, String detail) {
        this(type, title, status, detail, null);
    }

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://shepherd.dev/problems/";

    public Problem {
        requireNonNull(type, "type is null");
        requireNonNull(title, "title is null");
        detail = detail == null ? null : withoutJavaNames(detail);
        errors = errors == null ? null : List.copyOf(errors);
    }

    /** {@code No enum constant dev.shepherd.api.command.CommandType.BOGUS}, as {@code Enum.valueOf} puts it. */
    private static final Pattern ENUM_CONSTANT = Pattern.compile("No enum constant (?:[\\w$]+\\.)+([\\w$]+)");
    /** A package-qualified Java type name, such as {@code java.lang.String} or {@code dev.shepherd.rest.X$Y}, with any back-quotes. */
    private static final Pattern QUALIFIED_NAME = Pattern.compile("`?\\b(?:[a-z][a-z0-9_]*\\.)+([A-Z][\\w]*)(?:\\$([\\w$]+))?`?");

    /**
     * Takes Java's names out of a detail: messages of libraries and the JDK carry them ("Cannot deserialize value of
     * type `java.lang.Integer`"), and they tell a caller about the server's internals rather than about the request.
     */
    static String withoutJavaNames(String detail) {
        String text = ENUM_CONSTANT.matcher(detail).replaceAll("'$1' is not a known value");
        return QUALIFIED_NAME.matcher(text).replaceAll(match -> Matcher.quoteReplacement(friendly(
                match.group(2) != null ? match.group(2).replaceAll(".*\\$", "") : match.group(1))));
    }

    private static String friendly(String simpleName) {
        return switch (simpleName) {
            case "String", "Character", "UUID" -> "text";
            case "Integer", "Long", "Short", "Byte", "BigInteger" -> "a whole number";
            case "Double", "Float", "BigDecimal", "Number" -> "a number";
            case "Boolean" -> "true or false";
            case "List", "Set", "Collection", "ArrayList", "Deque" -> "a list";
            case "Map", "LinkedHashMap", "HashMap", "ObjectNode", "JsonNode" -> "an object";
            case "Instant", "OffsetDateTime", "ZonedDateTime" -> "an ISO-8601 instant";
            case "Duration" -> "an ISO-8601 duration";
            default -> "a valid value";
        };
    }

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(TYPE_BASE + slug, title, status, detail);
    }

    /**
     * A refusal of one field of the request's body: the detail says it, and {@code errors} holds it as
     * {@code "<pointer>: <message>"} (a JSON Pointer into the body), so a form shows it at the field it names.
     *
     * @param pointer the field's JSON Pointer, such as {@code /password}
     * @param message what is wrong with it, without the field's name (the form puts its own label before it)
     */
    public static Problem invalidField(String pointer, String message) {
        requireNonNull(pointer, "pointer is null");
        requireNonNull(message, "message is null");
        if (!pointer.startsWith("/")) {
            throw new IllegalArgumentException("a JSON Pointer starts with '/': " + pointer);
        }
        return new Problem(TYPE_BASE + "bad-request", "Bad request", 400, pointer.substring(1) + ": " + message,
                List.of(pointer + ": " + message));
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
