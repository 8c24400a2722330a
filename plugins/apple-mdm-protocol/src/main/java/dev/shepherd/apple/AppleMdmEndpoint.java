package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDate;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import dev.shepherd.api.command.AnswerAndNext;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceSetup;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.EventPublisher;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.policy.PolicyService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Apple's MDM check-in ({@code /mdm/<plugin>/checkin}) and command ({@code /mdm/<plugin>/connect}) endpoints, the
 * same protocol for iPhone, iPad and Mac; each platform plugin registers a subclass naming its platform.
 *
 * <p>Every request is authenticated by the device's identity certificate, presented over TLS or as the signer of
 * the {@code Mdm-Signature} header, and accepted only if the kernel's CA issued it and has not revoked it. At
 * Authenticate the certificate is bound to the UDID it enrolls (or, under user enrollment, the EnrollmentID) and to the
 * kernel device the enrollment gave it; afterwards a certificate can only speak for that device, so no device can act as
 * another. A device is found by the certificate it proves, never by the UDID it asserts ({@link DeviceBindings}): a
 * newcomer asserting an enrolled device's UDID gets a record of its own from the kernel and shares nothing with it.
 * An Authenticate with the certificate already bound proves the device and re-enrolls it without a token. Identity
 * certificates near expiry are renewed over MDM ({@link IdentityRenewal}). A Mac's user channel speaks with the
 * same certificate for the same device, so its users can act for their own device only; it is offered no commands.
 */
public abstract class AppleMdmEndpoint implements DeviceEndpoint {

    /** Inventory key telling how the device enrolled: {@code device} (by UDID) or {@code user} (user enrollment, by EnrollmentID). */
    public static final String ENROLLMENT_INVENTORY_KEY = "apple.enrollment";
    private static final Logger log = LoggerFactory.getLogger(AppleMdmEndpoint.class);
    /** Marks a DeclarativeManagement command sent for a setting until the device acknowledges it. */
    static final String SYNC_COMMAND = "ddm-command/";
    /** Marks a request for part of the installed apps until the device answers it. */
    static final String PARTIAL_LIST = "partial-list/";
    /** Marks the command that ends a device's management until the device answers it. */
    static final String FINAL_COMMAND = "final-command/";
    /** Marks the plugin's own InstalledApplicationList, asked after an app command, until the device answers it. */
    static final String APP_LIST_COMMAND = "app-list-command/";
    /** The kernel commands after whose acknowledgement the plugin asks the device for its apps. */
    private static final Set<CommandType> APP_COMMANDS = Set.of(CommandType.INSTALL_APP, CommandType.UPDATE_APP, CommandType.REMOVE_APP);

    private final DeviceRegistry registry;
    private final CommandBus commands;
    private final CertificateAuthority authority;
    private final PluginStorage storage;
    private final DeviceBindings bindings;
    private final SecretSealer sealer;
    private final Platform platform;
    private final SettingProfiles.Os os;
    private final PolicyService policies;
    private final DeviceDeclarations declarations;
    private final IdentityRenewal renewal;
    private final Clock clock;
    private final AppleCommandTranslator translator;
    private final FileVaultEscrow escrow;
    private final AdeAwaitConfiguration awaitConfiguration;
    private final MdmSignature signatures = new MdmSignature();
    /** About as many parsers as messages are read at once. */
    private final Plists.Reader plists = new Plists.Reader(16);

    /**
     * @param config the plugin settings; {@code passcodeDelivery} chooses how passcodes are delivered ({@link SettingDelivery}),
     *        {@code identityRenewalDays} how long before expiry identity certificates are renewed ({@link IdentityRenewal})
     * @param clock the kernel's clock
     * @throws IllegalArgumentException when a plugin setting is malformed
     */
    protected AppleMdmEndpoint(DeviceRegistry registry, CommandBus commands, CertificateAuthority authority, PluginStorage storage,
                               SecretSealer sealer, PolicyService policies, DeviceSetup setup, PluginConfig config,
                               ServerSigner signer, ServerAddress address, PluginIdentity identity, EventPublisher events,
                               AdeSyncScheduler schedule, ApnsPusher pusher, Clock clock, Platform platform, SettingProfiles.Os os) {
        this.clock = requireNonNull(clock, "clock is null");
        this.renewal = new IdentityRenewal(authority, signer, address, identity, storage, config, clock);
        this.policies = Objects.requireNonNull(policies, "policies is null");
        this.declarations = new DeviceDeclarations(storage, new DeclarativeManagement(Clock.systemUTC()),
                SettingDelivery.from(Objects.requireNonNull(config, "config is null")));
        this.sealer = Objects.requireNonNull(sealer, "sealer is null");
        this.registry = Objects.requireNonNull(registry, "registry is null");
        this.commands = Objects.requireNonNull(commands, "commands is null");
        this.authority = Objects.requireNonNull(authority, "authority is null");
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.bindings = new DeviceBindings(storage);
        this.platform = Objects.requireNonNull(platform, "platform is null");
        this.os = Objects.requireNonNull(os, "os is null");
        this.translator = new AppleCommandTranslator(storage, sealer, policies, SettingDelivery.from(config), platform, os,
                AppleCommandTranslator.SUPERVISION_FRESH_FOR, clock);
        this.escrow = translator.escrow();
        this.awaitConfiguration = new AdeAwaitConfiguration(storage, registry, setup, events, identity, config, clock);
        requireNonNull(pusher, "pusher is null");
        requireNonNull(schedule, "schedule is null").watchReleases(platform, () -> awaitConfiguration.overdueToWake()
                .forEach(device -> registry.find(device).ifPresent(found -> pusher.wake(DeviceBindings.storageKey(found)))));
    }

