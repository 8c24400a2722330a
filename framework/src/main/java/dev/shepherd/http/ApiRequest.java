package dev.shepherd.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.shepherd.audit.Actor;
import dev.shepherd.json.Json;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.Principal;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/** One admin API request, with typed access to its parts; anything malformed becomes a 400 problem. */
public final class ApiRequest {

    private final HttpServerExchange exchange;
    private final Map<String, String> pathParameters;
    private final Principal principal;
    private final ObjectMapper json;
    private final long maxBodyBytes;

    ApiRequest(HttpServerExchange exchange, Map<String, String> pathParameters, Principal principal, ObjectMapper json, long maxBodyBytes) {
        this.exchange = requireNonNull(exchange, "exchange is null");
        this.pathParameters = Map.copyOf(pathParameters);
        this.principal = principal;
        this.json = requireNonNull(json, "json is null");
        this.maxBodyBytes = maxBodyBytes;
    }

    public HttpServerExchange exchange() {
        return exchange;
    }

    /** @return the caller; never null on routes that need a permission */
    public Principal principal() {
        if (principal == null) {
            throw new IllegalStateException("this route is public and has no principal");
        }
        return principal;
    }

    public Actor actor() {
        return principal().actor();
    }

    public String remote() {
        return AdminAuthenticator.remote(exchange);
    }

    /** The part of the path a trailing {@code /**} matched, {@code /} when nothing. */
    public String rest() {
        String value = pathParameters.get("rest");
        return value == null || value.isEmpty() ? "/" : value;
    }

    public String path(String name) {
        String value = pathParameters.get(name);
        if (value == null) {
            throw new IllegalArgumentException("the route has no path parameter " + name);
        }
        return value;
    }

    public Optional<String> query(String name) {
        Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() || values.peekFirst().isEmpty() ? Optional.empty() : Optional.of(values.peekFirst());
    }

    public int queryInt(String name, int defaultValue, int min, int max) {
        Optional<String> text = query(name);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.get());
            if (value < min || value > max) {
                throw ApiException.badRequest("query parameter '" + name + "' must be between " + min + " and " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter '" + name + "' must be an integer");
        }
    }

    public Optional<Instant> queryInstant(String name) {
        return query(name).map(text -> {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw ApiException.badRequest("query parameter '" + name + "' must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
            }
        });
    }

