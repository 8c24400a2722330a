package dev.shepherd.plugins.android;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.platform.SetupRequirement;
import dev.shepherd.api.policy.NativePayload;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Android as the kernel sees it: enrollment links answered with a page holding the Android enrollment QR code and
 * link, the setting types that compile into an AMAPI policy, and wake-ups that hand the device's commands to the
 * plugin's worker, since Android devices never contact Shepherd themselves.
 */
@Extension
public final class AndroidPlatform implements PlatformSupport {

    private static final Logger log = LoggerFactory.getLogger(AndroidPlatform.class);
    private static final String ENTERPRISE_REQUIREMENT = "android-enterprise";
    private static final String ENTERPRISE_TITLE = "Android Enterprise binding";

    private final Enrollment enrollment;
    private final Enterprises enterprises;
    private final DeviceWork work;
    private final DevicePolicies devicePolicies;
    private final DeviceApps deviceApps;
    private final String organization;
    private final PolicyCompiler compiler = new PolicyCompiler();
    private final AndroidCommands commands = new AndroidCommands();

    @Inject
    public AndroidPlatform(Enrollment enrollment, Enterprises enterprises, DeviceWork work, DevicePolicies devicePolicies, DeviceApps deviceApps, PluginConfig config) {
        this.deviceApps = requireNonNull(deviceApps, "deviceApps is null");
        this.enrollment = requireNonNull(enrollment, "enrollment is null");
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
        this.work = requireNonNull(work, "work is null");
        this.devicePolicies = requireNonNull(devicePolicies, "devicePolicies is null");
        this.organization = requireNonNull(config, "config is null").get("organization", "your organisation");
    }

    @Override
    public Platform platform() {
        return Platform.ANDROID;
    }

    /** The Android Enterprise binding: without one, no enrollment token can be made and no device enrolls. */
    @Override
    public List<SetupRequirement> setupRequirements() {
        Optional<String> page = Optional.of(EnterprisePage.ID);
        return List.of(enterprises.bound()
                .map(enterprise -> SetupRequirement.met(ENTERPRISE_REQUIREMENT, ENTERPRISE_TITLE, "Bound to " + enterprise + ".", page))
                .orElseGet(() -> SetupRequirement.unmet(ENTERPRISE_REQUIREMENT, ENTERPRISE_TITLE, "No Android Enterprise is bound.",
                        "Upload the Google Cloud service-account key, then sign up for an enterprise or bind an existing one;"
                                + " Android devices cannot enroll until one is bound.", page)));
    }

    /** Managed Google Play lists the apps a device's policy makes {@code AVAILABLE}; the user installs them from there. */
    @Override
    public boolean offersAvailableApps() {
        return true;
    }

    @Override
    public Set<String> supportedSettingTypes() {
        Set<String> types = new HashSet<>(PolicyCompiler.KERNEL_TYPES);
        types.addAll(AndroidSettingTypes.ALL);
        return Set.copyOf(types);
    }

