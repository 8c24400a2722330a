package dev.shepherd.app;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Desired versus actual for one app on one device.
 *
 * @param deviceId the device
 * @param appId the app
 * @param appName the app's name
 * @param identifier what the device reports for it
 * @param intent what the device's assignments ask for
 * @param state where the device stands
 * @param installedVersion the version the device reports, once installed
 * @param reason why it failed (the store's or the device's words), or what the kernel waits for
 * @param commandId the last install, update or removal command issued for it
 * @param updatedAt when the state last changed
 */
public record DeviceAppState(String deviceId, String appId, String appName, String identifier, AppIntent intent,
                             AppInstallState state, Optional<String> installedVersion, Optional<String> reason,
                             Optional<String> commandId, Instant updatedAt) {
    public DeviceAppState {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(appId, "appId is null");
        requireNonNull(appName, "appName is null");
        requireNonNull(identifier, "identifier is null");
        requireNonNull(intent, "intent is null");
        requireNonNull(state, "state is null");
        requireNonNull(installedVersion, "installedVersion is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(commandId, "commandId is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
