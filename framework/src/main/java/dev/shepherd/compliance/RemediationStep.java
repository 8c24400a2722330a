package dev.shepherd.compliance;

import static java.util.Objects.requireNonNull;

/**
 * One step of a rule's remediation schedule.
 *
 * @param afterHours hours after the grace period ended; 0 for at once
 * @param action what to do
 */
public record RemediationStep(int afterHours, Remediation action) {
    public RemediationStep {
        requireNonNull(action, "action is null");
        if (afterHours < 0 || afterHours > 24 * 365) {
            throw new IllegalArgumentException("afterHours must be between 0 and 8760");
        }
    }
}
