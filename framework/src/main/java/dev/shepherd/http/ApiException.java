package dev.shepherd.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/** Ends an admin API request with a problem response; the message is the problem's detail. */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Problem problem;

    public ApiException(Problem problem) {
        super(requireNonNull(problem, "problem is null").detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    /**
     * A sign-in refused for too many failures (429), telling the client with {@code Retry-After} when to try again.
     *
     * @param retryAfter how long the lock lasts
     */
    public static ApiException signInLocked(HttpServerExchange exchange, Duration retryAfter) {
        exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
        return new ApiException(Problem.of(429, "locked", "Too many failed sign-ins",
                "Sign-in is locked for " + Math.max(1, retryAfter.toMinutes()) + " minute(s)."));
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }

    /** A 400 about one field of the body, which forms show at that field: see {@link Problem#invalidField}. */
    public static ApiException invalidField(String pointer, String message) {
        return new ApiException(Problem.invalidField(pointer, message));
    }

    public static ApiException notFound(String detail) {
        return new ApiException(Problem.notFound(detail));
    }

    public static ApiException conflict(String detail) {
        return new ApiException(Problem.conflict(detail));
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(Problem.forbidden(detail));
    }
}
