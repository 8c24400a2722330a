package dev.shepherd.compliance;

/** What is done to a device that keeps failing a rule after its grace period. */
public enum Remediation {
    /** Raise a {@code compliance.notify} event (webhooks carry it to people and ticketing). */
    NOTIFY,
    /** Quarantine the device: corporate access removed; policies assigned to quarantined devices apply. */
    QUARANTINE,
    /** Lock the device. */
    LOCK,
    /** Remove corporate data, apps and profiles. */
    ENTERPRISE_WIPE
}
