package dev.shepherd.api.device;

/** Where a device is in its management lifecycle. */
public enum DeviceStatus {
    /** An enrollment has started but the device has not completed it. */
    PENDING,
    /** Managed and in good standing. */
    ENROLLED,
    /** Managed, but cut off from corporate resources until it complies again. */
    QUARANTINED,
    /** No longer managed; kept for history. */
    RETIRED,
    /** Erased on the organisation's request; kept for history. */
    WIPED
}
