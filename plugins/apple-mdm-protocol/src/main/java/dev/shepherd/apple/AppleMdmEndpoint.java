package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDate;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Apple's MDM check-in ({@code /mdm/<plugin>/checkin}) and command ({@code /mdm/<plugin>/connect}) endpoints, the
 * same protocol for iPhone, iPad and Mac; each platform plugin registers a subclass naming its platform.
 *
 * <p>Every request is authenticated by the device's identity certificate, presented over TLS or as the signer of
 * the {@code Mdm-Signature} header, and accepted only if the kernel's CA issued it and has not revoked it. At
 * Authenticate the certificate is bound to the UDID it enrolls (or, under user enrollment, the EnrollmentID); afterwards
 * a certificate can only speak for that device, so no device can act as another. A Mac's user channel speaks with the
 * same certificate for the same device, so its users can act for their own device only; it is offered no commands.
 */
public abstract class AppleMdmEndpoint implements DeviceEndpoint {

    /** Inventory key telling how the device enrolled: {@code device} (by UDID) or {@code user} (user enrollment, by EnrollmentID). */
    public static final String ENROLLMENT_INVENTORY_KEY = "apple.enrollment";
    private static final Logger log = LoggerFactory.getLogger(AppleMdmEndpoint.class);
    /** Marks a DeclarativeManagement command sent for a setting until the device acknowledges it. */
    private static final String SYNC_COMMAND = "ddm-command/";
    private static final String PARTIAL_LIST = "partial-list/";

    private final DeviceRegistry registry;
    private final CommandBus commands;
    private final CertificateAuthority authority;
    private final PluginStorage storage;
    private final DeviceBindings bindings;
    private final dev.shepherd.api.config.SecretSealer sealer;
    private final Platform platform;
    private final SettingProfiles.Os os;
    private final PolicyService policies;
    private final DeviceDeclarations declarations;

