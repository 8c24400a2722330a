package dev.shepherd.api.device;

/** Who owns a device, which decides how far management may reach into it. */
public enum Ownership {
    /** Owned by the organisation: fully manageable, may be wiped. */
    CORPORATE,
    /** Owned by its user (BYOD): only the work data and apps are managed. */
    PERSONAL
}
