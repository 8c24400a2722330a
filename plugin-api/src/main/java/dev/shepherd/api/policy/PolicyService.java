package dev.shepherd.api.policy;

import dev.shepherd.api.device.DeviceId;

import java.util.Optional;

/** The kernel's policy engine, as platform plugins see it. */
public interface PolicyService {

    /**
     * The settings that apply to a device now.
     *
     * @param deviceId the device
     * @return its effective policy
     */
    EffectivePolicy effectivePolicy(DeviceId deviceId);

    /**
     * Records what the device reports about one setting.
     *
     * @param deviceId the device
     * @param settingKey the setting's key
     * @param state its state on the device
     * @param reason the device's own words when it failed or is not supported
     */
    void reportActual(DeviceId deviceId, String settingKey, SettingState state, Optional<String> reason);
}
