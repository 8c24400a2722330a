package dev.shepherd.policy;

import dev.shepherd.api.policy.Setting;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One setting of a device's effective policy and the policies it came from, highest priority first.
 *
 * @param setting the merged setting
 * @param policyIds the policies that set it
 */
public record EffectiveSetting(Setting setting, List<String> policyIds) {
    public EffectiveSetting {
        requireNonNull(setting, "setting is null");
        policyIds = List.copyOf(policyIds);
    }
}
