package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Shepherd's client of the Android Management API (v1), as Google documents its REST resources: signup URLs,
 * enterprises, enrollment tokens, policies, devices, and device operations.
 *
 * <p>Every call carries the service account's access token. A 401 refreshes the token and tries once more. Throttling
 * (429) waits out {@code Retry-After} (or backs off when Google gives none); Google's own trouble (5xx) and an
 * unreachable network back off exponentially from {@code retryDelay}, up to {@code maxAttempts} tries. All the calls
 * Shepherd makes are safe to repeat in effect (a patch, a delete, or a device command such as a lock), so a 5xx
 * Google acted upon at worst repeats a lock or a reboot. Anything else is Google's refusal, raised with its message.
 *
 * <p>Calls made while an admin or a device waits for the answer ({@link Patience#INTERACTIVE}) are tried once (plus
 * the token refresh) with a short timeout: a request thread must not sit out a backoff, and the kernel fails a
 * plugin whose call outlasts {@code plugins.callTimeout}. The worker's calls are patient.
 */
@Singleton
public final class Amapi {

    private static final Logger log = LoggerFactory.getLogger(Amapi.class);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    private static final Duration INTERACTIVE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BACKGROUND_TIMEOUT = Duration.ofSeconds(60);
    /** Resource names come from Google and from Pub/Sub messages; only this shape is ever put into a URL path. */
    private static final Pattern RESOURCE_NAME = Pattern.compile("[a-zA-Z]+(/[A-Za-z0-9_.-]+)+");

    /** How long a call may take. */
    public enum Patience {
        /** Someone waits for the answer: one try, a short timeout. */
        INTERACTIVE,
        /** The worker: every retry {@code maxAttempts} allows. */
        BACKGROUND
    }

    private final GoogleAuth auth;
    private final AndroidPluginContext context;
    private final AndroidSettings settings;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public Amapi(GoogleAuth auth, AndroidPluginContext context) {
        this.auth = requireNonNull(auth, "auth is null");
        this.context = requireNonNull(context, "context is null");
        this.settings = context.settings();
    }

    /** {@code signupUrls.create}: where an admin signs the organisation up, coming back to {@code callbackUrl}. */
    public JsonNode createSignupUrl(String projectId, String callbackUrl) throws GoogleException {
        return call("POST", "/v1/signupUrls?projectId=" + encode(projectId) + "&callbackUrl=" + encode(callbackUrl), Optional.empty(), Patience.INTERACTIVE);
    }

    /** {@code enterprises.create} with the token Google's signup page handed back. */
    public JsonNode createEnterprise(String projectId, String signupUrlName, String enterpriseToken, JsonNode enterprise) throws GoogleException {
        return call("POST", "/v1/enterprises?projectId=" + encode(projectId) + "&signupUrlName=" + encode(signupUrlName)
                + "&enterpriseToken=" + encode(enterpriseToken), Optional.of(enterprise), Patience.INTERACTIVE);
    }

    /** {@code enterprises.enrollmentTokens.create}. */
    public JsonNode createEnrollmentToken(String enterprise, JsonNode token) throws GoogleException {
        return call("POST", "/v1/" + name(enterprise) + "/enrollmentTokens", Optional.of(token), Patience.INTERACTIVE);
    }

    /** {@code enterprises.policies.patch}, which creates the policy when it does not exist yet. */
    public JsonNode patchPolicy(String policyName, JsonNode policy, Patience patience) throws GoogleException {
        return call("PATCH", "/v1/" + name(policyName), Optional.of(policy), patience);
    }

    /** {@code enterprises.devices.patch} of the fields named in {@code updateMask}. */
    public JsonNode patchDevice(String deviceName, String updateMask, JsonNode device) throws GoogleException {
        return call("PATCH", "/v1/" + name(deviceName) + "?updateMask=" + encode(updateMask), Optional.of(device), Patience.BACKGROUND);
    }

    /** {@code enterprises.devices.get}. */
    public JsonNode getDevice(String deviceName) throws GoogleException {
        return call("GET", "/v1/" + name(deviceName), Optional.empty(), Patience.BACKGROUND);
    }

    /** {@code enterprises.devices.list}, one page. */
    public JsonNode listDevices(String enterprise, Optional<String> pageToken) throws GoogleException {
        return call("GET", "/v1/" + name(enterprise) + "/devices?pageSize=100"
                + pageToken.map(token -> "&pageToken=" + encode(token)).orElse(""), Optional.empty(), Patience.BACKGROUND);
    }

    /** {@code enterprises.devices.issueCommand}: the long-running operation carrying it out. */
    public JsonNode issueCommand(String deviceName, JsonNode command) throws GoogleException {
        return call("POST", "/v1/" + name(deviceName) + ":issueCommand", Optional.of(command), Patience.BACKGROUND);
    }

    /** {@code enterprises.devices.operations.get}. */
    public JsonNode getOperation(String operationName) throws GoogleException {
        return call("GET", "/v1/" + name(operationName), Optional.empty(), Patience.BACKGROUND);
    }

    /** {@code enterprises.devices.delete}: wipes a fully managed device, removes a work profile. */
    public void deleteDevice(String deviceName, List<String> wipeDataFlags, Optional<String> wipeReasonMessage) throws GoogleException {
        List<String> query = new ArrayList<>();
        wipeDataFlags.forEach(flag -> query.add("wipeDataFlags=" + encode(flag)));
        wipeReasonMessage.ifPresent(message -> query.add("wipeReasonMessage=" + encode(message)));
        call("DELETE", "/v1/" + name(deviceName) + (query.isEmpty() ? "" : "?" + String.join("&", query)), Optional.empty(), Patience.BACKGROUND);
    }

    /**
     * @return whether a text is a resource name of the form Google uses, such as {@code enterprises/LC01/devices/3a}
     */
    public static boolean isResourceName(String text) {
        return text != null && text.length() <= 300 && RESOURCE_NAME.matcher(text).matches();
    }

    private static String name(String resourceName) throws GoogleException {
        if (!isResourceName(resourceName)) {
            throw new GoogleException(0, "not a resource name of the Android Management API: " + resourceName, false);
        }
        return resourceName;
    }

    private JsonNode call(String method, String pathAndQuery, Optional<JsonNode> body, Patience patience) throws GoogleException {
        URI uri = URI.create(settings.apiUrl() + pathAndQuery);
        int maxAttempts = patience == Patience.INTERACTIVE ? 1 : settings.maxAttempts();
        Duration timeout = patience == Patience.INTERACTIVE ? INTERACTIVE_TIMEOUT : BACKGROUND_TIMEOUT;
        boolean refreshed = false;
        GoogleException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            context.called();
            Duration wait;
            try {
                HttpResponse<byte[]> response = send(method, uri, body, timeout);
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return parse(response.body());
                }
                GoogleException refusal = refusal(method, pathAndQuery, status, response.body());
                if (status == 401 && !refreshed) {
                    // A revoked or expired token: one fresh token, one more try, not counted as an attempt.
                    auth.invalidate();
                    refreshed = true;
                    attempt--;
                    continue;
                }
                if (!refusal.retriable()) {
                    // Recorded as failed by the catch below, which this throw passes through; once, not twice.
                    throw refusal;
                }
                last = refusal;
                wait = status == 429 ? retryAfter(response).orElse(backoff(attempt)) : backoff(attempt);
                if (wait.compareTo(settings.maxRetryAfter()) > 0) {
                    break;
                }
            } catch (GoogleException e) {
                if (!e.retriable()) {
                    context.failed(e.getMessage());
                    throw e;
                }
                last = e;
                wait = backoff(attempt);
            }
            if (attempt == maxAttempts) {
                break;
            }
            context.retried();
            log.info("Google: {}; trying again in {} ms", last.getMessage(), wait.toMillis());
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        context.failed(last.getMessage());
        throw new GoogleException(last.status(), last.getMessage(), true);
    }

    private HttpResponse<byte[]> send(String method, URI uri, Optional<JsonNode> body, Duration timeout) throws GoogleException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Authorization", "Bearer " + auth.accessToken())
                .header("Accept", "application/json");
        if (body.isPresent()) {
            try {
                request.header("Content-Type", "application/json; charset=utf-8")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body.get())));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return context.http().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GoogleException(0, "the Android Management API could not be reached: " + e.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GoogleException(0, "interrupted while calling the Android Management API", true);
        }
    }

    /** Google's errors are {@code {"error": {"code", "message", "status"}}}; its message is what an admin needs. */
    private GoogleException refusal(String method, String pathAndQuery, int status, byte[] body) {
        JsonNode error = parse(body).path("error");
        String message = error.path("message").asText("");
        String code = error.path("status").asText("");
        String path = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
        String text = "Google answered " + status + (code.isBlank() ? "" : " " + code) + " to " + method + " " + path
                + (message.isBlank() ? "" : ": " + message);
        return new GoogleException(status, text, status == 429 || status >= 500);
    }

    private Duration backoff(int attempt) {
        long millis = settings.retryDelay().toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    /** {@code Retry-After} is either seconds or an HTTP date. */
    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("Retry-After").map(String::trim);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(header.get()))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(header.get(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration until = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    private JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return json.createObjectNode();
        }
        try {
            JsonNode node = json.readTree(body);
            return node == null ? json.createObjectNode() : node;
        } catch (IOException e) {
            ObjectNode unreadable = json.createObjectNode();
            unreadable.put("unreadable", true);
            return unreadable;
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
