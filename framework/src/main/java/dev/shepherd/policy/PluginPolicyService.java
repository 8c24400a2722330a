package dev.shepherd.policy;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.policy.EffectivePolicy;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The policy engine as platform plugins see it. */
public final class PluginPolicyService implements dev.shepherd.api.policy.PolicyService {

    private final PolicyService policies;

    public PluginPolicyService(PolicyService policies) {
        this.policies = requireNonNull(policies, "policies is null");
    }

    /** Secrets in the settings are opened here, for the plugin that delivers them to the device. */
    @Override
    public EffectivePolicy effectivePolicy(DeviceId deviceId) {
        EffectivePolicy sealed = policies.effectivePolicy(deviceId);
        return new EffectivePolicy(sealed.deviceId(), sealed.settings().stream().map(setting -> new Setting(
                setting.type(), setting.key(), policies.secrets().openMap(setting.value()))).toList(), sealed.revision());
    }

    @Override
    public void reportActual(DeviceId deviceId, String settingKey, SettingState state, Optional<String> reason) {
        policies.reportActual(deviceId, settingKey, state, reason);
    }
}
