package dev.shepherd.api.device;

/**
 * Whether a device has what the server assigns it, for a platform that holds a new device back until it does, such
 * as Apple's Automated Device Enrollment with {@code await_device_configured}: Setup Assistant waits until the server
 * sends {@code DeviceConfigured}. Injectable into plugins like {@link DeviceRegistry}.
 *
 * <p>The kernel answers from what it records anyway: the states of the settings of the device's effective policy
 * (as the device's answers and a platform's {@code PolicyService.reportActual} set them) and the install states of
 * the apps its assignments require. Ask again after each message of the device: the answer changes as the device
 * answers its commands, and when an admin changes its groups, policies or app assignments.
 *
 * @since 0.12.1
 */
public interface DeviceSetup {

    /**
     * How far a device has got with what the server assigns it now.
     *
     * @param device the device
     * @return its progress; all zero (and so {@linkplain SetupProgress#finished() finished}) for a device that is
     *         assigned nothing, and for one the kernel does not know
     * @since 0.12.1
     */
    SetupProgress progress(DeviceId device);
}
