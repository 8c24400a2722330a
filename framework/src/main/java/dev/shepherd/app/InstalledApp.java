package dev.shepherd.app;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * An app a device reports, managed or not.
 *
 * @param deviceId the device
 * @param identifier what it reports the app as (bundle id, package name, product code)
 * @param version the version it reports
 * @param updatedAt when the device last reported a change of it
 */
public record InstalledApp(String deviceId, String identifier, String version, Instant updatedAt) {
    public InstalledApp {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(identifier, "identifier is null");
        requireNonNull(version, "version is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
