package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Shepherd's client of the zero-touch customer API: the {@code customers} resource of Google's Android Device
 * Provisioning Partner API v1 (https://developers.google.com/zero-touch/reference/customer/rest), called as the
 * plugin's service account with the customer API's scope {@value #SCOPE}
 * (https://developers.google.com/zero-touch/guides/customer/quickstart/java). The service account's e-mail address
 * must be added as an admin of the zero-touch customer account in the zero-touch portal.
 *
 * <p>Every call is made while an admin waits, so it is tried once (plus the token refresh) with a short timeout, as
 * {@link Amapi}'s interactive calls are.
 */
@Singleton
public final class ZeroTouchApi {

    /** The OAuth scope of the zero-touch customer API. */
    public static final String SCOPE = "https://www.googleapis.com/auth/androidworkzerotouchemm";
    /** A zero-touch customer's id is a number (int64 in the API). */
    private static final Pattern CUSTOMER_ID = Pattern.compile("[1-9][0-9]{0,18}");
    private static final Pattern NUMERIC_ID = Pattern.compile("[0-9]{1,19}");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final AndroidSettings settings;
    private final GoogleClient google;
    private final RetryPolicy once = RetryPolicy.once(TIMEOUT);
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ZeroTouchApi(AndroidServiceAccountKeys keys, AndroidPluginContext context) {
        requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(context, "context is null").settings();
        this.google = GoogleClient.asServiceAccount(keys, new AccessTokens.Grant(SCOPE, Optional.empty(), settings.tokenUrl()));
    }

    /** @return whether a text is a zero-touch customer id, such as {@code 1234567890} */
    public static boolean isCustomerId(String text) {
        return text != null && CUSTOMER_ID.matcher(text).matches();
    }

    /** @return whether a text is the numeric id of a configuration or a device */
    public static boolean isNumericId(String text) {
        return text != null && NUMERIC_ID.matcher(text).matches();
    }

    /** {@code customers.dpcs.list}: the DPCs the customer may put in a configuration. */
    public JsonNode listDpcs(String customerId) throws GoogleException {
        return call("GET", "/v1/" + customer(customerId) + "/dpcs", Optional.empty());
    }

    /** {@code customers.configurations.list}. */
    public JsonNode listConfigurations(String customerId) throws GoogleException {
        return call("GET", "/v1/" + customer(customerId) + "/configurations", Optional.empty());
    }

    /** {@code customers.configurations.get}. */
    public JsonNode getConfiguration(String customerId, String configurationId) throws GoogleException {
        return call("GET", "/v1/" + configuration(customerId, configurationId), Optional.empty());
    }

    /** {@code customers.configurations.create}. */
    public JsonNode createConfiguration(String customerId, JsonNode configuration) throws GoogleException {
        return call("POST", "/v1/" + customer(customerId) + "/configurations", Optional.of(configuration));
    }

    /** {@code customers.configurations.patch} of the fields named in {@code updateMask}. */
    public JsonNode patchConfiguration(String customerId, String configurationId, String updateMask, JsonNode configuration)
            throws GoogleException {
        return call("PATCH", "/v1/" + configuration(customerId, configurationId) + "?updateMask=" + encode(updateMask), Optional.of(configuration));
    }

    /** {@code customers.configurations.delete}: Google refuses while devices still have the configuration. */
    public void deleteConfiguration(String customerId, String configurationId) throws GoogleException {
        call("DELETE", "/v1/" + configuration(customerId, configurationId), Optional.empty());
    }

    /** {@code customers.devices.list}, one page of at most {@code pageSize} (1 to 100) devices. */
    public JsonNode listDevices(String customerId, int pageSize, Optional<String> pageToken) throws GoogleException {
        return call("GET", "/v1/" + customer(customerId) + "/devices?pageSize=" + pageSize
                + pageToken.map(token -> "&pageToken=" + encode(token)).orElse(""), Optional.empty());
    }

    /** {@code customers.devices.applyConfiguration}: the device provisions itself with it at first boot or next reset. */
    public void applyConfiguration(String customerId, String deviceId, String configurationId) throws GoogleException {
        ObjectNode request = json.createObjectNode();
        request.put("configuration", configuration(customerId, configurationId));
        request.set("device", deviceReference(deviceId));
        call("POST", "/v1/" + customer(customerId) + "/devices:applyConfiguration", Optional.of(request));
    }

    /** {@code customers.devices.removeConfiguration}. */
    public void removeConfiguration(String customerId, String deviceId) throws GoogleException {
        call("POST", "/v1/" + customer(customerId) + "/devices:removeConfiguration",
                Optional.of(json.createObjectNode().set("device", deviceReference(deviceId))));
    }

    /** {@code customers.devices.unclaim}: the device leaves zero-touch; only its reseller can claim it again. */
    public void unclaim(String customerId, String deviceId) throws GoogleException {
        call("POST", "/v1/" + customer(customerId) + "/devices:unclaim",
                Optional.of(json.createObjectNode().set("device", deviceReference(deviceId))));
    }

    /** @return the configuration's resource name, {@code customers/[CUSTOMER_ID]/configurations/[CONFIGURATION_ID]} */
    public static String configurationName(String customerId, String configurationId) throws GoogleException {
        return configuration(customerId, configurationId);
    }

    private ObjectNode deviceReference(String deviceId) throws GoogleException {
        if (!isNumericId(deviceId)) {
            throw new GoogleException(0, "not a zero-touch device id: " + deviceId, false);
        }
        return json.createObjectNode().put("deviceId", deviceId);
    }

    private static String customer(String customerId) throws GoogleException {
        if (!isCustomerId(customerId)) {
            throw new GoogleException(0, "not a zero-touch customer id: " + customerId, false);
        }
        return "customers/" + customerId;
    }

    private static String configuration(String customerId, String configurationId) throws GoogleException {
        if (!isNumericId(configurationId)) {
            throw new GoogleException(0, "not a zero-touch configuration id: " + configurationId, false);
        }
        return customer(customerId) + "/configurations/" + configurationId;
    }

    private JsonNode call(String method, String pathAndQuery, Optional<JsonNode> body) throws GoogleException {
        try {
            return google.call(method, URI.create(settings.zeroTouchApiUrl() + pathAndQuery), body, once);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GoogleException(0, "interrupted while calling the zero-touch API", true);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
