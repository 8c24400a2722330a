package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Calls Google's JSON APIs as the service account, and counts how the calls went for admins.
 *
 * <p>Every request carries an access token from {@link AccessTokens}. A 401 means Google no longer accepts the token,
 * so another is fetched and the request repeated once (not counted as a try). Throttling (429), Google's own trouble
 * (5xx) and network errors are tried again as the call's {@link RetryPolicy} allows, waiting out {@code Retry-After}
 * or backing off exponentially. A 5xx may come from a request Google acted upon, so only calls that are safe to repeat
 * in effect (a patch, a delete, a device command such as a reboot) should be given a policy with more than one try.
 * Anything else is Google's refusal. What does not succeed ends as a {@link GoogleException} in Google's own words,
 * which is also kept as the last error.
 */
public final class GoogleClient {

    private static final Logger log = LoggerFactory.getLogger(GoogleClient.class);

    /**
     * How the calls have gone since the client was made (the plugin started).
     *
     * @param calls calls made, each counted once however often it was tried
     * @param retried tries repeated after throttling, Google's trouble or a network error
     * @param tokensFetched access tokens fetched
     * @param failed calls that ended in a {@link GoogleException}
     * @param lastError the last such exception's message
     * @param lastErrorAt when it was raised
     */
    public record Statistics(long calls, long retried, long tokensFetched, long failed, Optional<String> lastError,
                             Optional<Instant> lastErrorAt) {
        /** Validates every part. */
        public Statistics {
            requireNonNull(lastError, "lastError is null");
            requireNonNull(lastErrorAt, "lastErrorAt is null");
        }
    }

    /** The last error and its time, replaced together so that readers never see one without the other. */
    private record LastError(String message, Instant at) {
    }

    private final AccessTokens tokens;
    private final HttpClient http;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile LastError lastError;

    /**
     * @param tokens where the access tokens come from
     * @param http the client to reach Google with, usually {@link #newHttpClient()} shared with {@code tokens}
     * @param clock the time, for {@code Retry-After} dates and the last error
     */
    public GoogleClient(AccessTokens tokens, HttpClient http, Clock clock) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * A client calling Google as a service account, on the system clock, with one HTTP client shared by the calls and
     * the token requests.
     *
     * @param keys the plugin's service-account keys
     * @param grant the scopes (and subject, token URL) the access tokens are asked for
     * @return the client
     */
    public static GoogleClient asServiceAccount(ServiceAccountKeys keys, AccessTokens.Grant grant) {
        HttpClient http = newHttpClient();
        return new GoogleClient(new AccessTokens(keys, grant, http, Clock.systemUTC()), http, Clock.systemUTC());
    }

    /**
     * An HTTP client for Google: a short connect timeout, and no redirects, which would carry the access token to
     * wherever they point.
     *
     * @return the client
     */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Calls Google.
     *
     * @param method the HTTP method
     * @param uri the full URL
     * @param body the JSON body, if any
     * @param policy how hard to try
     * @return Google's JSON answer; an empty object when it had no body
     * @throws GoogleException when Google refused, kept failing through every try, or no key is uploaded;
     *         {@link GoogleException#retriable()} tells whether the work may succeed later
     * @throws InterruptedException when the thread is interrupted (the plugin is stopping)
     */
    public JsonNode call(String method, URI uri, Optional<JsonNode> body, RetryPolicy policy) throws GoogleException, InterruptedException {
        requireNonNull(method, "method is null");
        requireNonNull(uri, "uri is null");
        requireNonNull(body, "body is null");
        requireNonNull(policy, "policy is null");
        calls.incrementAndGet();
        String what = method + " " + uri.getPath();
        Optional<byte[]> payload = body.map(this::serialize);
        boolean renewed = false;
        for (int attempt = 1; ; attempt++) {
            GoogleException failure;
            Optional<Duration> retryAfter = Optional.empty();
            try {
                String token = tokens.token(policy.timeout());
                HttpResponse<byte[]> response = http.send(request(method, uri, payload, token, policy.timeout()), HttpResponse.BodyHandlers.ofByteArray());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return answer(what, status, response.body());
                }
                String refusal = what + ": Google answered " + status + GoogleErrors.detail(response.body());
                if (status == 401 && !renewed) {
                    log.info("Google no longer accepts the access token; fetching a new one");
                    tokens.rejected(token);
                    renewed = true;
                    attempt--; // a renewal is not a retry
                    continue;
                }
                if (status != 429 && status < 500) {
                    // Recorded as failed by the catch below, which every refusal passes through (the token's too).
                    throw new GoogleException(status, refusal, false, GoogleErrors.fieldViolations(response.body()));
                }
                failure = new GoogleException(status, refusal, true);
                retryAfter = retryAfter(response);
            } catch (GoogleException e) {
                if (!e.retriable()) {
                    throw failed(e);
                }
                failure = e;
            } catch (IOException e) {
                failure = new GoogleException(0, what + ": Google could not be reached: " + e.getMessage(), true);
            }
            if (attempt >= policy.maxAttempts()) {
                throw failed(retryAfter.isPresent() ? new GoogleException(failure.status(), failure.getMessage(), retryAfter) : failure);
            }
            if (retryAfter.isPresent() && retryAfter.get().compareTo(policy.maxRetryAfter()) > 0) {
                throw failed(new GoogleException(failure.status(), failure.getMessage() + " (Retry-After " + retryAfter.get().toSeconds()
                        + " s is longer than maxRetryAfter; tried again later)", retryAfter));
            }
            Duration wait = retryAfter.isPresent() ? retryAfter.get() : policy.backoff(attempt);
            log.info("{}; trying again in {} ms", failure.getMessage(), wait.toMillis());
            retried.incrementAndGet();
            Thread.sleep(wait.toMillis());
        }
    }

    /** @return how the calls have gone so far */
    public Statistics statistics() {
        LastError last = lastError;
        return new Statistics(calls.get(), retried.get(), tokens.fetched(), failed.get(),
                Optional.ofNullable(last).map(LastError::message), Optional.ofNullable(last).map(LastError::at));
    }

    private HttpRequest request(String method, URI uri, Optional<byte[]> payload, String token, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (payload.isPresent()) {
            request.header("Content-Type", "application/json; charset=utf-8")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(payload.get()));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return request.build();
    }

    private byte[] serialize(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /** A success whose body is not JSON is Google's trouble, not an answer to act on: tried again like a 5xx. */
    private JsonNode answer(String what, int status, byte[] body) throws GoogleException {
        JsonNode node;
        try {
            node = body == null || body.length == 0 ? null : json.readTree(body);
        } catch (IOException e) {
            throw new GoogleException(status, what + ": Google answered " + status + " with a body that is not JSON", true);
        }
        return node == null || node.isMissingNode() ? json.createObjectNode() : node;
    }

    /** {@code Retry-After} is either seconds or an HTTP date. */
    private Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").map(String::trim).flatMap(value -> {
            try {
                return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
            } catch (NumberFormatException notSeconds) {
                try {
                    Duration left = Duration.between(clock.instant(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                    return Optional.of(left.isNegative() ? Duration.ZERO : left);
                } catch (DateTimeParseException notADate) {
                    return Optional.empty();
                }
            }
        });
    }

    private GoogleException failed(GoogleException e) {
        failed.incrementAndGet();
        lastError = new LastError(e.getMessage(), clock.instant());
        log.warn("Google: {}", e.getMessage());
        return e;
    }
}
