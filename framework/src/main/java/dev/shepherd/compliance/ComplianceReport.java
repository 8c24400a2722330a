package dev.shepherd.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.ComplianceState;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Why a device is, or is not, compliant: each rule it fails with the device's own failing value, and where the rule's
 * remediation stands for it (steps taken, and the next one with when it falls due).
 *
 * @param deviceId the device
 * @param state its compliance state
 * @param allowed the conditional-access decision ({@link AccessDecision#allowed()})
 * @param failing the rules it fails, longest failing first
 * @param reportedAt when this was read
 */
public record ComplianceReport(String deviceId, ComplianceState state, boolean allowed, List<RuleFailure> failing, Instant reportedAt) {
    public ComplianceReport {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(state, "state is null");
        failing = List.copyOf(failing);
        requireNonNull(reportedAt, "reportedAt is null");
    }

    /**
     * One failing rule.
     *
     * @param ruleId the rule
     * @param name its name
     * @param check what it checks
     * @param parameters the check's parameters, such as {@code {"version":"17.4"}}
     * @param detail why the device fails it, in the check's words with the device's value
     * @param failingSince since when
     * @param graceEndsAt when its grace period ends (or ended): from then on the device counts as non-compliant
     * @param remediation the rule's steps for this device, in the rule's order
     * @param nextStep the step not taken yet that falls due first; empty when every step was taken or the rule has none
     */
    public record RuleFailure(String ruleId, String name, ComplianceCheck check, JsonNode parameters, String detail, Instant failingSince,
                              Instant graceEndsAt, List<Step> remediation, Optional<Step> nextStep) {
        public RuleFailure {
            requireNonNull(ruleId, "ruleId is null");
            requireNonNull(name, "name is null");
            requireNonNull(check, "check is null");
            requireNonNull(parameters, "parameters is null");
            requireNonNull(detail, "detail is null");
            requireNonNull(failingSince, "failingSince is null");
            requireNonNull(graceEndsAt, "graceEndsAt is null");
            remediation = List.copyOf(remediation);
            requireNonNull(nextStep, "nextStep is null");
        }
    }

    /**
     * A remediation step as it stands for the device.
     *
     * @param afterHours hours after the grace period ended
     * @param action what is done
     * @param dueAt when it falls due for this device
     * @param takenAt when it was taken, if it was
     */
    public record Step(int afterHours, Remediation action, Instant dueAt, Optional<Instant> takenAt) {
        public Step {
            requireNonNull(action, "action is null");
            requireNonNull(dueAt, "dueAt is null");
            requireNonNull(takenAt, "takenAt is null");
        }
    }
}
