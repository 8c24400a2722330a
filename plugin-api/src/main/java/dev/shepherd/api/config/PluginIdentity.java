package dev.shepherd.api.config;

import static java.util.Objects.requireNonNull;

/**
 * Who the plugin is, as the kernel loaded it; injectable into any extension.
 *
 * @param id the plugin id from its descriptor
 * @param version the plugin version from its descriptor
 * @param devicePath the URL path its {@link dev.shepherd.api.http.DeviceEndpoint}s are mounted under, such as
 *        {@code /mdm/hello}
 */
public record PluginIdentity(String id, String version, String devicePath) {

    /** Validates every part. */
    public PluginIdentity {
        requireNonNull(id, "id is null");
        requireNonNull(version, "version is null");
        requireNonNull(devicePath, "devicePath is null");
    }
}
