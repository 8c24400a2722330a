package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.config.PluginConfig;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings ({@code plugins.config.chromeos} in {@code conf/shepherd.yaml}), checked when the plugin loads
 * so a mistake stops it with a reason naming the key instead of surfacing at the first call to Google.
 *
 * @param adminUser the Google Workspace admin the service account acts for (the JWT's {@code sub}); without it
 *        nothing is sent to Google
 * @param customerId the Google customer, {@code my_customer} for the admin's own
 * @param directoryUrl base URL of the Admin SDK Directory API
 * @param policyUrl base URL of the Chrome Policy API
 * @param tokenUrl replaces the key's {@code token_uri}, if set
 * @param syncInterval how often devices and org units are synced and policies read back
 * @param commandInterval how often queued commands are taken without a wake-up, and Google's command results polled
 * @param maxAttempts tries per Google call for throttling (429), Google trouble (5xx) and network errors
 * @param retryDelay the first backoff, doubled each further try
 * @param maxRetryAfter the longest {@code Retry-After} honoured; longer ones end the call as a transient failure
 * @param adminWait how long an admin request waits for work it handed to the worker before answering 202
 */
public record ChromeOsSettings(Optional<String> adminUser, String customerId, URI directoryUrl, URI policyUrl,
                               Optional<URI> tokenUrl, Duration syncInterval, Duration commandInterval, int maxAttempts,
                               Duration retryDelay, Duration maxRetryAfter, Duration adminWait) {

    public static final String DIRECTORY_URL = "https://admin.googleapis.com";
    public static final String POLICY_URL = "https://chromepolicy.googleapis.com";
    public static final String TOKEN_URL = "https://oauth2.googleapis.com/token";

    /** Validates every part. */
    public ChromeOsSettings {
        requireNonNull(adminUser, "adminUser is null");
        requireNonNull(customerId, "customerId is null");
        requireNonNull(directoryUrl, "directoryUrl is null");
        requireNonNull(policyUrl, "policyUrl is null");
        requireNonNull(tokenUrl, "tokenUrl is null");
        requireNonNull(syncInterval, "syncInterval is null");
        requireNonNull(commandInterval, "commandInterval is null");
        requireNonNull(retryDelay, "retryDelay is null");
        requireNonNull(maxRetryAfter, "maxRetryAfter is null");
        requireNonNull(adminWait, "adminWait is null");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("plugin setting 'maxAttempts' must be positive");
        }
        if (syncInterval.isNegative() || syncInterval.isZero() || commandInterval.isNegative() || commandInterval.isZero()) {
            throw new IllegalArgumentException("plugin settings 'syncInterval' and 'commandInterval' must be positive");
        }
    }

    /**
     * Reads and checks the plugin's settings.
     *
     * @param config the plugin's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key of a malformed setting
     */
    public static ChromeOsSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        String customer = config.get("customerId", "my_customer").trim();
        if (!customer.matches("[A-Za-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("plugin setting 'customerId' is not a Google customer id: " + customer);
        }
        return new ChromeOsSettings(config.get("adminUser").map(String::trim).filter(user -> !user.isEmpty()), customer,
                url(config, "directoryUrl", DIRECTORY_URL), url(config, "policyUrl", POLICY_URL),
                config.get("tokenUrl").map(value -> url(config, "tokenUrl", value)),
                config.getDuration("syncInterval", Duration.ofMinutes(15)), config.getDuration("commandInterval", Duration.ofSeconds(30)),
                config.getInt("maxAttempts", 5), config.getDuration("retryDelay", Duration.ofSeconds(1)),
                config.getDuration("maxRetryAfter", Duration.ofMinutes(2)), config.getDuration("adminWait", Duration.ofSeconds(20)));
    }

    /**
     * Checks a Google URL: https, or plain http to a loopback address only, since the requests carry the access token
     * (and the token request the signed assertion) that must not cross a network in the clear.
     *
     * @param key the setting's name, for the message
     * @param value the URL
     * @return the URL without a trailing slash
     */
    static URI checkedUrl(String key, String value) {
        URI uri;
        try {
            uri = URI.create(value.trim().replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a URL: " + value, e);
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be a URL with a host and no user info: " + value);
        }
        if ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()) && loopback(uri.getHost())) {
            return uri;
        }
        throw new IllegalArgumentException("plugin setting '" + key + "' must be an https URL (http only to a loopback address): " + value);
    }

    private static URI url(PluginConfig config, String key, String defaultValue) {
        return checkedUrl(key, config.get(key, defaultValue));
    }

    private static boolean loopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        // Literal addresses only: resolving a name here would ask DNS, which may answer differently later.
        if (!host.matches("[0-9.]+|\\[[0-9a-fA-F:]+]")) {
            return false;
        }
        try {
            return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
