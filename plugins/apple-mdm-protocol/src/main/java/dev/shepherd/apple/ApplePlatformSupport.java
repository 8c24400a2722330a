package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.platform.SetupRequirement;
import dev.shepherd.api.policy.NativePayload;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;


import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * An Apple platform as the kernel sees it: the signed enrollment profile behind enrollment links, which settings
 * compile to configuration profiles ({@link SettingProfiles}), and which commands have an Apple equivalent. Each
 * platform plugin registers a subclass naming its platform. Devices with new commands are woken through APNs
 * ({@link ApnsPusher}).
 *
 * <p>The push topic is the uploaded push certificate's ({@link PushCertificates}); until one is uploaded, the plugin
 * setting {@code topic}. Plugin setting {@code organization} is shown on the profile, and {@code passcodeDelivery}
 * chooses how passcodes are delivered ({@link SettingDelivery}).
 */
public abstract class ApplePlatformSupport implements PlatformSupport {

    /** An enrollment profile's challenge is good for this long at most, however long the link lives. */
    public static final Duration MAX_CHALLENGE_VALIDITY = Duration.ofDays(7);
    static final String UNCONFIGURED_TOPIC = "com.apple.mgmt.External.unconfigured";
    static final String PUSH_REQUIREMENT = "apple-push";
    private static final String PUSH_TITLE = "Apple push certificate";
    static final String PER_USER_CONNECTIONS = "com.apple.mdm.per-user-connections";

    private final ApnsPusher pusher;
    private final PushCertificates pushCertificates;
    private final Platform platform;
    private final SettingProfiles.Os os;
    private final SettingDelivery delivery;
    private final AppleCommandTranslator translator;
    private final EnrollmentProfiles profiles;

    protected ApplePlatformSupport(CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                                   PushCertificates pushCertificates, ApnsPusher pusher, PluginStorage storage, SecretSealer sealer,
                                   PolicyService policies, Platform platform, SettingProfiles.Os os) {
        this.pusher = requireNonNull(pusher, "pusher is null");
        this.pushCertificates = requireNonNull(pushCertificates, "pushCertificates is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.os = requireNonNull(os, "os is null");
        this.delivery = SettingDelivery.from(config);
        this.translator = new AppleCommandTranslator(storage, sealer, policies, delivery, platform, os);
        this.profiles = new EnrollmentProfiles(authority, signer, config, identity, pushCertificates, os, Clock.systemUTC());
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        return translateCommand(device, command) instanceof CommandTranslation.Translated translated
                ? Optional.of(translated.command()) : Optional.empty();
    }

    /**
     * The same translation the MDM endpoint delivers with ({@link AppleCommandTranslator}): a command plist, the
     * declarations of a declaratively delivered setting, or why the device cannot carry the command out.
     */
    @Override
    public CommandTranslation translateCommand(Device device, Command command) {
        // A device that never enrolled through this plugin has no key yet; nothing is stored under its kernel id.
        String key = DeviceBindings.storageKey(device);
        AppleCommandTranslator.Translation translation = translator.translate(device.id(), key,
                device.hardwareIds().containsKey("enrollmentId"), command);
        if (translation instanceof AppleCommandTranslator.Plist plist) {
            return CommandTranslation.translated(new NativeCommand("application/xml", Plists.xml(plist.plist())));
        }
        if (translation instanceof AppleCommandTranslator.Declarative declarative) {
            DeclarativeManagement declarations = new DeclarativeManagement(Clock.systemUTC());
            String json = declarative.declarations().stream()
                    .map(declaration -> new String(declarations.declarationJson(declaration), StandardCharsets.UTF_8))
                    .collect(Collectors.joining(",", "[", "]"));
            return CommandTranslation.translated(new NativeCommand("application/json", json.getBytes(StandardCharsets.UTF_8)));
        }
        return CommandTranslation.refused(((AppleCommandTranslator.Refused) translation).reason());
    }

    /**
     * The push certificate: without one the plugin cannot wake its devices, and Apple's devices refuse an enrollment
     * profile without a push topic. An expired certificate counts as none.
     */
    @Override
    public List<SetupRequirement> setupRequirements() {
        Optional<PushCertificates.Status> status = pushCertificates.status();
        Optional<String> page = Optional.of(PushCertificatePage.ID);
        if (status.isPresent() && status.get().daysLeft() >= 0) {
            return List.of(SetupRequirement.met(PUSH_REQUIREMENT, PUSH_TITLE, "Topic " + status.get().topic() + ", valid until "
                    + status.get().notAfter() + status.get().warning().map(warning -> ". " + warning).orElse("."), page));
        }
        String found = status.map(expired -> "The push certificate of topic " + expired.topic() + " expired on " + expired.notAfter() + ".")
                .orElse("No push certificate has been uploaded to this plugin.");
        return List.of(SetupRequirement.unmet(PUSH_REQUIREMENT, PUSH_TITLE, found,
                "Create a certificate request on the push certificate page, get Apple's certificate for it at identity.apple.com"
                        + " and upload it there; these devices cannot enroll without it.", page));
    }

    /** Queues an APNs push; false when the device cannot be pushed (no push certificate, or no token from it yet). */
    @Override
    public boolean wake(Device device) {
        // The device's push token is kept under its storage key: its UDID (or EnrollmentID) when its record holds it.
        return pusher.wake(DeviceBindings.storageKey(device));
    }

    @Override
    public Set<String> supportedSettingTypes() {
        Set<String> types = new HashSet<>(SettingProfiles.SUPPORTED_TYPES);
        types.addAll(SettingDeclarations.TYPES);
        return Set.copyOf(types);
    }

    /** A profile, or the declarations (JSON, one payload each) of a setting delivered declaratively. */
    @Override
    public List<NativePayload> compile(Device device, Setting setting) {
        if (delivery.declarative(setting.type())) {
            DeclarativeManagement declarative = new DeclarativeManagement(Clock.systemUTC());
            return SettingDeclarations.compile(setting.key(), setting.type(), setting.value(), os).stream()
                    .map(declaration -> new NativePayload(setting.key(), declaration.identifier(), "application/json",
                            declarative.declarationJson(declaration)))
                    .toList();
        }
        // A Wi-Fi network or VPN carries the certificate settings it names, as when it is delivered.
        NSDictionary profile = SettingProfiles.compile(setting.key(), setting.type(), setting.value(), os,
                name -> translator.certificateSetting(device.id(), name));
        return List.of(new NativePayload(setting.key(), SettingProfiles.identifier(setting.key()), "application/x-apple-aspen-config",
                Plists.xml(profile)));
    }

    @Override
    public Optional<EnrollmentArtifact> enrollmentArtifact(EnrollmentInvitation invitation) {
        return Optional.of(profiles.artifact(invitation));
    }
}
