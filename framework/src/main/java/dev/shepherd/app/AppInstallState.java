package dev.shepherd.app;

/** Where a device stands with one app, as the kernel knows from its commands and the device's inventory. */
public enum AppInstallState {
    /** The kernel has work to do: a licence to get, an install or removal to queue (or to try again). */
    PENDING,
    /** The install (or update) command is queued or answered, and the device's inventory does not show the app yet. */
    INSTALLING,
    /** The device reports the app; the installed version is known. */
    INSTALLED,
    /** The store or the device refused; the reason says why, in the store's or device's words. */
    FAILED,
    /** The app is not on the device (removed, or an available app never installed). */
    REMOVED
}
