package dev.shepherd.app;

/**
 * What an assignment asks of the devices of its group. When several assignments of one app reach a device through
 * its groups, the strongest wins: {@link #UNINSTALL} over {@link #REQUIRED} over {@link #AVAILABLE}, so an admin can
 * always take an app off a group of devices whatever else they belong to.
 */
public enum AppIntent {
    /** Offered to the device's user in self-service; nothing is installed unasked. */
    AVAILABLE,
    /** Installed, kept installed and updated. */
    REQUIRED,
    /** Removed, and its licence reclaimed. */
    UNINSTALL;

    /** @return the stronger of two intents (declaration order: later is stronger) */
    public AppIntent strongest(AppIntent other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
