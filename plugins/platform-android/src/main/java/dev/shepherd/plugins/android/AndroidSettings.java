package dev.shepherd.plugins.android;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.google.GoogleUrls;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings ({@code plugins.config.android} in {@code conf/shepherd.yaml}), checked once at load so a
 * mistake fails the plugin with the setting's name rather than a later call.
 *
 * @param apiUrl where the Android Management API is; Google's unless a test or a relay says otherwise
 * @param tokenUrl where OAuth2 access tokens are requested, overriding the service-account key's {@code token_uri}
 * @param projectId the Google Cloud project owning the enterprise, overriding the key's {@code project_id}
 * @param pubsubTopic {@code projects/{project}/topics/{topic}} Google publishes device notifications to; set on the
 *        enterprise when it is bound
 * @param maxAttempts how often one call is tried when Google throttles it, fails or cannot be reached
 * @param retryDelay the first backoff between those attempts, doubling after each
 * @param maxRetryAfter the longest {@code Retry-After} honoured inside one call; a longer one defers the work instead
 * @param retryLater how long work that Google kept refusing waits before it is tried again
 * @param syncInterval how often every device is listed from Google and its commands taken, the fallback for missed
 *        notifications
 * @param operationPollInterval how often unfinished device commands are asked after
 * @param zeroTouchApiUrl where the zero-touch customer API (Android Device Provisioning Partner API) is; Google's unless
 *        a test or a relay says otherwise
 */
public record AndroidSettings(URI apiUrl, Optional<URI> tokenUrl, Optional<String> projectId, Optional<String> pubsubTopic,
                              int maxAttempts, Duration retryDelay, Duration maxRetryAfter, Duration retryLater,
                              Duration syncInterval, Duration operationPollInterval, URI zeroTouchApiUrl) {

    /** Google's production endpoint of the Android Management API. */
    public static final String GOOGLE_API = "https://androidmanagement.googleapis.com";
    /** Google's production endpoint of the zero-touch customer API. */
    public static final String GOOGLE_ZERO_TOUCH_API = "https://androiddeviceprovisioning.googleapis.com";

    /** Validates every part. */
    public AndroidSettings {
        requireNonNull(apiUrl, "apiUrl is null");
        requireNonNull(tokenUrl, "tokenUrl is null");
        requireNonNull(projectId, "projectId is null");
        requireNonNull(pubsubTopic, "pubsubTopic is null");
        requireNonNull(retryDelay, "retryDelay is null");
        requireNonNull(maxRetryAfter, "maxRetryAfter is null");
        requireNonNull(retryLater, "retryLater is null");
        requireNonNull(syncInterval, "syncInterval is null");
        requireNonNull(operationPollInterval, "operationPollInterval is null");
        requireNonNull(zeroTouchApiUrl, "zeroTouchApiUrl is null");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("plugin setting 'maxAttempts' must be positive");
        }
    }

    /**
     * @param config the plugin's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the setting that is malformed
     */
    public static AndroidSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        Optional<String> topic = config.get("pubsubTopic").filter(value -> !value.isBlank());
        topic.ifPresent(value -> {
            if (!value.matches("projects/[^/]+/topics/[^/]+")) {
                throw new IllegalArgumentException("plugin setting 'pubsubTopic' must look like projects/{project}/topics/{topic}: " + value);
            }
        });
        return new AndroidSettings(url(config, "apiUrl", GOOGLE_API),
                config.get("tokenUrl").filter(value -> !value.isBlank()).map(value -> url(config, "tokenUrl", value)),
                config.get("projectId").filter(value -> !value.isBlank()), topic,
                config.getInt("maxAttempts", 5), config.getDuration("retryDelay", Duration.ofSeconds(1)),
                config.getDuration("maxRetryAfter", Duration.ofMinutes(2)), config.getDuration("retryLater", Duration.ofMinutes(1)),
                config.getDuration("syncInterval", Duration.ofMinutes(15)),
                config.getDuration("operationPollInterval", Duration.ofMinutes(1)),
                url(config, "zeroTouchApiUrl", GOOGLE_ZERO_TOUCH_API));
    }

    /** Google's endpoints carry credentials: https, or plain http to a loopback address only ({@link GoogleUrls}). */
    private static URI url(PluginConfig config, String key, String fallback) {
        return GoogleUrls.setting(key, config.get(key, fallback));
    }
}
