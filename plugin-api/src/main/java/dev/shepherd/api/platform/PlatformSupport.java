package dev.shepherd.api.platform;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.NativePayload;
import dev.shepherd.api.policy.Setting;
import org.pf4j.ExtensionPoint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an OS platform plugin contributes beyond its device-facing endpoints: which settings and commands it
 * supports, how a setting becomes a native payload, how a command becomes a native command, and how a device
 * is woken up to fetch its work.
 *
 * <p>Enrollment and the device protocol itself live in the plugin's {@link dev.shepherd.api.http.DeviceEndpoint}s.
 */
public interface PlatformSupport extends ExtensionPoint {

    /**
     * The platform this plugin manages.
     *
     * @return the platform
     */
    Platform platform();

    /**
     * The setting types this platform can apply; others are reported {@code NOT_SUPPORTED}.
     *
     * @return setting type names
     */
    default Set<String> supportedSettingTypes() {
        return Set.of();
    }

    /**
     * Compiles one setting into native payloads for a device.
     *
     * @param device the device
     * @param setting the setting, of a supported type
     * @return the payloads, empty when nothing needs installing
     */
    default List<NativePayload> compile(Device device, Setting setting) {
        return List.of();
    }

    /**
     * Whether a command can be carried out on a device, and in what native form.
     *
     * @param device the device
     * @param command the command
     * @return the native command, or empty when the platform has no equivalent
     */
    default Optional<NativeCommand> translate(Device device, Command command) {
        return Optional.empty();
    }

    /**
     * Whether a command can be carried out on a device, in what native form, and if not, why. The kernel calls it when
     * a command is issued (by an admin, for each target of a fan-out, by compliance remediation and by policy
     * reconciliation) and refuses what comes back {@link CommandTranslation.Refused} with its reason, so nothing the
     * platform cannot express is queued. A plugin should encode commands at delivery with the same function.
     *
     * <p>The default answers from {@link #translate}: its native command, or, when it has none,
     * {@link CommandTranslation.NotChecked}, so a plugin written before this method keeps deciding at delivery as it
     * did. Override it to refuse at issue with the real reason (no equivalent, a malformed parameter, a command the
     * device's state forbids).
     *
     * @param device the device
     * @param command the command, with the id it is queued under
     * @return the native command, the reason it cannot be carried out, or that the plugin does not check at issue
     * @since 0.4.0
     */
    default CommandTranslation translateCommand(Device device, Command command) {
        return translate(device, command).map(CommandTranslation::translated).orElseGet(CommandTranslation::notChecked);
    }

    /**
     * Whether the platform's own store can offer an app to the device's user without installing it, so that they
     * install it themselves (managed Google Play lists the apps an Android policy makes {@code AVAILABLE}). When it
     * can, the kernel carries an AVAILABLE assignment out on the platform's devices as an {@code INSTALL_APP} with
     * {@link AppInstallation#OFFER} set, which the plugin answers once the app is offered
     * (not once it is installed: the device's app inventory tells that). When it cannot (the default), AVAILABLE apps
     * are offered only in the server's self-service portal.
     *
     * @return true when AVAILABLE apps are offered in the platform's store
     * @since 0.10.0
     */
    default boolean offersAvailableApps() {
        return false;
    }

    /**
     * Asks the device to contact the server soon, through the platform's push service.
     *
     * @param device the device
     * @return true when the push was accepted by the push service
     */
    default boolean wake(Device device) {
        return false;
    }

    /**
     * What must be set up in this plugin before its platform's devices can enroll, and whether each is done: the
     * kernel's setup checklist and its enrollment-link warnings show them. Answer from the plugin's own state (what
     * its settings hold), without a remote call: the kernel asks whenever an admin opens the checklist or the
     * enrollment form. The default, nothing, suits a platform whose devices need no setup in the plugin.
     *
     * @return the requirements, in the order to do them
     * @since 0.12.1
     */
    default List<SetupRequirement> setupRequirements() {
        return List.of();
    }

    /**
     * Builds what a user needs to enroll a device: a profile, a link or a QR code payload.
     *
     * @param invitation the enrollment token and its bindings
     * @return the artifact, or empty when this platform enrolls some other way
     */
    default Optional<EnrollmentArtifact> enrollmentArtifact(EnrollmentInvitation invitation) {
        return Optional.empty();
    }

    /**
     * How management of a device ends when an admin retires or wipes it: the one command the kernel queues as the
     * device's last. From then on the device is RETIRED or WIPED and is handed that command only; once the device has
     * answered it (or the platform has carried it out at the vendor's cloud), the platform revokes the device's
     * identity, so nothing the device sends afterwards is accepted. Every platform ends management this way.
     *
     * <p>The default is {@link ManagementEnd#standard}: {@code WIPE} for a wipe, {@code ENTERPRISE_WIPE} (remove what
     * the organisation installed and unenroll) for a retirement.
     *
     * @param device the device, still in its managed state
     * @param wipe true to erase the device, false to retire it
     * @return the final command, or empty when the device need not be told anything
     */
    default Optional<ManagementEnd> endManagement(Device device, boolean wipe) {
        return Optional.of(ManagementEnd.standard(wipe));
    }
}
