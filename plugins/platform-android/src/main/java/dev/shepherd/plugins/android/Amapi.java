package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.google.AccessTokens;
import dev.shepherd.google.GoogleClient;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.RetryPolicy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Shepherd's client of the Android Management API (v1), as Google documents its REST resources: signup URLs,
 * enterprises, enrollment tokens, policies, devices, and device operations.
 *
 * <p>The calls go through the shared {@link GoogleClient} as the uploaded service account with the scope
 * {@value #SCOPE}: a 401 renews the token once, throttling (429) waits out {@code Retry-After}, Google's trouble (5xx)
 * and the network back off exponentially from {@code retryDelay}, up to {@code maxAttempts} tries, and anything else
 * is Google's refusal, raised with its message. All the calls Shepherd makes are safe to repeat in effect (a patch, a
 * delete, or a device command such as a lock), so a 5xx Google acted upon at worst repeats a lock or a reboot.
 *
 * <p>Calls made while an admin or a device waits for the answer ({@link Patience#INTERACTIVE}) are tried once (plus
 * the token refresh) with a short timeout: a request thread must not sit out a backoff, and the kernel fails a
 * plugin whose call outlasts {@code plugins.callTimeout}. The worker's calls are patient.
 */
@Singleton
public final class Amapi {

    /** The only scope the plugin asks for. */
    public static final String SCOPE = "https://www.googleapis.com/auth/androidmanagement";
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

    private final AndroidSettings settings;
    private final GoogleClient google;
    private final RetryPolicy interactive;
    private final RetryPolicy background;

    @Inject
    public Amapi(AndroidServiceAccountKeys keys, AndroidPluginContext context) {
        requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(context, "context is null").settings();
        this.google = GoogleClient.asServiceAccount(keys, new AccessTokens.Grant(SCOPE, Optional.empty(), settings.tokenUrl()));
        this.interactive = RetryPolicy.once(INTERACTIVE_TIMEOUT);
        this.background = new RetryPolicy(settings.maxAttempts(), settings.retryDelay(), settings.maxRetryAfter(), BACKGROUND_TIMEOUT);
    }

    /** @return how the calls to Google have gone since the plugin started, for the admin's status */
    public GoogleClient.Statistics statistics() {
        return google.statistics();
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

    /** {@code enterprises.get}: whether the enterprise exists and this service account may manage it. */
    public JsonNode getEnterprise(String enterprise) throws GoogleException {
        return call("GET", "/v1/" + name(enterprise), Optional.empty(), Patience.INTERACTIVE);
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
        try {
            return google.call(method, URI.create(settings.apiUrl() + pathAndQuery), body,
                    patience == Patience.INTERACTIVE ? interactive : background);
        } catch (InterruptedException e) {
            // The plugin is stopping: retriable, so the work is left for later as after any transient failure.
            Thread.currentThread().interrupt();
            throw new GoogleException(0, "interrupted while calling the Android Management API", true);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
