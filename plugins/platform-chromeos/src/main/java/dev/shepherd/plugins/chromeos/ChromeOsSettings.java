package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.google.GoogleUrls;

import java.net.URI;
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
 * @param managementUrl base URL of the Chrome Management API (app details for the Chrome Web Store connector)
 * @param tokenUrl replaces the key's {@code token_uri}, if set
 * @param syncInterval how often devices and org units are synced and policies read back
 * @param commandInterval how often queued commands are taken without a wake-up, and Google's command results polled
 * @param maxAttempts tries per Google call for throttling (429), Google trouble (5xx) and network errors
 * @param retryDelay the first backoff, doubled each further try
 * @param maxRetryAfter the longest {@code Retry-After} honoured; longer ones end the call as a transient failure
 * @param adminWait how long an admin request waits for work it handed to the worker before answering 202
 */
public record ChromeOsSettings(Optional<String> adminUser, String customerId, URI directoryUrl, URI policyUrl,
                               URI managementUrl, Optional<URI> tokenUrl, Duration syncInterval, Duration commandInterval, int maxAttempts,
                               Duration retryDelay, Duration maxRetryAfter, Duration adminWait) {

    public static final String DIRECTORY_URL = "https://admin.googleapis.com";
    public static final String POLICY_URL = "https://chromepolicy.googleapis.com";
    public static final String MANAGEMENT_URL = "https://chromemanagement.googleapis.com";

    /** Validates every part. */
    public ChromeOsSettings {
        requireNonNull(adminUser, "adminUser is null");
        requireNonNull(customerId, "customerId is null");
        requireNonNull(directoryUrl, "directoryUrl is null");
        requireNonNull(policyUrl, "policyUrl is null");
        requireNonNull(managementUrl, "managementUrl is null");
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
                url(config, "managementUrl", MANAGEMENT_URL),
                config.get("tokenUrl").map(value -> url(config, "tokenUrl", value)),
                config.getDuration("syncInterval", Duration.ofMinutes(15)), config.getDuration("commandInterval", Duration.ofSeconds(30)),
                config.getInt("maxAttempts", 5), config.getDuration("retryDelay", Duration.ofSeconds(1)),
                config.getDuration("maxRetryAfter", Duration.ofMinutes(2)), config.getDuration("adminWait", Duration.ofSeconds(20)));
    }

    /** Google's URLs carry credentials: https, or plain http to a loopback address only ({@link GoogleUrls}). */
    private static URI url(PluginConfig config, String key, String defaultValue) {
        return GoogleUrls.setting(key, config.get(key, defaultValue));
    }
}
