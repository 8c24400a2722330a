package dev.shepherd.api.device;

/**
 * How far a device has got with what the server assigns it now ({@link DeviceSetup#progress}): the settings of its
 * effective policy and the apps its assignments require (apps only offered to its user are not counted).
 *
 * <p>A setting or app is <em>pending</em> while the device has not confirmed or refused it (including one the kernel
 * has not yet sent), <em>installed</em> once the device confirmed it, and <em>failed</em> once the device refused it,
 * the store could not supply it, or the device's platform has no equivalent of the setting. A failure does not hold a
 * device back: {@link #finished()} counts it as done, so a device waiting in Setup Assistant is released and the
 * failure shown on its page, as Jamf Pro and Intune do.
 *
 * @param settingsInstalled settings the device confirmed
 * @param settingsPending settings not yet confirmed or refused
 * @param settingsFailed settings refused, or that the platform cannot apply
 * @param appsInstalled required apps the device reports installed
 * @param appsPending required apps not yet installed and not failed
 * @param appsFailed required apps whose install failed
 * @since 0.12.1
 */
public record SetupProgress(int settingsInstalled, int settingsPending, int settingsFailed,
                            int appsInstalled, int appsPending, int appsFailed) {

    /** Validates the counts. */
    public SetupProgress {
        if (settingsInstalled < 0 || settingsPending < 0 || settingsFailed < 0 || appsInstalled < 0 || appsPending < 0 || appsFailed < 0) {
            throw new IllegalArgumentException("setup progress counts are never negative");
        }
    }

    /**
     * @return whether nothing is pending any more: every setting and required app is installed or failed
     * @since 0.12.1
     */
    public boolean finished() {
        return settingsPending == 0 && appsPending == 0;
    }
}
