package dev.shepherd.api.device;

/** How a device came to be enrolled. */
public enum EnrollmentMethod {
    /** The user opened an enrollment link. */
    LINK,
    /** The user scanned an enrollment QR code. */
    QR_CODE,
    /** A platform enrollment program (Apple Automated Device Enrollment, Android zero-touch, Windows Autopilot). */
    PROGRAM,
    /** An admin enrolled it by hand. */
    MANUAL,
    /** The user signed in with their organisation account, whose password an identity provider checked. */
    CREDENTIALS
}
