package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.config.PluginConfig;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings ({@code plugins.config.appstore-private} in {@code conf/shepherd.yaml}).
 *
 * @param maxPackageBytes the largest package accepted ({@code maxPackageBytes}, default 2 GiB); larger uploads are
 *                        answered 413. Uploads arrive as files and downloads are streamed from files, so this bounds
 *                        disk, not the server's heap, and needs no change to {@code http.maxRequestBytes}
 * @param linkLifetime how long a device's download link works ({@code linkLifetime}, ISO-8601, default 24 hours)
 */
public record PrivateStoreSettings(long maxPackageBytes, Duration linkLifetime) {

    static final long DEFAULT_MAX_PACKAGE_BYTES = 2L * 1024 * 1024 * 1024;
    static final Duration DEFAULT_LINK_LIFETIME = Duration.ofHours(24);

    /** Validates every part. */
    public PrivateStoreSettings {
        if (maxPackageBytes < 1) {
            throw new IllegalArgumentException("maxPackageBytes must be positive: " + maxPackageBytes);
        }
        requireNonNull(linkLifetime, "linkLifetime is null");
        if (linkLifetime.isNegative() || linkLifetime.isZero()) {
            throw new IllegalArgumentException("linkLifetime must be positive: " + linkLifetime);
        }
    }

    /**
     * Reads the settings.
     *
     * @param config the plugin's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the setting that is malformed
     */
    public static PrivateStoreSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        long maxPackageBytes = config.get("maxPackageBytes").map(text -> {
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("plugin setting 'maxPackageBytes' is not a whole number: " + text, e);
            }
        }).orElse(DEFAULT_MAX_PACKAGE_BYTES);
        return new PrivateStoreSettings(maxPackageBytes, config.getDuration("linkLifetime", DEFAULT_LINK_LIFETIME));
    }
}
