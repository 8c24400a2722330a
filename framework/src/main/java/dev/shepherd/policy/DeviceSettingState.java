package dev.shepherd.policy;

import dev.shepherd.api.policy.SettingState;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Desired versus actual for one setting on one device.
 *
 * @param settingKey the setting's key
 * @param settingType its type
 * @param state pending, installed, failed or not supported
 * @param reason the device's own words when it failed, or why it is not supported
 * @param commandId the command that carries the current desired value, if one was needed
 * @param policyIds the policies the desired value came from
 * @param updatedAt when the state last changed
 */
public record DeviceSettingState(String settingKey, String settingType, SettingState state, Optional<String> reason,
                                 Optional<String> commandId, List<String> policyIds, Instant updatedAt) {
    public DeviceSettingState {
        requireNonNull(settingKey, "settingKey is null");
        requireNonNull(settingType, "settingType is null");
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(commandId, "commandId is null");
        policyIds = List.copyOf(policyIds);
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
