package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The one translation of kernel commands into Apple command plists. The platform support asks it when a command is
 * issued, the MDM endpoint when it delivers the command, so what is refused at issue and what is sent never disagree.
 *
 * <p>Besides what {@link AppleCommands} cannot express, it refuses what Apple forbids on the device: commands a
 * user-enrolled device does not take, a RAW command whose RequestType the OS does not know ({@link AppleSchema}), and
 * on an iPhone or iPad known to be unsupervised (its inventory said {@code IsSupervised} false) the commands, Settings
 * items, profile payloads and payload keys Apple's schemas mark supervised-only.
 */
public final class AppleCommandTranslator {

    /** Where the device's supervision, as its inventory last reported it, is kept ({@code true} or {@code false}). */
    static final String SUPERVISED = "supervised/";
    static final String UNLOCK_TOKEN = "unlock-token/";
    /**
     * How long the MDM endpoint goes by a supervision it read: every command it delivers that Apple restricts to
     * supervised devices asks for it, and it changes only when the device is erased and enrolled again. A change another
     * node recorded is seen here within this; until then a command Apple restricts is sent to a device no longer
     * supervised, which refuses it itself (the command fails with the device's reason), or one is refused to a device
     * just supervised and may be issued again. A change recorded on this node is seen at once.
     */
    static final Duration SUPERVISION_FRESH_FOR = Duration.ofSeconds(60);
    private static final int MAX_SUPERVISIONS_KEPT = 100_000;

    /** What a command becomes. */
    public sealed interface Translation {
    }

    /** @param plist the command to send */
    public record Plist(NSDictionary plist) implements Translation {
        public Plist {
            requireNonNull(plist, "plist is null");
        }
    }

    /**
     * A setting delivered declaratively: {@link DeviceDeclarations} sends it, through a DeclarativeManagement command.
     *
     * @param declarations what the setting compiles to
     */
    public record Declarative(List<DeclarativeManagement.Declaration> declarations) implements Translation {
        public Declarative {
            declarations = List.copyOf(declarations);
        }
    }

    /** @param reason why the device cannot carry out the command */
    public record Refused(String reason) implements Translation {
        public Refused {
            requireNonNull(reason, "reason is null");
        }
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final PolicyService policies;
    private final SettingDelivery delivery;
    private final Platform platform;
    private final SettingProfiles.Os os;
    private final FileVaultEscrow escrow;
    private final RecentValues supervision;

    /** A translator that reads the device's supervision each time it needs it (when a command is issued). */
    public AppleCommandTranslator(PluginStorage storage, SecretSealer sealer, PolicyService policies, SettingDelivery delivery,
                                  Platform platform, SettingProfiles.Os os) {
        this(storage, sealer, policies, delivery, platform, os, Duration.ZERO, Clock.systemUTC());
    }

