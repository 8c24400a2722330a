package dev.shepherd.api.policy;

/** How far a desired setting has got on a device. */
public enum SettingState {
    /** Desired but not yet confirmed by the device. */
    PENDING,
    /** The device confirmed it. */
    INSTALLED,
    /** The device refused or failed it; the device's reason is kept. */
    FAILED,
    /** The device's platform has no equivalent. */
    NOT_SUPPORTED
}
