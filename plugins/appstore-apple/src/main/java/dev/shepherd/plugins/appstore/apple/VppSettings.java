package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.api.config.PluginConfig;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Where and how the plugin reaches Apple, from {@code plugins.config.appstore-apple}. Every URL is configurable so the
 * plugin can be pointed at a proxy or, in tests, at a local fake of the service.
 *
 * @param serviceUrl the Apps and Books management API root ({@code serviceUrl}), ending in {@code /}
 * @param lookupUrl the App Store metadata lookup ({@code lookupUrl}), the {@code contentMetadataLookup} of Apple's service config
 * @param storefront the two-letter store country metadata is looked up in ({@code storefront}) when the location names none
 * @param maxAttempts tries per call when Apple throttles or fails ({@code maxAttempts})
 * @param maxRetryAfter the longest {@code Retry-After} waited out within one call ({@code maxRetryAfter}); longer ends the call
 * @param timeout how long one request may take ({@code timeout})
 * @param eventWait how long a licence assignment waits for Apple's asynchronous event to finish ({@code eventWait})
 * @param maxResponseBytes the largest answer read from Apple ({@code maxResponseBytes})
 * @param managedAppleAccounts whether the directory's email addresses are the users' Managed Apple Accounts
 *        ({@code managedAppleAccounts}, default false): true when Apple Business or School Manager federates the
 *        organisation's domain, so users are created with their {@code managedAppleId} and Apple links them at once;
 *        otherwise a user gets Apple's invitation and must accept it with an Apple Account before holding licences
 */
public record VppSettings(URI serviceUrl, URI lookupUrl, String storefront, int maxAttempts, Duration maxRetryAfter,
                          Duration timeout, Duration eventWait, int maxResponseBytes, boolean managedAppleAccounts) {

    /** Apple's production service. */
    public static final String APPLE_SERVICE_URL = "https://vpp.itunes.apple.com/mdm/v2/";
    /** Apple's metadata lookup for managed apps. */
    public static final String APPLE_LOOKUP_URL = "https://uclient-api.itunes.apple.com/WebObjects/MZStorePlatform.woa/wa/lookup";

    /** Validates every part. */
    public VppSettings {
        requireNonNull(serviceUrl, "serviceUrl is null");
        requireNonNull(lookupUrl, "lookupUrl is null");
        requireNonNull(storefront, "storefront is null");
        requireNonNull(maxRetryAfter, "maxRetryAfter is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(eventWait, "eventWait is null");
        if (!serviceUrl.toString().endsWith("/")) {
            serviceUrl = URI.create(serviceUrl + "/");
        }
        if (!storefront.matches("[A-Za-z]{2}")) {
            throw new IllegalArgumentException("plugin setting 'storefront' must be a two-letter country code: " + storefront);
        }
        storefront = storefront.toLowerCase(Locale.ROOT);
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("plugin setting 'maxAttempts' must be at least 1");
        }
        if (maxResponseBytes < 1024) {
            throw new IllegalArgumentException("plugin setting 'maxResponseBytes' must be at least 1024");
        }
    }

    /** Settings without Managed Apple Accounts: users link their Apple Account through Apple's invitation. */
    public VppSettings(URI serviceUrl, URI lookupUrl, String storefront, int maxAttempts, Duration maxRetryAfter, Duration timeout,
                       Duration eventWait, int maxResponseBytes) {
        this(serviceUrl, lookupUrl, storefront, maxAttempts, maxRetryAfter, timeout, eventWait, maxResponseBytes, false);
    }

    /**
     * @param config the plugin's settings
     * @return the settings, Apple's defaults where unset
     * @throws IllegalArgumentException naming the setting that is malformed
     */
    public static VppSettings from(PluginConfig config) {
        return new VppSettings(uri(config, "serviceUrl", APPLE_SERVICE_URL), uri(config, "lookupUrl", APPLE_LOOKUP_URL),
                config.get("storefront", "us"), config.getInt("maxAttempts", 4),
                config.getDuration("maxRetryAfter", Duration.ofSeconds(30)), config.getDuration("timeout", Duration.ofSeconds(30)),
                config.getDuration("eventWait", Duration.ofSeconds(20)), config.getInt("maxResponseBytes", 8 * 1024 * 1024),
                config.getBoolean("managedAppleAccounts", false));
    }

    private static URI uri(PluginConfig config, String key, String defaultValue) {
        String value = config.get(key, defaultValue).trim();
        try {
            URI uri = URI.create(value);
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
                throw new IllegalArgumentException("plugin setting '" + key + "' must be an http(s) URL: " + value);
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a URL: " + value, e);
        }
    }
}
