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
    /** Install an application. */
    INSTALL_APP,
    /** Remove an application. */
    REMOVE_APP,
    /** Update an application. */
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