    /**
     * @param supervisionFreshFor how long a device's supervision once read is gone by ({@link #SUPERVISION_FRESH_FOR}
     *        for the MDM endpoint, which asks on every message)
     */
    AppleCommandTranslator(PluginStorage storage, SecretSealer sealer, PolicyService policies, SettingDelivery delivery,
                           Platform platform, SettingProfiles.Os os, Duration supervisionFreshFor, Clock clock) {
        this.supervision = new RecentValues(storage, supervisionFreshFor, MAX_SUPERVISIONS_KEPT, clock);
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.policies = requireNonNull(policies, "policies is null");
        this.delivery = requireNonNull(delivery, "delivery is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.os = requireNonNull(os, "os is null");
        this.escrow = new FileVaultEscrow(storage, sealer);
    }

    /** The escrow identity FileVault recovery keys are encrypted to; the endpoint opens what devices report with it. */
    FileVaultEscrow escrow() {
        return escrow;
    }

    /**
     * @param device the kernel's device
     * @param deviceKey the key the device's messages are kept under (its UDID, or its EnrollmentID's key)
     * @param userEnrolled whether the device is user-enrolled (personal)
     * @param command the command
     * @return the plist, a declarative delivery, or the reason the device cannot carry the command out; never throws
     *         for a malformed command
     */
    public Translation translate(DeviceId device, String deviceKey, boolean userEnrolled, Command command) {
        requireNonNull(device, "device is null");
        requireNonNull(deviceKey, "deviceKey is null");
        requireNonNull(command, "command is null");
        try {
            if (declarativeSetting(command)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> value = (Map<String, Object>) command.parameters().get("value");
                return new Declarative(SettingDeclarations.compile((String) command.parameters().get("settingKey"),
                        (String) command.parameters().get("settingType"), value, os));
            }
            // The unlock token is read and unsealed only for the one command that needs it.
            Optional<byte[]> unlockToken = command.type() == CommandType.CLEAR_PASSCODE
                    ? storage.get(UNLOCK_TOKEN + deviceKey).map(sealer::open) : Optional.empty();
            // Only a Mac's FileVault profiles carry the escrow certificate (created on first use).
            Optional<X509Certificate> escrowCertificate = os == SettingProfiles.Os.MACOS
                    && command.type() == CommandType.INSTALL_PROFILE && "encryption".equals(command.parameters().get("settingType"))
                    ? Optional.of(escrow.certificate()) : Optional.empty();
            Optional<NSDictionary> plist = AppleCommands.toPlist(command, unlockToken, os, name -> certificateSetting(device, name),
                    escrowCertificate);
            if (plist.isEmpty()) {
                return new Refused(command.type() + " has no equivalent on " + platform.id() + " (or lacks a parameter it needs)");
            }
            Optional<String> refusal = refusal(plist.get(), deviceKey, userEnrolled, command);
            return refusal.isPresent() ? new Refused(refusal.get()) : new Plist(plist.get());
        } catch (PlistException e) {
            return new Refused("the " + command.type() + " command's plist is unusable: " + e.getMessage());
        } catch (SettingProfiles.UnsupportedSettingException e) {
            return new Refused(e.getMessage());
        } catch (RuntimeException e) {
            // A parameter of the wrong shape (bad base64, a number where text belongs): the command's fault, not the plugin's.
            return new Refused(command.type() + " cannot be expressed on " + platform.id() + ": " + e.getMessage());
        }
    }

    /** Whether the device is known to be unsupervised: its inventory reported IsSupervised false. */
    boolean knownUnsupervised(String deviceKey) {
        return supervision.get(SUPERVISED + deviceKey).map(value -> new String(value, StandardCharsets.UTF_8).equals("false")).orElse(false);
    }

    /** Remembers the device's supervision as its inventory reports it. */
    void recordSupervision(String deviceKey, Map<String, String> inventory) {
        Optional.ofNullable(inventory.get("apple.IsSupervised")).or(() -> Optional.ofNullable(inventory.get("apple.security.IsSupervised")))
                .map(value -> Boolean.toString(Boolean.parseBoolean(value)))
                .map(value -> value.getBytes(StandardCharsets.UTF_8))
                // Written only when it changed: every DeviceInformation answer carries it, and it almost never does. Compared
                // with what the storage holds now, not with what was read a while ago, which another node may have changed.
                .filter(value -> !supervision.getFresh(SUPERVISED + deviceKey).map(stored -> Arrays.equals(stored, value)).orElse(false))
                .ifPresent(value -> supervision.put(SUPERVISED + deviceKey, value));
    }

    private boolean declarativeSetting(Command command) {
        Map<String, Object> parameters = command.parameters();
        return command.type() == CommandType.INSTALL_PROFILE && parameters.get("settingKey") instanceof String
                && parameters.get("settingType") instanceof String type && delivery.declarative(type)
                && parameters.get("value") instanceof Map<?, ?>;
    }

    private Optional<String> refusal(NSDictionary plist, String deviceKey, boolean userEnrolled, Command command) {
        if (!(plist.objectForKey("Command") instanceof NSDictionary request) || Plists.string(request, "RequestType") == null) {
            return Optional.of("an Apple command is a plist dictionary whose Command dictionary names a RequestType");
        }
        String requestType = Plists.string(request, "RequestType");
        if (!AppleSchema.knownRequestTypes(os).contains(requestType)) {
            return Optional.of("RequestType " + requestType + " is not an MDM command " + platform.id() + " knows (Apple's device-management schemas)");
        }
        if (command.type() == CommandType.RAW && endsManagement(request)) {
            // Erasing the device or removing its enrollment ends management: that goes through WIPE / ENTERPRISE_WIPE (or the
            // retire and wipe actions), which also revoke its identity; a raw one would leave the record ENROLLED.
            return Optional.of("a RAW command may not erase the device or remove its enrollment profile: send WIPE or "
                    + "ENTERPRISE_WIPE (or retire or wipe the device), which also end its management");
        }
        if (userEnrolled && !AppleCommands.allowedInUserEnrollment(plist, os)) {
            return Optional.of(command.type() + " is not allowed on a user-enrolled (personal) device");
        }
        // The device's supervision is read only for a command that can need it (one plugin storage read less per
        // command otherwise).
        boolean maySupervise = AppleSchema.supervisedCommands().contains(requestType) || requestType.equals("Settings")
                || requestType.equals("InstallProfile");
        if (os != SettingProfiles.Os.IOS || !maySupervise || !knownUnsupervised(deviceKey)) {
            return Optional.empty();
        }
        List<String> supervisedOnly = new ArrayList<>();
        if (AppleSchema.supervisedCommands().contains(requestType)) {
            supervisedOnly.add(requestType);
        }
        if (requestType.equals("Settings") && request.objectForKey("Settings") instanceof NSArray items) {
            for (NSObject item : items.getArray()) {
                if (item instanceof NSDictionary setting && AppleSchema.supervisedSettings().contains(Plists.string(setting, "Item"))) {
                    supervisedOnly.add("Settings item " + Plists.string(setting, "Item"));
                }
            }
        }
        if (requestType.equals("InstallProfile") && request.objectForKey("Payload") instanceof NSData payload) {
            supervisedOnly.addAll(supervisedOnlyIn(payload.bytes()));
        }
        if (supervisedOnly.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(String.join(", ", supervisedOnly) + " need" + (supervisedOnly.size() == 1 ? "s" : "")
                + " a supervised device (Apple's device-management schemas mark " + (supervisedOnly.size() == 1 ? "it" : "them")
                + " supervised-only); this device reports IsSupervised false");
    }

    /** Whether an Apple command erases the device or removes the enrollment (MDM) profile. */
    private static boolean endsManagement(NSDictionary request) {
        String requestType = Plists.string(request, "RequestType");
        return "EraseDevice".equals(requestType)
                || ("RemoveProfile".equals(requestType) && EnrollmentProfile.IDENTIFIER.equals(Plists.string(request, "Identifier")));
    }

    /** The supervised-only payload types and keys a profile holds; none for a signed profile, which is not read here. */
    private static List<String> supervisedOnlyIn(byte[] profileBytes) {
        NSDictionary profile;
        try {
            profile = Plists.dictionary(profileBytes);
        } catch (PlistException signedOrMalformed) {
            return List.of();
        }
        List<String> found = new ArrayList<>();
        TreeSet<String> topLevel = new TreeSet<>(AppleSchema.supervisedPayloadKeys("TopLevel"));
        topLevel.retainAll(List.of(profile.allKeys()));
        topLevel.forEach(key -> found.add("profile key " + key));
        if (profile.objectForKey("PayloadContent") instanceof NSArray payloads) {
            for (NSObject item : payloads.getArray()) {
                if (!(item instanceof NSDictionary payload) || Plists.string(payload, "PayloadType") == null) {
                    continue;
                }
                String type = Plists.string(payload, "PayloadType");
                if (AppleSchema.supervisedPayloadTypes().contains(type)) {
                    found.add("payload " + type);
                    continue;
                }
                TreeSet<String> keys = new TreeSet<>(AppleSchema.supervisedPayloadKeys(type));
                keys.retainAll(List.of(payload.allKeys()));
                keys.forEach(key -> found.add(type + " key " + key));
            }
        }
        return found;
    }

    /** The device's certificate setting of a name, which a Wi-Fi or VPN setting may refer to. */
    Optional<Map<String, Object>> certificateSetting(DeviceId device, String name) {
        return policies.effectivePolicy(device).settings().stream()
                .filter(setting -> setting.type().equals("certificate") && name.equals(setting.value().get("name")))
                .findFirst().map(Setting::value);
    }
}