    /** The policy fragment the setting alone compiles to; the device gets it merged into its one policy. */
    @Override
    public List<NativePayload> compile(Device device, Setting setting) {
        PolicyCompiler.Compiled compiled = compiler.compileSetting(setting, devicePolicies.workProfile(device));
        if (compiled.refused().containsKey(setting.key())) {
            return List.of();
        }
        return List.of(new NativePayload(setting.key(), "shepherd-" + compiled.hash(), "application/json",
                compiled.policy().toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Ending management is {@code enterprises.devices.delete} either way, which Google follows with a wipe: the work
     * profile's removal where Android manages only that (ENTERPRISE_WIPE), a factory reset of a fully managed device
     * (WIPE; Android cannot release a fully managed device without one), with external storage too when it is wiped.
     */
    @Override
    public Optional<ManagementEnd> endManagement(Device device, boolean wipe) {
        if (devicePolicies.workProfile(device)) {
            return Optional.of(new ManagementEnd(CommandType.ENTERPRISE_WIPE, Map.of("message", "Your organisation no longer manages this device.")));
        }
        return Optional.of(new ManagementEnd(CommandType.WIPE, wipe ? Map.of("wipeExternalStorage", true) : Map.of()));
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        return translateCommand(device, command) instanceof CommandTranslation.Translated translated
                ? Optional.of(translated.command()) : Optional.empty();
    }

    /**
     * What the worker carries out for the command: a setting merged into the device's one policy (refused with the
     * compiler's reason when Android cannot express its values), or an Android Management API action
     * ({@link AndroidCommands}, the worker's own translation); or why Android cannot carry it out.
     */
    @Override
    public CommandTranslation translateCommand(Device device, Command command) {
        Map<String, Object> parameters = command.parameters();
        boolean workProfile = devicePolicies.workProfile(device);
        if (command.type() == CommandType.INSTALL_PROFILE) {
            if (!(parameters.get("settingKey") instanceof String key) || !(parameters.get("settingType") instanceof String type)
                    || !(parameters.get("value") instanceof Map<?, ?> value)) {
                return CommandTranslation.refused("Android applies policy settings only: settingKey, settingType and value");
            }
            @SuppressWarnings("unchecked")
            Setting setting = new Setting(type, key, (Map<String, Object>) value);
            PolicyCompiler.Compiled compiled = compiler.compileSetting(setting, workProfile);
            if (compiled.refused().containsKey(key)) {
                return CommandTranslation.refused(compiled.refused().get(key));
            }
            return CommandTranslation.translated(new NativeCommand("application/json", compiled.policy().toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (command.type() == CommandType.REMOVE_PROFILE) {
            // Leaving the setting out of the device's one policy.
            return CommandTranslation.translated(new NativeCommand("application/json", "{\"policy\":true}".getBytes(StandardCharsets.UTF_8)));
        }
        if (DeviceApps.APP_COMMANDS.contains(command.type())) {
            // Apps are installed, updated and removed through the device's policy: the entry the command puts there.
            DeviceApps.Change change = deviceApps.change(command.type(), parameters);
            if (change instanceof DeviceApps.Put put) {
                return CommandTranslation.translated(new NativeCommand("application/json", put.entry().toString().getBytes(StandardCharsets.UTF_8)));
            }
            return CommandTranslation.refused(((DeviceApps.Refused) change).reason());
        }
        AndroidCommands.Action action = commands.translate(command, workProfile);
        if (action instanceof AndroidCommands.Issue issue) {
            return CommandTranslation.translated(new NativeCommand("application/json", issue.command().toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (action instanceof AndroidCommands.Delete delete) {
            String flags = delete.wipeDataFlags().stream().map(flag -> "\"" + flag + "\"").collect(java.util.stream.Collectors.joining(","));
            return CommandTranslation.translated(new NativeCommand("application/json",
                    ("{\"delete\":true,\"wipeDataFlags\":[" + flags + "]}").getBytes(StandardCharsets.UTF_8)));
        }
        if (action instanceof AndroidCommands.Refresh) {
            return CommandTranslation.translated(new NativeCommand("application/json", "{\"get\":true}".getBytes(StandardCharsets.UTF_8)));
        }
        return CommandTranslation.refused(((AndroidCommands.Refuse) action).reason());
    }

    /** Hands the device's commands to the worker; true when the device is managed through the bound enterprise. */
    @Override
    public boolean wake(Device device) {
        return work.wake(device);
    }

    /** An HTML page with the QR code and link, or empty (the kernel answers 404) when Google is not set up or refuses. */
    @Override
    public Optional<EnrollmentArtifact> enrollmentArtifact(EnrollmentInvitation invitation) {
        try {
            Enrollment.AndroidToken token = enrollment.tokenFor(invitation);
            return Optional.of(new EnrollmentArtifact("enroll-android.html", "text/html; charset=utf-8",
                    enrollment.page(token, invitation.ownership(), organization), Optional.of(token.link())));
        } catch (GoogleException e) {
            log.warn("No Android enrollment token: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
