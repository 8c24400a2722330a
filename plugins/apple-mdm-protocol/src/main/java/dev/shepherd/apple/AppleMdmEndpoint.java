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
 * Authenticate the certificate is bound to the UDID it enrolls; afterwards a certificate can only speak for that
 * UDID, so no device can act as another.
 */
public abstract class AppleMdmEndpoint implements DeviceEndpoint {

    private static final Logger log = LoggerFactory.getLogger(AppleMdmEndpoint.class);
    /** Marks a DeclarativeManagement command sent for a setting until the device acknowledges it. */
    private static final String SYNC_COMMAND = "ddm-command/";

    private final DeviceRegistry registry;
    private final CommandBus commands;
    private final CertificateAuthority authority;
    private final PluginStorage storage;
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
            return DeviceResponse.text(400, e.getMessage());
        }
        try {
            return switch (request.path()) {
                case "/checkin" -> checkIn(CheckIn.parse(message), issued.get());
                case "/connect" -> connect(CommandReport.parse(message), issued.get());
                default -> DeviceResponse.text(404, "Apple MDM endpoints are /checkin and /connect");
            };
        } catch (PlistException e) {
            return DeviceResponse.text(400, e.getMessage());
        }
    }

    private DeviceResponse checkIn(CheckIn message, IssuedCertificate certificate) {
        String bindingKey = "certificate/" + certificate.serialNumber();
        Optional<String> boundUdid = storage.get(bindingKey).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        if (message.messageType().equals("Authenticate")) {
            if (boundUdid.isPresent() && !boundUdid.get().equals(message.udid())) {
                return DeviceResponse.text(403, "this identity certificate belongs to another device");
            }
            Optional<String> token = Optional.ofNullable(certificate.bindings().get("enrollmentToken"));
            Device device;
            try {
                device = registry.enroll(new EnrollmentClaim(token, platform, token.isPresent() ? EnrollmentMethod.LINK : EnrollmentMethod.PROGRAM,
                        Map.of("udid", message.udid()), orEmpty(message.string("SerialNumber")),
                        Optional.ofNullable(message.string("ProductName")).orElse(orEmpty(message.string("Model"))),
                        orEmpty(message.string("OSVersion")), orEmpty(message.string("DeviceName"))));
            } catch (EnrollmentRefusedException e) {
                return DeviceResponse.text(403, "enrollment refused: " + e.getMessage());
            }
            storage.put(bindingKey, message.udid().getBytes(StandardCharsets.UTF_8));
            storage.put("device/" + message.udid(), device.id().toString().getBytes(StandardCharsets.UTF_8));
            log.info("Device {} authenticated as {}", message.udid(), device.id());
            return ok();
        }
        if (boundUdid.isEmpty() || !boundUdid.get().equals(message.udid())) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + message.udid());
        }
        Optional<DeviceId> device = deviceOf(message.udid());
        if (device.isEmpty()) {
            return DeviceResponse.text(403, "device " + message.udid() + " has not authenticated");
        }
        switch (message.messageType()) {
            case "TokenUpdate" -> {
                remember("push-token/" + message.udid(), message.body().objectForKey("Token"));
                remember("push-magic/" + message.udid(), message.body().objectForKey("PushMagic"));
                remember("push-topic/" + message.udid(), message.body().objectForKey("Topic"));
                if (message.body().objectForKey("UnlockToken") instanceof NSData unlockToken) {
                    storage.put("unlock-token/" + message.udid(), sealer.seal(unlockToken.bytes()));
                }
                registry.recordCheckIn(device.get(), Instant.now());
                return ok();
            }
            case "CheckOut" -> {
                registry.recordUnenrolled(device.get(), "the device sent CheckOut");
                storage.delete(bindingKey);
                declarations.forget(message.udid());
                authority.revoke(certificate.serialNumber());
                return ok();
            }
            case "SetBootstrapToken" -> {
                // macOS escrows the token that lets the server grant secure tokens and authorise updates; an empty
                // or missing token clears it.
                if (message.body().objectForKey("BootstrapToken") instanceof NSData token && token.length() > 0) {
                    storage.put("bootstrap-token/" + message.udid(), sealer.seal(token.bytes()));
                } else {
                    storage.delete("bootstrap-token/" + message.udid());
                }
                return ok();
            }
            case "DeclarativeManagement" -> {
                String endpoint = message.string("Endpoint");
                if (endpoint == null) {
                    return DeviceResponse.text(400, "DeclarativeManagement needs an Endpoint");
                }
                Optional<byte[]> data = message.body().objectForKey("Data") instanceof NSData bytes ? Optional.of(bytes.bytes()) : Optional.empty();
                DeclarativeManagement.Answer answer = declarations.handle(message.udid(), endpoint, data,
                        inventory -> registry.recordInventory(device.get(), inventory), settingReports(device.get()));
                return answer.json().length == 0 ? DeviceResponse.empty(answer.status())
                        : DeviceResponse.of(answer.status(), "application/json", answer.json());
            }
            case "GetBootstrapToken" -> {
                NSDictionary answer = new NSDictionary();
                storage.get("bootstrap-token/" + message.udid()).map(sealer::open)
                        .ifPresent(token -> answer.put("BootstrapToken", new NSData(token)));
                return DeviceResponse.of(200, "application/xml", Plists.xml(answer));
            }
            case "UserAuthenticate" -> {
                // No user channel is offered: Apple's protocol says to answer 410 Gone.
                return DeviceResponse.empty(410);
            }
            default -> {
                return DeviceResponse.text(400, "check-in message " + message.messageType() + " is not supported yet");
            }
        }
    }

    private DeviceResponse connect(CommandReport report, IssuedCertificate certificate) {
        Optional<String> boundUdid = storage.get("certificate/" + certificate.serialNumber())
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        if (boundUdid.isEmpty() || !boundUdid.get().equals(report.udid())) {
            return DeviceResponse.text(403, "this identity certificate does not speak for device " + report.udid());
        }
        Optional<DeviceId> device = deviceOf(report.udid());
        if (device.isEmpty()) {
            return DeviceResponse.text(403, "device " + report.udid() + " has not authenticated");
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
                declarations.reapply(report.udid(), settingReports(device.get()));
            }
            if (result.state() == CommandState.ACKNOWLEDGED) {
                Map<String, String> inventory = Inventory.of(report.body());
                if (!inventory.isEmpty()) {
                    registry.recordInventory(device.get(), inventory);
                }
            }
        }
        return nextCommand(device.get(), report.udid());
    }

    /** The next command the device can carry out; those it cannot are failed with the reason, and the next offered. */
    private DeviceResponse nextCommand(DeviceId device, String udid) {
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
                        ? storage.get("unlock-token/" + udid).map(sealer::open) : Optional.empty();
                Optional<NSDictionary> sync = declarations.toCommand(command, udid, os);
                if (sync.isPresent()) {
                    storage.put(SYNC_COMMAND + command.id(), udid.getBytes(StandardCharsets.UTF_8));
                    return DeviceResponse.of(200, "application/xml", Plists.xml(sync.get()));
                }
                Optional<NSDictionary> plist = AppleCommands.toPlist(command, unlockToken, os, name -> certificateSetting(device, name));
                if (plist.isPresent()) {
                    return DeviceResponse.of(200, "application/xml", Plists.xml(plist.get()));
                }
                refusal = Optional.of(command.type() + " has no equivalent on " + platform.id() + " (or lacks a parameter it needs)");
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

    private Optional<DeviceId> deviceOf(String udid) {
        return storage.get("device/" + udid).map(bytes -> DeviceId.parse(new String(bytes, StandardCharsets.UTF_8)));
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
            if (!key.equals("UDID") && !key.equals("CommandUUID") && !key.equals("Status")) {
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
