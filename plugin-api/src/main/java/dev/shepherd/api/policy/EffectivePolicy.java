package dev.shepherd.api.policy;

import dev.shepherd.api.device.DeviceId;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The settings that apply to one device after every assigned policy has been merged by the conflict rules.
 *
 * @param deviceId the device
 * @param settings the merged settings
 * @param revision changes whenever the effective settings change
 */
public record EffectivePolicy(DeviceId deviceId, List<Setting> settings, long revision) {

    /** Validates and copies every part. */
    public EffectivePolicy {
        requireNonNull(deviceId, "deviceId is null");
        settings = List.copyOf(requireNonNull(settings, "settings is null"));
    }
}
