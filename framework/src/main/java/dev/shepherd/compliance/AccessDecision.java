package dev.shepherd.compliance;

import dev.shepherd.api.device.ComplianceState;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The answer to "may this device reach corporate resources now", for network and identity systems.
 *
 * @param deviceId the device
 * @param allowed true only for a managed device that is compliant or in its grace period
 * @param state its compliance state
 * @param failing the rules it fails, with the reasons
 * @param decidedAt when
 */
public record AccessDecision(String deviceId, boolean allowed, ComplianceState state, List<FailingRule> failing, Instant decidedAt) {
    public AccessDecision {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(state, "state is null");
        failing = List.copyOf(failing);
        requireNonNull(decidedAt, "decidedAt is null");
    }

    /**
     * @param ruleId the rule
     * @param name its name
     * @param detail why the device fails it
     * @param failingSince since when
     */
    public record FailingRule(String ruleId, String name, String detail, Instant failingSince) {
    }
}
