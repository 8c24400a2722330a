package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Calls Google's APIs as the uploaded service account, acting for the configured admin (domain-wide delegation).
 *
 * <p>Access tokens come from the OAuth 2.0 JWT-bearer grant: an assertion signed RS256 with the account's key, whose
 * {@code sub} is the admin and whose scopes are {@value #SCOPES}. A token is kept until a minute before it expires.
 * A 401 means Google no longer accepts it, so it is fetched again once and the call repeated. Throttling (429, waiting
 * out {@code Retry-After}), Google trouble (5xx) and network errors are retried with exponential backoff; what is
 * left fails with a {@link GoogleApiException} carrying Google's message. Tokens and the assertion are never logged.
 */
@Singleton
public final class GoogleApi {

    /** The scopes the service account's client id must be granted in the Admin console's domain-wide delegation. */
    public static final String SCOPES = "https://www.googleapis.com/auth/admin.directory.device.chromeos"
            + " https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
            + " https://www.googleapis.com/auth/chrome.management.policy";
    private static final Logger log = LoggerFactory.getLogger(GoogleApi.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TOKEN_MARGIN = Duration.ofMinutes(1);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    /** How calls have gone since the plugin started, for admins. */
    public record Statistics(long calls, long retried, long tokensFetched, long failed, Optional<String> lastError,
                             Optional<Instant> lastErrorAt) {
    }

    private record AccessToken(String value, Instant expiresAt, ServiceAccountKeys.ServiceAccount account) {
    }

    private final ServiceAccountKeys keys;
    private final ChromeOsSettings settings;
    private final Clock clock = Clock.systemUTC();
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Object tokenLock = new Object();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong tokensFetched = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile AccessToken token;
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> lastErrorAt = Optional.empty();

    @Inject
    public GoogleApi(ServiceAccountKeys keys, PluginConfig config) {
        this(keys, ChromeOsSettings.from(config));
    }

    GoogleApi(ServiceAccountKeys keys, ChromeOsSettings settings) {
        this.keys = requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** @return the settings calls are made with */
    public ChromeOsSettings settings() {
        return settings;
    }

    /** @return whether a key and an admin user are there to call Google with */
    public boolean connected() {
        return settings.adminUser().isPresent() && keys.current().isPresent();
    }

    /** @return the calls so far */
    public Statistics statistics() {
        return new Statistics(calls.get(), retried.get(), tokensFetched.get(), failed.get(), lastError, lastErrorAt);
    }

    /**
     * Calls Google.
     *
     * @param method HTTP method
     * @param uri the full URL
     * @param body the JSON body, or null for none
     * @return Google's JSON answer, an empty object when it had no body
     * @throws GoogleApiException when Google refused, or kept failing through every retry
     * @throws InterruptedException when the plugin is stopping
     */
    public JsonNode call(String method, URI uri, JsonNode body) throws GoogleApiException, InterruptedException {
        requireNonNull(method, "method is null");
        requireNonNull(uri, "uri is null");
        calls.incrementAndGet();
        boolean renewed = false;
        for (int attempt = 1; ; attempt++) {
            Optional<Duration> wait;
            GoogleApiException failure;
            try {
                AccessToken used = token();
                HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                        .header("Authorization", "Bearer " + used.value()).header("Accept", "application/json");
                if (body != null) {
                    request.header("Content-Type", "application/json")
                            .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
                } else {
                    request.method(method, HttpRequest.BodyPublishers.noBody());
                }
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return response.body().isBlank() ? json.createObjectNode() : json.readTree(response.body());
                }
                String what = method + " " + uri.getPath() + ": Google answered " + status + googleMessage(response.body());
                if (status == 401 && !renewed) {
                    log.info("Google no longer accepts the access token; fetching a new one");
                    invalidate(used);
                    renewed = true;
                    attempt--; // a renewal is not a retry
                    continue;
                }
                if (status == 429 || status / 100 == 5) {
                    failure = new GoogleApiException(status, what, true);
                    wait = retryAfter(response);
                } else {
                    // Recorded by the catch below, which every refusal passes through (those of token() too).
                    throw new GoogleApiException(status, what, false);
                }
            } catch (GoogleApiException e) {
                if (!e.isTransient()) {
                    throw failed(e);
                }
                failure = e;
                wait = Optional.empty();
            } catch (IOException e) {
                failure = new GoogleApiException(0, method + " " + uri.getPath() + ": Google could not be reached: " + e.getMessage(), true);
                wait = Optional.empty();
            }
            if (attempt >= settings.maxAttempts()) {
                throw failed(failure);
            }
            if (wait.isPresent() && wait.get().compareTo(settings.maxRetryAfter()) > 0) {
                throw failed(new GoogleApiException(failure.status(), failure.getMessage() + " (Retry-After " + wait.get().toSeconds()
                        + " s is longer than maxRetryAfter; tried again at the next round)", true));
            }
            Duration backoff = wait.isPresent() ? wait.get() : backoff(settings.retryDelay(), attempt);
            log.info("{}; trying again in {} ms", failure.getMessage(), backoff.toMillis());
            retried.incrementAndGet();
            Thread.sleep(backoff.toMillis());
        }
    }

    private static Duration backoff(Duration first, int attempt) {
        Duration delay = first.multipliedBy(1L << Math.min(attempt - 1, 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    /** {@code Retry-After} in seconds or as an HTTP date. */
    private Optional<Duration> retryAfter(HttpResponse<String> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim()))));
            } catch (NumberFormatException notSeconds) {
                try {
                    Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                    Duration left = Duration.between(clock.instant(), at);
                    return Optional.of(left.isNegative() ? Duration.ZERO : left);
                } catch (DateTimeParseException notDate) {
                    return Optional.empty();
                }
            }
        });
    }

    /** Google's error body is {@code {"error": {"code", "message", "status"}}}; OAuth's is {@code {"error", "error_description"}}. */
    private String googleMessage(String body) {
        try {
            JsonNode node = json.readTree(body);
            if (node == null) {
                return "";
            }
            JsonNode error = node.path("error");
            if (error.isObject()) {
                String status = error.path("status").asText("");
                return ": " + (status.isEmpty() ? "" : status + " ") + error.path("message").asText("");
            }
            if (error.isTextual()) {
                return ": " + error.asText() + (node.hasNonNull("error_description") ? " " + node.get("error_description").asText() : "");
            }
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    private GoogleApiException failed(GoogleApiException e) {
        failed.incrementAndGet();
        lastError = Optional.of(e.getMessage());
        lastErrorAt = Optional.of(clock.instant());
        log.warn("Google: {}", e.getMessage());
        return e;
    }

    private AccessToken token() throws IOException, InterruptedException {
        ServiceAccountKeys.ServiceAccount account = keys.current().orElseThrow(() ->
                new GoogleApiException(0, "No service account key has been uploaded (PUT /api/v1/plugins/chromeos/service-account).", false));
        String adminUser = settings.adminUser().orElseThrow(() ->
                new GoogleApiException(0, "Plugin setting 'adminUser' (the Google admin the service account acts for) is not set.", false));
        synchronized (tokenLock) {
            AccessToken current = token;
            if (current != null && current.account() == account && clock.instant().isBefore(current.expiresAt().minus(TOKEN_MARGIN))) {
                return current;
            }
            URI tokenUrl = settings.tokenUrl().orElse(URI.create(account.tokenUri()));
            String form = "grant_type=" + URLEncoder.encode("urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8)
                    + "&assertion=" + assertion(account, adminUser, tokenUrl);
            HttpRequest request = HttpRequest.newBuilder(tokenUrl).timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status != 200) {
                // invalid_grant and unauthorized_client mean the delegation or the key is wrong: trying again will not help.
                throw new GoogleApiException(status, "Google refused the service account's token request (" + status + ")"
                        + googleMessage(response.body()), status == 429 || status / 100 == 5);
            }
            JsonNode answer = json.readTree(response.body());
            if (answer == null || !answer.hasNonNull("access_token")) {
                throw new GoogleApiException(status, "Google's token endpoint answered without an access token", true);
            }
            tokensFetched.incrementAndGet();
            AccessToken fetched = new AccessToken(answer.get("access_token").asText(),
                    clock.instant().plusSeconds(answer.path("expires_in").asLong(3600)), account);
            token = fetched;
            return fetched;
        }
    }

    private void invalidate(AccessToken rejected) {
        synchronized (tokenLock) {
            if (token == rejected) {
                token = null;
            }
        }
    }

    /** The JWT-bearer assertion: RS256 over the header and claims, valid for an hour as Google allows at most. */
    private String assertion(ServiceAccountKeys.ServiceAccount account, String adminUser, URI audience) throws GoogleApiException {
        ObjectNode header = json.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        if (!account.keyId().isEmpty()) {
            header.put("kid", account.keyId());
        }
        long now = clock.instant().getEpochSecond();
        ObjectNode claims = json.createObjectNode().put("iss", account.clientEmail()).put("sub", adminUser)
                .put("scope", SCOPES).put("aud", audience.toString()).put("iat", now).put("exp", now + 3600);
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        try {
            String signingInput = base64.encodeToString(json.writeValueAsBytes(header)) + "." + base64.encodeToString(json.writeValueAsBytes(claims));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(account.privateKey());
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + base64.encodeToString(rs256.sign());
        } catch (IOException | GeneralSecurityException e) {
            throw new GoogleApiException(0, "The service account key cannot sign: " + e.getMessage(), false);
        }
    }
}
