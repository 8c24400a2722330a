package dev.shepherd.api.appstore;

/**
 * Who holds a licence to an app: the device, or the person using it.
 *
 * @since 0.10.0
 */
public enum LicenceKind {

    /**
     * The licence belongs to one device (Apple assigns these by serial number); every device needs its own.
     *
     * @since 0.10.0
     */
    DEVICE,

    /**
     * The licence belongs to the device's user (Apple assigns these to a user's Apple Account); one licence covers
     * every device of that user.
     *
     * @since 0.10.0
     */
    USER
}