    /**
     * @param config the plugin settings; {@code passcodeDelivery} chooses how passcodes are delivered ({@link SettingDelivery})
     * @throws IllegalArgumentException when a plugin setting is malformed
     */
    protected AppleMdmEndpoint(DeviceRegistry registry, CommandBus commands, CertificateAuthority authority, PluginStorage storage,
                               dev.shepherd.api.config.SecretSealer sealer, PolicyService policies, PluginConfig config,
                               Platform platform, SettingProfiles.Os os) {
        this.policies = java.util.Objects.requireNonNull(policies, "policies is null");
        this.declarations = new DeviceDeclarations(storage, new DeclarativeManagement(java.time.Clock.systemUTC()),
                SettingDelivery.from(java.util.Objects.requireNonNull(config, "config is null")));
        this.sealer = java.util.Objects.requireNonNull(sealer, "sealer is null");
        this.registry = java.util.Objects.requireNonNull(registry, "registry is null");
        this.commands = java.util.Objects.requireNonNull(commands, "commands is null");
        this.authority = java.util.Objects.requireNonNull(authority, "authority is null");
        this.storage = java.util.Objects.requireNonNull(storage, "storage is null");
        this.bindings = new DeviceBindings(storage);
        this.platform = java.util.Objects.requireNonNull(platform, "platform is null");
        this.os = java.util.Objects.requireNonNull(os, "os is null");
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
                .or(() -> request.header("Mdm-Signature").flatMap(signature -> MdmSignature.verify(signature, body)));
        if (identity.isEmpty()) {
            return DeviceResponse.text(401, "no device identity: present the identity certificate or a valid Mdm-Signature");
        }
        Optional<IssuedCertificate> issued = authority.verify(List.of(identity.get()));
        if (issued.isEmpty()) {
            return DeviceResponse.text(403, "the identity certificate was not issued by this server, has expired or was revoked");
        }
        NSDictionary message;
        try {
            message = Plists.dictionary(body);
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
        Optional<String> bound = bindings.deviceKeyOf(certificate.serialNumber());
        if (message.messageType().equals("Authenticate")) {
            if (sender.userChannel()) {
                return DeviceResponse.text(400, "Authenticate is a device-channel message; it carries no UserID");
            }
            if (bound.isPresent() && !bound.get().equals(sender.deviceKey())) {
                return DeviceResponse.text(403, "this identity certificate belongs to another device");
            }
            return authenticate(message, certificate);
        }
        if (bound.isEmpty() || !bound.get().equals(sender.deviceKey())) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + sender.id());
        }
        Optional<DeviceId> device = deviceOf(sender.deviceKey());
        if (device.isEmpty()) {
            return DeviceResponse.text(403, "device " + sender.id() + " has not authenticated");
        }
        if (sender.userChannel()) {
            return userChannelCheckIn(message, device.get());
        }
        String key = sender.deviceKey();
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
                registry.recordCheckIn(device.get(), Instant.now());
                return ok();
            }
            case "CheckOut" -> {
                registry.recordUnenrolled(device.get(), "the device sent CheckOut");
                bindings.unbind(certificate.serialNumber());
                declarations.forget(key);
                authority.revoke(certificate.serialNumber());
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

    private DeviceResponse authenticate(CheckIn message, IssuedCertificate certificate) {
        Sender sender = message.sender();
        Optional<String> token = Optional.ofNullable(certificate.bindings().get("enrollmentToken"));
        // User enrollment keeps a personal device's identity from the organisation; a corporate token must not
        // enroll a device that hides who it is.
        if (sender.userEnrolled() && token.flatMap(registry::checkEnrollmentToken)
                .filter(grant -> grant.ownership() != Ownership.PERSONAL).isPresent()) {
            return DeviceResponse.text(403, "user enrollment (EnrollmentID) is for personal devices; this enrollment token is corporate");
        }
        Device device;
        try {
            // Under user enrollment Apple withholds the serial number, and the EnrollmentID is the only hardware id.
            device = registry.enroll(new EnrollmentClaim(token, platform, token.isPresent() ? EnrollmentMethod.LINK : EnrollmentMethod.PROGRAM,
                    Map.of(sender.hardwareIdKind(), sender.id()), sender.userEnrolled() ? "" : orEmpty(message.string("SerialNumber")),
                    Optional.ofNullable(message.string("ProductName")).orElse(orEmpty(message.string("Model"))),
                    orEmpty(message.string("OSVersion")), orEmpty(message.string("DeviceName"))));
        } catch (EnrollmentRefusedException e) {
            return DeviceResponse.text(403, "enrollment refused: " + e.getMessage());
        }
        bindings.bind(certificate.serialNumber(), sender.deviceKey(), device.id());
        registry.recordInventory(device.id(), Map.of(ENROLLMENT_INVENTORY_KEY, sender.userEnrolled() ? "user" : "device"));
        log.info("Device {} authenticated as {}", sender.deviceKey(), device.id());
        return ok();
    }

    /**
     * A Mac's user channel: the same device identity, speaking for one user of that device. Its push token is kept per
     * user. Users are managed without an AuthToken: the answer to UserAuthenticate is an empty DigestChallenge (Apple's
     * "no AuthToken needed"), because the server holds no user passwords a digest could be checked against, and
     * the user channel is authenticated by the device's certificate like the device channel.
     */
    private DeviceResponse userChannelCheckIn(CheckIn message, DeviceId device) {
        Sender sender = message.sender();
        String userKey = userKey(sender);
        switch (message.messageType()) {
            case "TokenUpdate" -> {
                remember(userKey + "/push-token", message.body().objectForKey("Token"));
                remember(userKey + "/push-magic", message.body().objectForKey("PushMagic"));
                remember(userKey + "/push-topic", message.body().objectForKey("Topic"));
                remember(userKey + "/short-name", message.body().objectForKey("UserShortName"));
                remember(userKey + "/long-name", message.body().objectForKey("UserLongName"));
                registry.recordCheckIn(device, Instant.now());
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
        Optional<String> bound = bindings.deviceKeyOf(certificate.serialNumber());
        if (bound.isEmpty() || !bound.get().equals(sender.deviceKey())) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + sender.id());
        }
        Optional<DeviceId> device = deviceOf(sender.deviceKey());
        if (device.isEmpty()) {
            return DeviceResponse.text(403, "device " + sender.id() + " has not authenticated");
        }
        if (sender.userChannel()) {
            if (storage.get(userKey(sender) + "/push-token").isEmpty()) {
                return DeviceResponse.text(403, "user " + sender.userId().get() + " has no user channel on device " + sender.id());
            }
            registry.recordCheckIn(device.get(), Instant.now());
            // Kernel commands are device commands: the user channel is offered none, so it can only be Idle.
            return report.status().equals("Idle") ? ok()
                    : DeviceResponse.text(400, "the user channel carries no commands; there is nothing to answer");
        }
        registry.recordCheckIn(device.get(), Instant.now());
        if (report.status().equals("Idle")) {
            commands.requeueDeferred(device.get());
        } else if (report.commandUuid().isPresent()) {
            CommandResult result = switch (report.status()) {
                case "Acknowledged" -> new CommandResult(report.commandUuid().get(), CommandState.ACKNOWLEDGED, json(report.body()), Optional.empty());
                case "NotNow" -> new CommandResult(report.commandUuid().get(), CommandState.NOT_NOW, Map.of(), Optional.empty());
                case "Error", "CommandFormatError" -> new CommandResult(report.commandUuid().get(), CommandState.FAILED, json(report.body()),
                        Optional.of(report.status() + (report.errors().isEmpty() ? "" : ": " + String.join("; ", report.errors()))));
                default -> null;
            };
            if (result == null) {
                return DeviceResponse.text(400, "unknown Status " + report.status());
            }
            try {
                commands.report(device.get(), result);
            } catch (IllegalArgumentException e) {
                return DeviceResponse.text(403, "command " + report.commandUuid().get() + " is not this device's");
            }
            boolean sync = storage.delete(SYNC_COMMAND + report.commandUuid().get());
            if (sync && result.state() == CommandState.ACKNOWLEDGED) {
                // The kernel has just marked the setting INSTALLED; a status report that came first may say otherwise.
                declarations.reapply(sender.deviceKey(), settingReports(device.get()));
            }
            if (result.state() == CommandState.ACKNOWLEDGED) {
                recordInventory(device.get(), report);
            }
            if (Inventory.listPrefix(report.body()).isPresent() || result.state() == CommandState.FAILED) {
                // The answer to a list request is final: whether it asked for part of the list matters no more.
                storage.delete(PARTIAL_LIST + report.commandUuid().get());
            }
        }
        return nextCommand(device.get(), sender);
    }

    /** A complete list replaces what was recorded under its prefix; an answer to a filtered request only adds. */
    private void recordInventory(DeviceId device, CommandReport report) {
        Map<String, String> inventory = Inventory.of(report.body());
        Optional<String> listPrefix = Inventory.listPrefix(report.body());
        boolean partial = listPrefix.isPresent() && storage.get(PARTIAL_LIST + report.commandUuid().orElseThrow()).isPresent();
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

    /** The next command the device can carry out; those it cannot are failed with the reason, and the next offered. */
    private DeviceResponse nextCommand(DeviceId device, Sender sender) {
        for (int attempt = 0; attempt < 20; attempt++) {
            List<Command> next = commands.take(device, 1);
            if (next.isEmpty()) {
                return DeviceResponse.empty(200);
            }
            Command command = next.get(0);
            Optional<String> refusal;
            try {
                // The unlock token is read and unsealed only for the one command that needs it, not on every message.
                Optional<byte[]> unlockToken = command.type() == CommandType.CLEAR_PASSCODE
                        ? storage.get("unlock-token/" + sender.deviceKey()).map(sealer::open) : Optional.empty();
                Optional<NSDictionary> sync = declarations.toCommand(command, sender.deviceKey(), os);
                if (sync.isPresent()) {
                    storage.put(SYNC_COMMAND + command.id(), sender.deviceKey().getBytes(StandardCharsets.UTF_8));
                    return DeviceResponse.of(200, "application/xml", Plists.xml(sync.get()));
                }
                Optional<NSDictionary> plist = AppleCommands.toPlist(command, unlockToken, os, name -> certificateSetting(device, name));
                if (plist.isPresent() && sender.userEnrolled() && !AppleCommands.allowedInUserEnrollment(plist.get(), os)) {
                    refusal = Optional.of(command.type() + " is not allowed on a user-enrolled (personal) device");
                } else if (plist.isPresent()) {
                    if (AppleCommands.partialAppList(plist.get())) {
                        // Kept durably until the answer, which then must not remove the apps it was not asked about.
                        storage.put(PARTIAL_LIST + command.id(), new byte[0]);
                    }
                    return DeviceResponse.of(200, "application/xml", Plists.xml(plist.get()));
                } else {
                    refusal = Optional.of(command.type() + " has no equivalent on " + platform.id() + " (or lacks a parameter it needs)");
                }
            } catch (SettingProfiles.UnsupportedSettingException e) {
                refusal = Optional.of(e.getMessage());
            }
            commands.report(device, new CommandResult(command.id(), CommandState.FAILED, Map.of(), refusal));
        }
        return DeviceResponse.empty(200);
    }

    /** The device's certificate setting of a name, which a VPN setting may refer to. */
    private Optional<Map<String, Object>> certificateSetting(DeviceId device, String name) {
        return policies.effectivePolicy(device).settings().stream()
                .filter(setting -> setting.type().equals("certificate") && name.equals(setting.value().get("name")))
                .findFirst().map(Setting::value);
    }

    private DeviceDeclarations.SettingReports settingReports(DeviceId device) {
        return (settingKey, state, reason) -> policies.reportActual(device, settingKey, state, reason);
    }

    private static String userKey(Sender sender) {
        return "user/" + sender.deviceKey() + "/" + sender.userId().orElseThrow();
    }

    private Optional<DeviceId> deviceOf(String deviceKey) {
        return bindings.deviceOf(deviceKey);
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