    public <E extends Enum<E>> Optional<E> queryEnum(String name, Class<E> type) {
        return query(name).map(text -> {
            try {
                return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("query parameter '" + name + "' must be one of "
                        + Arrays.stream(type.getEnumConstants()).map(value -> value.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", ")));
            }
        });
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    /** The version an {@code If-Match} header names ({@code "3"} or {@code W/"3"}), if any. */
    public OptionalLong ifMatch() {
        Optional<String> header = header("If-Match");
        if (header.isEmpty()) {
            return OptionalLong.empty();
        }
        String value = header.get().trim();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        value = value.replace("\"", "");
        try {
            return OptionalLong.of(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw new ApiException(Problem.of(412, "precondition-failed", "Precondition failed",
                    "If-Match must carry an ETag this server issued, such as \"3\""));
        }
    }

    /** The raw body, bounded by the given limit (which may exceed the JSON limit, for file uploads). */
    public byte[] bytes(long limit) {
        try {
            return HttpIo.readBounded(exchange, limit).orElseThrow(() -> tooLarge(limit));
        } catch (RequestTooBigException e) {
            // Past the server-wide http.maxRequestBytes, which bounds every body an endpoint does not take as a file.
            exchange.setPersistent(false);
            throw new ApiException(Problem.of(413, "payload-too-large", "Payload too large",
                    "The body is larger than this server accepts for this request."));
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read");
        }
    }

    /** The JSON body as a record; unknown fields, wrong types and missing bodies are refused with a clear 400. */
    public <T> T body(Class<T> type) {
        String mediaType = CrossSiteGuard.mediaType(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        if (!mediaType.equals("application/json") && !(mediaType.startsWith("application/") && mediaType.endsWith("+json"))) {
            throw new ApiException(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                    "This request takes a JSON body sent as Content-Type: application/json"
                            + (mediaType.isEmpty() ? "; none was given." : ", not " + mediaType + ".")));
        }
        byte[] bytes = bytes(maxBodyBytes);
        if (bytes.length == 0) {
            throw ApiException.badRequest("a JSON body is required");
        }
        return decode(json, bytes, type);
    }

    /**
     * Reads a JSON body as a record, as {@link #body(Class)} does once the bytes are read.
     *
     * @throws ApiException a 400 that says what is wrong, for any bytes that are not such a record: malformed JSON,
     *         unknown fields, wrong types, and bodies past the mapper's limits on nesting, string and number length
     */
    public static <T> T decode(ObjectMapper json, byte[] bytes, Class<T> type) {
        try {
            JsonNode tree = json.readTree(bytes);
            if (tree == null || tree.isMissingNode()) {
                throw ApiException.badRequest("a JSON body is required");
            }
            checkNames(tree, "");
            T value = json.treeToValue(tree, type);
            if (value == null) {
                throw ApiException.badRequest("a JSON object is required");
            }
            return value;
        } catch (StreamConstraintsException e) {
            throw ApiException.badRequest("the body is past the limits of a JSON body: " + Json.describe(e));
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown field '" + e.getPropertyName() + "'" + where(e));
        } catch (InvalidFormatException e) {
            Class<?> target = e.getTargetType();
            throw ApiException.badRequest((target != null && target.isEnum()
                    ? "'" + e.getValue() + "' is not one of " + Arrays.stream(target.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", "))
                    : "'" + e.getValue() + "' is not " + Problem.withoutJavaNames("`" + (target == null ? "x.Value" : target.getName()) + "`")) + where(e));
        } catch (MismatchedInputException e) {
            if (e.getCause() == null) {
                throw ApiException.badRequest("a value has the wrong type" + (e.getTargetType() == null ? ""
                        : ": expected " + Problem.withoutJavaNames("`" + e.getTargetType().getName() + "`")) + where(e));
            }
            throw mapping(e);
        } catch (JsonMappingException e) {
            throw mapping(e);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage().split("\n")[0]);
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read");
        }
    }

    /** The fields that name something (a device, group, policy, admin, token, webhook, rule...). */
    private static final Set<String> NAME_FIELDS = Set.of("name", "username", "displayName", "deviceName", "hostName");
    /** Control characters, and the bidirectional overrides that make a name read differently from what it is. */
    private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cc}\\u202A-\\u202E\\u2066-\\u2069]");

    /**
     * Refuses names with control characters anywhere in a body: names are shown in the console, in logs and in the
     * audit trail, where a newline or an escape sequence would forge lines or hide what a name really is.
     */
    private static void checkNames(JsonNode node, String path) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (NAME_FIELDS.contains(field.getKey()) && field.getValue().isTextual()
                        && UNPRINTABLE.matcher(field.getValue().asText()).find()) {
                    throw ApiException.badRequest(at + " must not contain control characters");
                }
                checkNames(field.getValue(), at);
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkNames(node.get(i), path + "[" + i + "]");
            }
        }
    }

    private static ApiException mapping(JsonMappingException e) {
        Throwable cause = e.getCause();
        if (cause instanceof StreamConstraintsException bound) {
            return ApiException.badRequest("the body is past the limits of a JSON body: " + Json.describe(bound) + where(e));
        }
        if (cause instanceof IllegalArgumentException || cause instanceof NullPointerException) {
            return ApiException.badRequest(cause.getMessage() == null ? "invalid request body" + where(e)
                    : cause.getMessage().replace(" is null", " is required") + where(e));
        }
        return ApiException.badRequest(e.getOriginalMessage().split("\n")[0] + where(e));
    }

    private static String where(JsonMappingException e) {
        String path = e.getPath().stream().map(reference -> reference.getFieldName() != null ? reference.getFieldName()
                : "[" + reference.getIndex() + "]").collect(Collectors.joining("."));
        return path.isEmpty() ? "" : " (at " + path.replace(".[", "[") + ")";
    }

    private static ApiException tooLarge(long bound) {
        return new ApiException(Problem.of(413, "payload-too-large", "Payload too large", "The body may be at most " + bound + " bytes."));
    }
}
