package dev.shepherd.api.device;

/** Whether a device meets the compliance rules that apply to it. */
public enum ComplianceState {
    /** Meets every rule. */
    COMPLIANT,
    /** Fails at least one rule and its grace period is over. */
    NON_COMPLIANT,
    /** Fails at least one rule but is still within the grace period. */
    IN_GRACE_PERIOD,
    /** Not evaluated yet, or not enough is known about the device. */
    UNKNOWN
}