    @Override
    public int maxBodyBytes() {
        return Plists.MAX_BYTES;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("PUT") && !request.method().equals("POST")) {
            return DeviceResponse.text(405, "Apple MDM messages are sent with PUT").withHeader("Allow", "PUT");
        }
        byte[] body = request.body();
        Optional<X509Certificate> identity = request.clientCertificates().stream().findFirst()
                .or(() -> request.header("Mdm-Signature").flatMap(signature -> signatures.verify(signature, body)));
        if (identity.isEmpty()) {
            return DeviceResponse.text(401, "no device identity: present the identity certificate or a valid Mdm-Signature");
        }
        Optional<IssuedCertificate> issued = authority.verify(List.of(identity.get()));
        if (issued.isEmpty()) {
            return DeviceResponse.text(403, "the identity certificate was not issued by this server, has expired or was revoked");
        }
        NSDictionary message;
        try {
            message = plists.dictionary(body);
        } catch (PlistException e) {
            return DeviceResponse.problem(400, "Malformed MDM message", e.getMessage());
        }
        try {
            return switch (request.path()) {
                case "/checkin" -> checkIn(CheckIn.parse(message), issued.get());
                case "/connect" -> connect(CommandReport.parse(message), issued.get());
                default -> DeviceResponse.text(404, "Apple MDM endpoints are /checkin and /connect");
            };
        } catch (PlistException e) {
            return DeviceResponse.problem(400, "Malformed MDM message", e.getMessage());
        }
    }

    private DeviceResponse checkIn(CheckIn message, IssuedCertificate certificate) {
        Sender sender = message.sender();
        if (message.messageType().equals("Authenticate")) {
            if (sender.userChannel()) {
                return DeviceResponse.text(400, "Authenticate is a device-channel message; it carries no UserID");
            }
            Optional<DeviceBindings.Binding> bound = bindings.of(certificate.serialNumber());
            if (bound.isPresent() && !bound.get().deviceKey().equals(sender.deviceKey())) {
                return DeviceResponse.text(403, "this identity certificate belongs to another device");
            }
            if (bound.isPresent() && ended(bound.get().device())) {
                // The identity of a retired or wiped device cannot enroll it again; only a new enrollment can.
                return DeviceResponse.text(403, "the management of device " + sender.id() + " has ended; it must enroll anew");
            }
            if (bound.isEmpty() && isRenewal(certificate)) {
                bound = adoptRenewal(certificate, sender);
                if (bound.isEmpty()) {
                    return DeviceResponse.text(403, "this renewed identity certificate belongs to another device");
                }
            }
            return authenticate(message, certificate, bound);
        }
        Optional<DeviceBindings.Binding> binding = bindingOf(certificate, sender);
        if (binding.isEmpty()) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + sender.id()
                    + " (has it authenticated?)");
        }
        Optional<DeviceId> device = binding.map(DeviceBindings.Binding::device);
        if (sender.userChannel()) {
            return userChannelCheckIn(message, device.get(), binding.get().storageKey());
        }
        String key = binding.get().storageKey();
        if (ended(device.get()) && !message.messageType().equals("CheckOut")) {
            // Until it answers its final command, a retired or wiped device may only fetch that command or leave.
            return DeviceResponse.text(403, "the management of device " + sender.id() + " has ended");
        }
        if (sender.userEnrolled() && message.messageType().endsWith("BootstrapToken")) {
            return DeviceResponse.text(400, "Apple forbids bootstrap tokens under user enrollment");
        }
        switch (message.messageType()) {
            case "TokenUpdate" -> {
                remember("push-token/" + key, message.body().objectForKey("Token"));
                remember("push-magic/" + key, message.body().objectForKey("PushMagic"));
                remember("push-topic/" + key, message.body().objectForKey("Topic"));
                if (message.body().objectForKey("UnlockToken") instanceof NSData unlockToken) {
                    storage.put("unlock-token/" + key, sealer.seal(unlockToken.bytes()));
                }
                registry.recordCheckIn(device.get(), clock.instant());
                return ok();
            }
            case "CheckOut" -> {
                registry.recordUnenrolled(device.get(), "the device sent CheckOut");
                endIdentity(certificate, key);
                return ok();
            }
            case "SetBootstrapToken" -> {
                // macOS escrows the token that lets the server grant secure tokens and authorise updates; an empty
                // or missing token clears it.
                if (message.body().objectForKey("BootstrapToken") instanceof NSData token && token.length() > 0) {
                    storage.put("bootstrap-token/" + key, sealer.seal(token.bytes()));
                } else {
                    storage.delete("bootstrap-token/" + key);
                }
                return ok();
            }
            case "DeclarativeManagement" -> {
                String endpoint = message.string("Endpoint");
                if (endpoint == null) {
                    return DeviceResponse.text(400, "DeclarativeManagement needs an Endpoint");
                }
                Optional<byte[]> data = message.body().objectForKey("Data") instanceof NSData bytes ? Optional.of(bytes.bytes()) : Optional.empty();
                DeclarativeManagement.Answer answer = declarations.handle(key, endpoint, data,
                        inventory -> registry.recordInventory(device.get(), inventory), settingReports(device.get()));
                return answer.json().length == 0 ? DeviceResponse.empty(answer.status())
                        : DeviceResponse.of(answer.status(), "application/json", answer.json());
            }
            case "GetBootstrapToken" -> {
                NSDictionary answer = new NSDictionary();
                storage.get("bootstrap-token/" + key).map(sealer::open)
                        .ifPresent(token -> answer.put("BootstrapToken", new NSData(token)));
                return DeviceResponse.of(200, "application/xml", Plists.xml(answer));
            }
            case "UserAuthenticate" -> {
                return DeviceResponse.text(400, "UserAuthenticate speaks for a user: it needs a UserID");
            }
            default -> {
                return DeviceResponse.text(400, "check-in message " + message.messageType() + " is not supported yet");
            }
        }
    }

    /**
     * Enrolls the device: with proof when the certificate is already bound to it (or renews its bound one), which
     * re-enrolls that device without a token; otherwise with the enrollment token the certificate was issued for,
     * which the kernel never lets take over another device, whatever UDID is asserted.
     */
    private DeviceResponse authenticate(CheckIn message, IssuedCertificate certificate, Optional<DeviceBindings.Binding> proven) {
        Sender sender = message.sender();
        Optional<String> token = proven.isPresent() ? Optional.empty()
                : Optional.ofNullable(certificate.bindings().get(EnrollmentProfiles.ENROLLMENT_TOKEN));
        // Automated Device Enrollment: the identity was issued for the MachineInfo whose signature chained to Apple's
        // device CA; its serial number, never one the device merely asserts, claims the record the sync registered.
        Optional<String> adeSerial = proven.isPresent() || token.isPresent() ? Optional.empty()
                : Optional.ofNullable(certificate.bindings().get(EnrollmentProfiles.ADE_SERIAL));
        if (adeSerial.isPresent() && (sender.userEnrolled() || !sender.id().equals(certificate.bindings().get(EnrollmentProfiles.ADE_UDID)))) {
            return DeviceResponse.text(403, "this identity certificate was issued to the device of another MachineInfo");
        }
        Map<String, String> hardwareIds = adeSerial.isPresent()
                ? Map.of(sender.hardwareIdKind(), sender.id(), AdeDeviceSync.SERIAL, adeSerial.get())
                : Map.of(sender.hardwareIdKind(), sender.id());
        // User enrollment keeps a personal device's identity from the organisation; a corporate token must not
        // enroll a device that hides who it is.
        if (sender.userEnrolled() && token.flatMap(registry::checkEnrollmentToken)
                .filter(grant -> grant.ownership() != Ownership.PERSONAL).isPresent()) {
            return DeviceResponse.text(403, "user enrollment (EnrollmentID) is for personal devices; this enrollment token is corporate");
        }
        Device device;
        try {
            // Under user enrollment Apple withholds the serial number, and the EnrollmentID is the only hardware id.
            // A profile from account-driven enrollment was handed out after the person signed in with their organisation
            // account, whom the token names; any other token came from an enrollment link.
            Optional<String> signedIn = certificate.bindings().containsKey(EnrollmentProfiles.ACCOUNT_DRIVEN)
                    ? token.flatMap(registry::checkEnrollmentToken).flatMap(EnrollmentGrant::userId) : Optional.empty();
            EnrollmentMethod method = token.isEmpty() ? EnrollmentMethod.PROGRAM
                    : signedIn.isPresent() ? EnrollmentMethod.CREDENTIALS : EnrollmentMethod.LINK;
            // An ADE device whose person signed in in the web view (AdeWebView) stays a program enrollment, which is
            // what claims its pre-registered record, and is assigned to that person.
            Optional<String> assignedUser = adeSerial.isPresent()
                    ? Optional.ofNullable(certificate.bindings().get(EnrollmentProfiles.ADE_USER)) : signedIn;
            EnrollmentClaim claim = new EnrollmentClaim(token, platform, method,
                    hardwareIds, sender.userEnrolled() ? "" : adeSerial.orElse(orEmpty(message.string("SerialNumber"))),
                    Optional.ofNullable(message.string("ProductName")).orElse(orEmpty(message.string("Model"))),
                    orEmpty(message.string("OSVersion")), orEmpty(message.string("DeviceName")), assignedUser);
            device = registry.enroll(proven.map(binding -> claim.provenBy(binding.device())).orElse(claim));
        } catch (EnrollmentRefusedException e) {
            return DeviceResponse.text(403, "enrollment refused: " + e.getMessage());
        }
        try {
            // One device, one live identity: any other certificate of this device (an earlier enrollment's) is revoked.
            authority.bindToDevice(certificate.serialNumber(), device.id());
        } catch (IllegalArgumentException e) {
            return DeviceResponse.text(403, "this identity certificate belongs to another device");
        }
        bindings.bind(certificate.serialNumber(), new DeviceBindings.Binding(sender.deviceKey(), device.id(), DeviceBindings.storageKey(device)));
        registry.recordInventory(device.id(), Map.of(ENROLLMENT_INVENTORY_KEY, sender.userEnrolled() ? "user" : "device"));
        // An account-driven device enrollment's profile named the person's account, which Apple requires its identity
        // renewals to repeat unchanged.
        String assignedAccountKey = IdentityRenewal.assignedAccountKey(DeviceBindings.storageKey(device));
        Optional<String> assignedAccount = Optional.ofNullable(certificate.bindings().get(EnrollmentProfiles.ASSIGNED_ACCOUNT));
        if (assignedAccount.isPresent()) {
            storage.put(assignedAccountKey, assignedAccount.get().getBytes(StandardCharsets.UTF_8));
        } else if (proven.isEmpty()) {
            storage.delete(assignedAccountKey);
        }
        if (adeSerial.isPresent() && AdeAwaitConfiguration.awaits(certificate)) {
            awaitConfiguration.enrolled(device.id());
        }
        if (!device.hardwareIds().containsKey(sender.hardwareIdKind())) {
            log.warn("Device {} asserted {} {}, which another device holds, without proving to be it; it is enrolled as {} on its own",
                    sender.deviceKey(), sender.hardwareIdKind(), sender.id(), device.id());
        } else {
            log.info("Device {} authenticated as {}{}", sender.deviceKey(), device.id(), proven.isPresent() ? " (proven by its certificate)" : "");
        }
        return ok();
    }

    /** What the certificate speaks for, adopting a renewal certificate at its first use; empty when it speaks for nobody. */
    private Optional<DeviceBindings.Binding> bindingOf(IssuedCertificate certificate, Sender sender) {
        Optional<DeviceBindings.Binding> bound = bindings.of(certificate.serialNumber());
        if (bound.isEmpty() && isRenewal(certificate)) {
            bound = adoptRenewal(certificate, sender);
        }
        return bound.filter(binding -> binding.deviceKey().equals(sender.deviceKey()));
    }

    private static boolean isRenewal(IssuedCertificate certificate) {
        return certificate.bindings().containsKey(IdentityRenewal.RENEWS_BINDING);
    }

    /**
     * The first message signed by a certificate issued for a renewal: the challenge was handed to the device over its
     * authenticated channel and bound to it, so the new certificate speaks for that device, and the one it replaces is
     * revoked now that the new one is in use.
     */
    private Optional<DeviceBindings.Binding> adoptRenewal(IssuedCertificate certificate, Sender sender) {
        String deviceId = certificate.bindings().get(IdentityRenewal.DEVICE_BINDING);
        String deviceKey = certificate.bindings().get(IdentityRenewal.DEVICE_KEY_BINDING);
        String replaced = certificate.bindings().get(IdentityRenewal.RENEWS_BINDING);
        if (deviceId == null || deviceKey == null || replaced == null || !deviceKey.equals(sender.deviceKey())) {
            return Optional.empty();
        }
        Optional<Device> device = registry.find(DeviceId.parse(deviceId))
                .filter(found -> found.status() != DeviceStatus.RETIRED && found.status() != DeviceStatus.WIPED);
        if (device.isEmpty()) {
            return Optional.empty();
        }
        DeviceBindings.Binding binding = new DeviceBindings.Binding(deviceKey, device.get().id(), DeviceBindings.storageKey(device.get()));
        authority.bindToDevice(certificate.serialNumber(), device.get().id());
        // Bound by an older server, the replaced certificate may not be bound in the CA: revoked by name too.
        authority.revoke(replaced);
        bindings.bind(certificate.serialNumber(), binding);
        bindings.unbind(replaced);
        renewal.completed(replaced);
        log.info("Device {} speaks with its renewed identity certificate {}; certificate {} is revoked", device.get().id(),
                certificate.serialNumber(), replaced);
        return Optional.of(binding);
    }

    /**
     * A Mac's user channel: the same device identity, speaking for one user of that device. Its push token is kept per
     * user. Users are managed without an AuthToken: the answer to UserAuthenticate is an empty DigestChallenge (Apple's
     * "no AuthToken needed"), because the server holds no user passwords a digest could be checked against, and
     * the user channel is authenticated by the device's certificate like the device channel.
     */
    private DeviceResponse userChannelCheckIn(CheckIn message, DeviceId device, String storageKey) {
        Sender sender = message.sender();
        String userKey = userKey(storageKey, sender);
        switch (message.messageType()) {
            case "TokenUpdate" -> {
                remember(userKey + "/push-token", message.body().objectForKey("Token"));
                remember(userKey + "/push-magic", message.body().objectForKey("PushMagic"));
                remember(userKey + "/push-topic", message.body().objectForKey("Topic"));
                remember(userKey + "/short-name", message.body().objectForKey("UserShortName"));
                remember(userKey + "/long-name", message.body().objectForKey("UserLongName"));
                registry.recordCheckIn(device, clock.instant());
                return ok();
            }
            case "UserAuthenticate" -> {
                // Apple: iOS has no UserAuthenticate and user enrollment forbids it; 410 tells the Mac the user is not
                // managed, and it asks no more for this login session.
                if (os != SettingProfiles.Os.MACOS || sender.userEnrolled()) {
                    return DeviceResponse.empty(410);
                }
                NSDictionary answer = new NSDictionary();
                if (message.string("DigestResponse") == null) {
                    answer.put("DigestChallenge", "");
                } else {
                    // No challenge was issued, so no digest can be right: an empty AuthToken is Apple's refusal.
                    answer.put("AuthToken", "");
                }
                return DeviceResponse.of(200, "application/xml", Plists.xml(answer));
            }
            case "CheckOut" -> {
                // The user's channel goes; the device stays enrolled.
                storage.keys(userKey + "/").forEach(storage::delete);
                return ok();
            }
            default -> {
                return DeviceResponse.text(400, "check-in message " + message.messageType() + " is not supported on the user channel");
            }
        }
    }

    private DeviceResponse connect(CommandReport report, IssuedCertificate certificate) {
        Sender sender = report.sender();
        Optional<DeviceBindings.Binding> binding = bindingOf(certificate, sender);
        if (binding.isEmpty()) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + sender.id()
                    + " (has it authenticated?)");
        }
        Optional<DeviceId> device = binding.map(DeviceBindings.Binding::device);
        String storageKey = binding.get().storageKey();
        boolean ended = ended(device.get());
        if (sender.userChannel()) {
            if (ended) {
                return DeviceResponse.text(403, "the management of device " + sender.id() + " has ended");
            }
            if (storage.get(userKey(storageKey, sender) + "/push-token").isEmpty()) {
                return DeviceResponse.text(403, "user " + sender.userId().get() + " has no user channel on device " + sender.id());
            }
            registry.recordCheckIn(device.get(), clock.instant());
            // Kernel commands are device commands: the user channel is offered none, so it can only be Idle.
            return report.status().equals("Idle") ? ok()
                    : DeviceResponse.text(400, "the user channel carries no commands; there is nothing to answer");
        }
        registry.recordCheckIn(device.get(), clock.instant());
        // Taken out before the answer is recorded anywhere: the envelope belongs in the escrow, not in a command result.
        Optional<byte[]> recoveryKey = takeRecoveryKey(report.body());
        if (recoveryKey.isPresent() && report.status().equals("Acknowledged") && !ended) {
            escrowRecoveryKey(device.get(), recoveryKey.get());
        }
        // The next commands when the kernel handed them out with the answer, in its transaction.
        Optional<List<Command>> taken = Optional.empty();
        if (report.status().equals("Idle")) {
            commands.requeueDeferred(device.get());
        } else if (report.commandUuid().isPresent()) {
            UUID uuid = report.commandUuid().get();
            Optional<CommandResult> result = resultOf(report, uuid);
            Optional<Command> answered = Optional.empty();
            boolean kernelCommand = false;
            if (result.isPresent()) {
                try {
                    CommandResult answer = result.get();
                    AnswerAndNext done = commands.recordAnswerAndTake(device.get(), answer,
                            recorded -> goesStraightOn(recorded, answer, ended, certificate), 1);
                    answered = done.answered();
                    taken = done.next();
                    kernelCommand = true;
                } catch (IllegalArgumentException notThisDevicesCommand) {
                    // Perhaps the plugin's own renewal profile: looked at below.
                }
            }
            if (!kernelCommand) {
                // Not a command the kernel holds for this device: the renewal profile or the app list, which only the
                // plugin remembers, or nothing of this device's. Their markers are looked up only then, never for an
                // answer to a kernel command.
                if (appListAnswered(device.get(), storageKey, report, uuid, ended)) {
                    log.debug("Device {} answered the app list asked after an app command: {}", device.get(), report.status());
                } else if (AdeAwaitConfiguration.awaits(certificate)
                        && awaitConfiguration.answered(device.get(), storageKey, uuid, report.status(), String.join("; ", report.errors()))) {
                    log.debug("Device {} answered DeviceConfigured: {}", device.get(), report.status());
                } else if (!renewal.answered(uuid)) {
                    return result.isEmpty() ? DeviceResponse.text(400, "unknown Status " + report.status())
                            : DeviceResponse.text(403, "command " + uuid + " is not this device's");
                } else {
                    log.debug("Device {} answered its identity renewal: {}", device.get(), report.status());
                }
            } else {
                Optional<DeviceResponse> identityEnded = afterAnswer(device.get(), storageKey, report, result.get(), answered, ended,
                        certificate);
                if (identityEnded.isPresent()) {
                    return identityEnded.get();
                }
                if (!ended && result.get().state() == CommandState.ACKNOWLEDGED
                        && answered.map(command -> APP_COMMANDS.contains(command.type())).orElse(false)) {
                    // The device has taken an app to install, update or remove; the catalog moves on only when the
                    // device's inventory shows it done, so the complete app list is asked for at once.
                    Optional<DeviceResponse> appList = askForApps(storageKey, sender);
                    if (appList.isPresent()) {
                        return appList.get();
                    }
                }
            }
        }
        return nextCommand(device.get(), sender, binding.get(), ended, certificate, taken);
    }

    /**
     * Whether the device goes on to its next command once this answer is recorded, with nothing in between that could
     * answer the device otherwise: its management goes on, the answered command left no marker to look up (so it did
     * not end the identity), it was no app command acknowledged (which asks for the app list next), and no renewal of
     * the identity certificate is near (which would go first). Then the kernel hands out the next command in the
     * answer's transaction. Decided from the command as recorded and the certificate alone: no look-up, no call out.
     */
    private boolean goesStraightOn(Optional<Command> answered, CommandResult answer, boolean ended, IssuedCertificate certificate) {
        return !ended && answered.isPresent()
                && markersPossible(answered, answer.commandId(), false).isEmpty()
                && !(answer.state() == CommandState.ACKNOWLEDGED && APP_COMMANDS.contains(answered.get().type()))
                && !renewal.nearExpiry(certificate);
    }

    /**
     * The plugin's own InstalledApplicationList of every app, remembered (for this device's storage key) until the
     * device answers it; none on a user-enrolled Mac, where Apple forbids it.
     */
    private Optional<DeviceResponse> askForApps(String storageKey, Sender sender) {
        NSDictionary request = new NSDictionary();
        request.put("RequestType", "InstalledApplicationList");
        request.put("ManagedAppsOnly", false);
        NSDictionary command = new NSDictionary();
        UUID uuid = UUID.randomUUID();
        command.put("CommandUUID", uuid.toString());
        command.put("Command", request);
        if (sender.userEnrolled() && !AppleCommands.allowedInUserEnrollment(command, os)) {
            return Optional.empty();
        }
        storage.put(APP_LIST_COMMAND + uuid, storageKey.getBytes(StandardCharsets.UTF_8));
        return Optional.of(DeviceResponse.of(200, "application/xml", Plists.xml(command)));
    }

    /**
     * Takes the answer to the plugin's own app list, if the command was one asked of this device: an acknowledged
     * answer replaces the device's recorded apps, as the answer to a complete list requested by the kernel does.
     *
     * @return whether the command was this device's app list
     */
    private boolean appListAnswered(DeviceId device, String storageKey, CommandReport report, UUID uuid, boolean ended) {
        Optional<byte[]> askedOf = storage.get(APP_LIST_COMMAND + uuid);
        if (askedOf.isEmpty() || !new String(askedOf.get(), StandardCharsets.UTF_8).equals(storageKey)) {
            return false;
        }
        // Asked once: a device that answers NotNow or Error reports its apps at the next app command or inventory refresh.
        storage.delete(APP_LIST_COMMAND + uuid);
        if (report.status().equals("Acknowledged") && !ended) {
            recordInventory(device, storageKey, report, false);
        }
        return true;
    }

    /** The answer to a command as the kernel records it; empty for a Status Apple does not define. */
    private static Optional<CommandResult> resultOf(CommandReport report, UUID uuid) {
        return Optional.ofNullable(switch (report.status()) {
            case "Acknowledged" -> new CommandResult(uuid, CommandState.ACKNOWLEDGED, json(report.body()), Optional.empty());
            case "NotNow" -> new CommandResult(uuid, CommandState.NOT_NOW, Map.of(), Optional.empty());
            case "Error", "CommandFormatError" -> new CommandResult(uuid, CommandState.FAILED, json(report.body()),
                    Optional.of(report.status() + (report.errors().isEmpty() ? "" : ": " + String.join("; ", report.errors()))));
            default -> null;
        });
    }

    /**
     * What an answer the kernel has recorded means to the plugin: a DeclarativeManagement sync acknowledged re-applies the
     * device's status report, the answer to the final command ends the device's identity, and inventory in the answer
     * is recorded. The markers {@link #nextCommand} left are looked up only when the answered command is of a kind that
     * gets one ({@link #markersPossible}).
     *
     * @return the response when the answer ended the device's identity; empty when the device is handed its next command
     */
    private Optional<DeviceResponse> afterAnswer(DeviceId device, String storageKey, CommandReport report, CommandResult result,
                                                 Optional<Command> answered, boolean ended, IssuedCertificate certificate) {
        String uuid = result.commandId().toString();
        List<String> possible = markersPossible(answered, result.commandId(), ended);
        Set<String> markers = possible.isEmpty() ? Set.of() : storage.present(possible);
        boolean sync = markers.contains(SYNC_COMMAND + uuid) && storage.delete(SYNC_COMMAND + uuid);
        if (sync && result.state() == CommandState.ACKNOWLEDGED) {
            // The kernel has just marked the setting INSTALLED; a status report that came first may say otherwise.
            declarations.reapply(storageKey, settingReports(device));
        }
        if (markers.contains(FINAL_COMMAND + uuid) && storage.delete(FINAL_COMMAND + uuid) && result.state() != CommandState.NOT_NOW) {
            // The device has answered the command that ends its management (an erase, the removal of its enrollment
            // profile): its identity is worth nothing from now on.
            endIdentity(certificate, storageKey);
            log.info("Device {} answered its final command ({}); its identity certificate is revoked", device, report.status());
            return Optional.of(ok());
        }
        if (result.state() == CommandState.ACKNOWLEDGED && !ended) {
            recordInventory(device, storageKey, report, markers.contains(PARTIAL_LIST + uuid));
        }
        if (markers.contains(PARTIAL_LIST + uuid) && (Inventory.listPrefix(report.body()).isPresent() || result.state() == CommandState.FAILED)) {
            // The answer to a list request is final: whether it asked for part of the list matters no more.
            storage.delete(PARTIAL_LIST + uuid);
        }
        return Optional.empty();
    }

    /**
     * The markers an answered command can have left, decided from the command as the kernel recorded it, the same on
     * every node and after a restart. {@link #nextCommand} leaves a DeclarativeManagement sync marker only for a
     * setting delivered as declarations, installed or removed ({@link DeviceDeclarations#toCommand}); a final-command
     * marker only for a device whose management has ended, which the kernel hands nothing but the command that ends
     * management (WIPE or ENTERPRISE_WIPE for Apple devices: {@code endManagement} is the standard one); a partial-list
     * marker only for an InstalledApplicationList, which only a RAW command can ask for part of. Most answers (a
     * profile, a query, a lock) can have none, and cost no look-up.
     *
     * @param answered the command as recorded; empty when the kernel does not say, and then any marker is possible
     * @param ended whether the device's management has ended, as this message found it
     */
    static List<String> markersPossible(Optional<Command> answered, UUID commandId, boolean ended) {
        if (answered.isEmpty()) {
            return List.of(SYNC_COMMAND + commandId, FINAL_COMMAND + commandId, PARTIAL_LIST + commandId);
        }
        Command command = answered.get();
        // Parameters missing from the record (a fan-out whose batch is already removed) count as any parameters.
        Map<String, Object> parameters = command.parameters();
        boolean sync = switch (command.type()) {
            case INSTALL_PROFILE -> parameters.isEmpty()
                    || parameters.get("settingType") instanceof String type && SettingDelivery.mayDeclare(type);
            case REMOVE_PROFILE -> parameters.isEmpty() || parameters.get("settingKey") instanceof String;
            default -> false;
        };
        boolean last = ended || endsManagement(command);
        boolean partialList = command.type() == CommandType.RAW;
        List<String> possible = new ArrayList<>(3);
        if (sync) {
            possible.add(SYNC_COMMAND + commandId);
        }
        if (last) {
            possible.add(FINAL_COMMAND + commandId);
        }
        if (partialList) {
            possible.add(PARTIAL_LIST + commandId);
        }
        return possible;
    }

    /** Whether the kernel queued the command as the one that ends the device's management (an Apple device's is one of these). */
    private static boolean endsManagement(Command command) {
        return command.type() == CommandType.WIPE || command.type() == CommandType.ENTERPRISE_WIPE;
    }

    /** SecurityInfo's FDE_PersonalRecoveryKeyCMS, removed from the answer. */
    private static Optional<byte[]> takeRecoveryKey(NSDictionary body) {
        if (body.objectForKey("SecurityInfo") instanceof NSDictionary security
                && security.objectForKey("FDE_PersonalRecoveryKeyCMS") instanceof NSData envelope) {
            security.remove("FDE_PersonalRecoveryKeyCMS");
            return Optional.of(envelope.bytes());
        }
        return Optional.empty();
    }

    /** A Mac's personal recovery key, opened with the escrow key and handed to the kernel, which keeps it sealed. */
    private void escrowRecoveryKey(DeviceId device, byte[] envelope) {
        if (os != SettingProfiles.Os.MACOS) {
            return;
        }
        try {
            if (registry.escrowRecoveryKey(device, FileVaultEscrow.KIND, escrow.open(envelope))) {
                log.info("Escrowed a new FileVault recovery key of device {}", device);
            }
        } catch (IllegalArgumentException e) {
            log.warn("The FileVault recovery key of device {} cannot be escrowed: {}", device, e.getMessage());
        }
    }

    /** The certificate speaks for nobody any more: unbound, the device's declarations forgotten, revoked at the CA. */
    private void endIdentity(IssuedCertificate certificate, String storageKey) {
        bindings.unbind(certificate.serialNumber());
        declarations.forget(storageKey);
        authority.revoke(certificate.serialNumber());
    }

    /** Whether an admin has ended the device's management (retired or wiped it). */
    private boolean ended(DeviceId device) {
        return registry.status(device).map(status -> status == DeviceStatus.RETIRED || status == DeviceStatus.WIPED)
                .orElse(true);
    }

    /** A complete list replaces what was recorded under its prefix; an answer to a filtered request only adds. */
    private void recordInventory(DeviceId device, String storageKey, CommandReport report, boolean partialMarked) {
        Map<String, String> inventory = Inventory.of(report.body());
        translator.recordSupervision(storageKey, inventory);
        Optional<String> listPrefix = Inventory.listPrefix(report.body());
        boolean partial = listPrefix.isPresent() && partialMarked;
        if (listPrefix.isPresent() && !partial) {
            registry.replaceInventory(device, listPrefix.get(), inventory);
            return;
        }
        if (partial) {
            // Counting part of the apps is not the device's count.
            inventory.remove(Inventory.APP_COUNT);
            inventory.remove(Inventory.APPS_REPORTED);
        }
        if (!inventory.isEmpty()) {
            registry.recordInventory(device, inventory);
        }
    }

    /**
     * The next command the device can carry out; those it cannot are failed with the reason, and the next offered. A
     * renewal of the device's identity certificate, when due, goes first. A command is encoded by the same translation
     * that checked it at issue ({@link AppleCommandTranslator}); one that cannot be encoded now is failed with the
     * reason, never left to fail this device's every request.
     *
     * @param ended whether the device's management has ended: the kernel then hands out only the final command, which
     *        is remembered so that its answer revokes the device's identity; with none left to hand out (answered,
     *        cancelled by an admin, or impossible on the device) the identity is revoked at once
     * @param alreadyTaken the commands the kernel handed out with the answer ({@link #goesStraightOn}), offered before
     *        any other take; empty when none were taken yet
     */
    private DeviceResponse nextCommand(DeviceId device, Sender sender, DeviceBindings.Binding binding, boolean ended,
                                       IssuedCertificate certificate, Optional<List<Command>> alreadyTaken) {
        // A renewal due goes first: a device that drops out when its certificate expires cannot be given anything else.
        // (Commands already taken were taken only because no renewal was near: goesStraightOn.)
        Optional<NSDictionary> renewalProfile = (alreadyTaken.isEmpty() && !ended && renewal.nearExpiry(certificate)
                ? registry.find(device) : Optional.<Device>empty())
                .flatMap(found -> renewal.due(certificate, found, binding.deviceKey(), binding.storageKey()));
        if (renewalProfile.isPresent()) {
            return DeviceResponse.of(200, "application/xml", Plists.xml(renewalProfile.get()));
        }
        String storageKey = binding.storageKey();
        // A device held in Setup Assistant past the timeout is released before anything else it still has to do.
        Optional<NSDictionary> overdue = ended || alreadyTaken.isPresent() ? Optional.empty()
                : awaitConfiguration.release(device, storageKey, certificate, false);
        if (overdue.isPresent()) {
            return DeviceResponse.of(200, "application/xml", Plists.xml(overdue.get()));
        }
        Optional<List<Command>> taken = alreadyTaken;
        for (int attempt = 0; attempt < 20; attempt++) {
            List<Command> next = taken.isPresent() ? taken.get() : commands.take(device, 1);
            taken = Optional.empty();
            if (next.isEmpty()) {
                if (ended) {
                    endIdentity(certificate, storageKey);
                    log.info("Device {} has no final command left to take; its identity certificate is revoked", device);
                    return DeviceResponse.empty(200);
                }
                // Nothing left to hand out: a device held in Setup Assistant that has what it is assigned is released.
                return awaitConfiguration.release(device, storageKey, certificate, true)
                        .map(release -> DeviceResponse.of(200, "application/xml", Plists.xml(release)))
                        .orElseGet(() -> DeviceResponse.empty(200));
            }
            Command command = next.get(0);
            String refusal;
            try {
                AppleCommandTranslator.Translation translation = translator.translate(device, storageKey, sender.userEnrolled(), command);
                if (translation instanceof AppleCommandTranslator.Refused refused) {
                    refusal = refused.reason();
                } else {
                    Optional<NSDictionary> sync = declarations.toCommand(command, storageKey, os);
                    if (sync.isPresent()) {
                        storage.put(SYNC_COMMAND + command.id(), storageKey.getBytes(StandardCharsets.UTF_8));
                        return DeviceResponse.of(200, "application/xml", Plists.xml(sync.get()));
                    }
                    if (!(translation instanceof AppleCommandTranslator.Plist plist)) {
                        throw new IllegalStateException("a declarative setting produced no DeclarativeManagement command");
                    }
                    if (ended || endsManagement(command)) {
                        // An erase or an enterprise wipe is only ever queued as a device's final command: marked even
                        // when this node has not heard yet that the device's management ended on another one.
                        storage.put(FINAL_COMMAND + command.id(), new byte[0]);
                    }
                    if (AppleCommands.partialAppList(plist.plist())) {
                        // Kept durably until the answer, which then must not remove the apps it was not asked about.
                        storage.put(PARTIAL_LIST + command.id(), new byte[0]);
                    }
                    return DeviceResponse.of(200, "application/xml", Plists.xml(plist.plist()));
                }
            } catch (RuntimeException e) {
                log.warn("Command {} of {} could not be encoded; it is failed", command.id(), device, e);
                refusal = command.type() + " could not be encoded for " + platform.id() + ": " + e.getMessage();
            }
            commands.report(device, new CommandResult(command.id(), CommandState.FAILED, Map.of(), Optional.of(refusal)));
        }
        return DeviceResponse.empty(200);
    }

    private DeviceDeclarations.SettingReports settingReports(DeviceId device) {
        return (settingKey, state, reason) -> policies.reportActual(device, settingKey, state, reason);
    }

    private static String userKey(String storageKey, Sender sender) {
        return "user/" + storageKey + "/" + sender.userId().orElseThrow();
    }

    private void remember(String key, NSObject value) {
        if (value instanceof NSData data) {
            storage.put(key, Base64.getEncoder().encodeToString(data.bytes()).getBytes(StandardCharsets.UTF_8));
        } else if (value != null) {
            storage.put(key, value.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A command's response as JSON-like values: data as base64, dates as ISO-8601. */
    static Map<String, Object> json(NSDictionary body) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : body.allKeys()) {
            if (!key.equals("UDID") && !key.equals("EnrollmentID") && !key.equals("CommandUUID") && !key.equals("Status")) {
                values.put(key, plain(body.objectForKey(key)));
            }
        }
        return values;
    }

    private static Object plain(NSObject value) {
        if (value instanceof NSDictionary dictionary) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (String key : dictionary.allKeys()) {
                map.put(key, plain(dictionary.objectForKey(key)));
            }
            return map;
        }
        if (value instanceof NSArray array) {
            List<Object> list = new ArrayList<>();
            for (NSObject item : array.getArray()) {
                list.add(plain(item));
            }
            return list;
        }
        if (value instanceof NSData data) {
            return Base64.getEncoder().encodeToString(data.bytes());
        }
        if (value instanceof NSDate date) {
            return date.getDate().toInstant().toString();
        }
        if (value instanceof NSNumber number) {
            return number.isBoolean() ? number.boolValue() : number.isInteger() ? number.longValue() : number.doubleValue();
        }
        return value == null ? null : value.toString();
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }

    private static DeviceResponse ok() {
        return DeviceResponse.empty(200);
    }
}
