package dev.shepherd.api.command;

/** The remote actions the kernel knows; a platform plugin translates each into its native form. */
public enum CommandType {
    /** Lock the screen. */
    LOCK,
    /** Erase the whole device (corporate devices). */
    WIPE,
    /** Remove corporate data, apps and profiles only. */
    ENTERPRISE_WIPE,
    /** Restart the device. */
    RESTART,
    /** Shut the device down. */
    SHUT_DOWN,
    /** Report the device's location. */
    LOCATE,
    /** Enter lost mode. */
    LOST_MODE_ON,
    /** Leave lost mode. */
    LOST_MODE_OFF,
    /** Remove the passcode. */
    CLEAR_PASSCODE,
    /** Set a new passcode. */
    RESET_PASSCODE,
    /** Report inventory now. */
    REFRESH_INVENTORY,
    /** Install a configuration profile or policy payload. */
    INSTALL_PROFILE,
    /** Remove a configuration profile or policy payload. */
    REMOVE_PROFILE,
    /**
     * Install an application. The kernel's app catalog issues it with the canonical parameters of
     * {@link dev.shepherd.api.appstore.AppInstallation#toParameters()}: {@code identifier}, {@code version},
     * {@code source} ({@code store}, {@code manifest} or {@code package}), {@code storeAppId}, {@code manifestUrl},
     * {@code packageUrl}, {@code sha256}, {@code size}, {@code packageKind} and {@code options} (store-specific, such
     * as Apple's {@code purchaseMethod}), plus {@code storeId} and, when the assignment has one, {@code configuration}
     * (the managed configuration, a JSON object); a platform reads them with
     * {@link dev.shepherd.api.appstore.AppInstallation#fromParameters(java.util.Map)} (since API 0.8.0). Platforms
     * also accept their own parameters: Apple {@code appStoreId} or {@code manifestUrl}, Windows {@code productCode}
     * with {@code msiUrl} and {@code hash}, or {@code packageFamilyName} with {@code packageUri}.
     */
    INSTALL_APP,
    /**
     * Remove an application. Parameters: {@code identifier} (what the device reports), and where the platform needs
     * them {@code source} and {@code storeAppId} or {@code packageKind}, as
     * {@link dev.shepherd.api.appstore.AppInstallation#toRemovalParameters()} writes them (since API 0.8.0); Windows
     * also accepts {@code productCode} or {@code packageFamilyName}.
     */
    REMOVE_APP,
    /** Update an application to a newer version; the same parameters as {@link #INSTALL_APP}. */
    UPDATE_APP,
    /** Install or schedule an operating-system update. */
    OS_UPDATE,
    /**
     * Change device settings. Parameters, each optional: {@code deviceName}, {@code hostName}, {@code timeZone}
     * (an IANA name), and the switches {@code bluetooth}, {@code dataRoaming}, {@code voiceRoaming},
     * {@code personalHotspot}; a platform applies those it has.
     */
    SETTINGS,
    /** A platform-native command passed through unchanged. */
    RAW
}
