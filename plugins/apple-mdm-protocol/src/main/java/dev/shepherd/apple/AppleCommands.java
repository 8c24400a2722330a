package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Kernel commands in Apple's command format: {@code {CommandUUID, Command: {RequestType, …}}}, key names as in
 * Apple's device-management schemas (mdm/commands). Commands without an Apple equivalent translate to nothing.
 */
public final class AppleCommands {

    /** The queries of a DeviceInformation inventory refresh. */
    public static final List<String> INVENTORY_QUERIES = List.of("DeviceName", "OSVersion", "BuildVersion", "ModelName", "Model",
            "ProductName", "SerialNumber", "UDID", "IMEI", "MEID", "IsSupervised", "IsActivationLockEnabled", "BatteryLevel",
            "DeviceCapacity", "AvailableDeviceCapacity", "WiFiMAC", "BluetoothMAC");

    /**
     * The request types kernel commands translate to that Apple forbids on a user-enrolled (BYOD) device, per OS
     * ({@code userenrollment: forbidden} in mdm/commands): they would only come back as errors.
     */
    static final Map<SettingProfiles.Os, Set<String>> FORBIDDEN_IN_USER_ENROLLMENT = Map.of(
            SettingProfiles.Os.IOS, Set.of("EraseDevice", "DeviceLocation", "EnableLostMode", "DisableLostMode", "RestartDevice",
                    "ShutDownDevice", "ClearPasscode", "ScheduleOSUpdate"),
            SettingProfiles.Os.MACOS, Set.of("EraseDevice", "DeviceLock", "RestartDevice", "ShutDownDevice", "ScheduleOSUpdate",
                    "InstalledApplicationList", "RemoveApplication"));

    private AppleCommands() {
    }

    /** @return whether Apple allows the command (as {@link #toPlist} built it) on a user-enrolled device of the OS */
    public static boolean allowedInUserEnrollment(NSDictionary command, SettingProfiles.Os os) {
        return !FORBIDDEN_IN_USER_ENROLLMENT.get(os).contains(requestType(command));
    }

    /**
     * @return whether the command is an InstalledApplicationList asking for part of the apps only (some
     *         {@code Identifiers}, or {@code ManagedAppsOnly}), whose answer must not remove the others from inventory
     */
    public static boolean partialAppList(NSDictionary command) {
        if (!"InstalledApplicationList".equals(requestType(command))) {
            return false;
        }
        NSDictionary request = (NSDictionary) command.objectForKey("Command");
        boolean someIdentifiers = request.objectForKey("Identifiers") instanceof NSArray identifiers && identifiers.count() > 0;
        boolean managedOnly = request.objectForKey("ManagedAppsOnly") instanceof NSNumber flag && flag.boolValue();
        return someIdentifiers || managedOnly;
    }

    private static String requestType(NSDictionary command) {
        return command.objectForKey("Command") instanceof NSDictionary request ? Plists.string(request, "RequestType") : null;
    }

    /**
     * @param unlockToken the device's unlock token, needed to clear its passcode
     * @param os the target OS, for settings compiled into profiles
     * @param certificates the device's certificate setting of a name, for settings that refer to one
     * @return the command plist, or empty when Apple devices have no equivalent
     * @throws SettingProfiles.UnsupportedSettingException when a policy setting cannot be expressed on the OS
     */
    public static Optional<NSDictionary> toPlist(Command command, Optional<byte[]> unlockToken, SettingProfiles.Os os,
                                                 Function<String, Optional<Map<String, Object>>> certificates) {
        return toPlist(command, unlockToken, os, certificates, Optional.empty());
    }

    /**
     * As {@link #toPlist(Command, Optional, SettingProfiles.Os, Function)}, with the server's FileVault escrow
     * certificate for encryption settings that escrow the recovery key.
     *
     * @throws SettingProfiles.UnsupportedSettingException when a policy setting cannot be expressed on the OS
     */
    public static Optional<NSDictionary> toPlist(Command command, Optional<byte[]> unlockToken, SettingProfiles.Os os,
                                                 Function<String, Optional<Map<String, Object>>> certificates,
                                                 Optional<X509Certificate> escrowCertificate) {
        Map<String, Object> parameters = command.parameters();
        NSDictionary body = new NSDictionary();
        switch (command.type()) {
            case LOCK -> {
                body.put("RequestType", "DeviceLock");
                text(parameters, "message").ifPresent(value -> body.put("Message", value));
                text(parameters, "phoneNumber").ifPresent(value -> body.put("PhoneNumber", value));
                // The Find My PIN locks a Mac's firmware; iPhones and iPads have none (PIN is n/a on iOS in device.lock.yaml).
                text(parameters, "pin").filter(pin -> os == SettingProfiles.Os.MACOS).ifPresent(value -> body.put("PIN", value));
            }
            case WIPE -> {
                body.put("RequestType", "EraseDevice");
                // device.erase.yaml: PIN is a Mac's, PreserveDataPlan (the eSIM) an iPhone's or iPad's.
                text(parameters, "pin").filter(pin -> os == SettingProfiles.Os.MACOS).ifPresent(value -> body.put("PIN", value));
                flag(parameters, "preserveDataPlan").filter(preserve -> os == SettingProfiles.Os.IOS)
                        .ifPresent(value -> body.put("PreserveDataPlan", value));
            }
            case ENTERPRISE_WIPE -> {
                // Removing the enrollment profile takes every managed profile, app and account with it and
                // unenrolls the device (it sends CheckOut), leaving personal data alone.
                body.put("RequestType", "RemoveProfile");
                body.put("Identifier", EnrollmentProfile.IDENTIFIER);
            }
            case SETTINGS -> {
                NSArray items = settings(parameters, os);
                if (items.count() == 0) {
                    return Optional.empty();
                }
                body.put("RequestType", "Settings");
                body.put("Settings", items);
            }
            case RESTART -> body.put("RequestType", "RestartDevice");
            case SHUT_DOWN -> body.put("RequestType", "ShutDownDevice");
            case LOCATE -> body.put("RequestType", "DeviceLocation");
            case LOST_MODE_ON -> {
                body.put("RequestType", "EnableLostMode");
                body.put("Message", text(parameters, "message").orElse("This device is lost. Please call its owner."));
                text(parameters, "phoneNumber").ifPresent(value -> body.put("PhoneNumber", value));
                text(parameters, "footnote").ifPresent(value -> body.put("Footnote", value));
            }
            case LOST_MODE_OFF -> body.put("RequestType", "DisableLostMode");
            case CLEAR_PASSCODE -> {
                if (unlockToken.isEmpty()) {
                    return Optional.empty();
                }
                body.put("RequestType", "ClearPasscode");
                body.put("UnlockToken", new NSData(unlockToken.get()));
            }
            case REFRESH_INVENTORY -> {
                String query = text(parameters, "query").orElse("DeviceInformation");
                if (!Inventory.QUERIES.contains(query)) {
                    return Optional.empty();
                }
                body.put("RequestType", query);
                if (query.equals("DeviceInformation")) {
                    body.put("Queries", NSArray.fromJavaObject(INVENTORY_QUERIES));
                } else if (query.equals("InstalledApplicationList")) {
                    body.put("ManagedAppsOnly", false);
                }
            }
            case INSTALL_PROFILE -> {
                Optional<String> payload = text(parameters, "payload");
                Optional<String> settingKey = text(parameters, "settingKey");
                byte[] profile;
                if (payload.isPresent()) {
                    profile = Base64.getDecoder().decode(payload.get());
                } else if (settingKey.isPresent() && text(parameters, "settingType").isPresent()
                        && parameters.get("value") instanceof Map<?, ?> value) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> settingValue = (Map<String, Object>) value;
                    profile = Plists.xml(SettingProfiles.compile(settingKey.get(), text(parameters, "settingType").get(), settingValue, os,
                            certificates, escrowCertificate));
                } else {
                    return Optional.empty();
                }
                body.put("RequestType", "InstallProfile");
                body.put("Payload", new NSData(profile));
            }
            case REMOVE_PROFILE -> {
                Optional<String> identifier = text(parameters, "identifier").or(() -> text(parameters, "settingKey").map(SettingProfiles::identifier));
                if (identifier.isEmpty()) {
                    return Optional.empty();
                }
                body.put("RequestType", "RemoveProfile");
                body.put("Identifier", identifier.get());
            }
            case INSTALL_APP, UPDATE_APP -> {
                body.put("RequestType", "InstallApplication");
                Optional<String> storeId = text(parameters, "appStoreId");
                Optional<String> manifest = text(parameters, "manifestUrl");
                Optional<AppInstallation> canonical;
                try {
                    canonical = AppInstallation.fromParameters(parameters);
                } catch (IllegalArgumentException e) {
                    return Optional.empty(); // canonical parameters that do not make an installation: refused with the reason
                }
                if (canonical.isPresent()) {
                    // The catalog's parameters (plugin API 0.8.0): a store app by its adam id, or an enterprise app's manifest.
                    AppInstallation.Source source = canonical.get().source();
                    if (source instanceof AppInstallation.FromStore store) {
                        storeId = Optional.of(store.storeAppId());
                        manifest = Optional.empty();
                    } else if (source instanceof AppInstallation.FromManifest fromManifest) {
                        if (os == SettingProfiles.Os.MACOS) {
                            // A Mac installs an enterprise package with the command Apple made for it (macOS 10.13.6+),
                            // which takes the manifest alone: no licence options or managed configuration.
                            body.put("RequestType", "InstallEnterpriseApplication");
                            body.put("ManifestURL", fromManifest.manifest().toString());
                            return Optional.of(envelope(command, body));
                        }
                        storeId = Optional.empty();
                        manifest = Optional.of(fromManifest.manifest().toString());
                    } else {
                        return Optional.empty(); // a bare package is not something InstallApplication installs
                    }
                    Object purchaseMethod = canonical.get().options().get("purchaseMethod");
                    if (purchaseMethod != null) {
                        // Apple's schema: 0 free apps and redemption codes, 1 a volume-purchased (Apps and Books) licence.
                        if (!(purchaseMethod instanceof Number number) || number.doubleValue() != 0 && number.doubleValue() != 1) {
                            return Optional.empty();
                        }
                        NSDictionary options = new NSDictionary();
                        options.put("PurchaseMethod", number.intValue());
                        body.put("Options", options);
                    }
                    Object configuration = parameters.get(AppInstallation.CONFIGURATION);
                    if (configuration != null) {
                        if (!(configuration instanceof Map<?, ?>)) {
                            return Optional.empty();
                        }
                        body.put("Configuration", NSObject.fromJavaObject(configuration));
                    }
                }
                if (storeId.isPresent()) {
                    if (!storeId.get().matches("[0-9]{1,18}")) {
                        return Optional.empty(); // App Store ids are numbers; anything else is a mistake, refused with the reason
                    }
                    body.put("iTunesStoreID", new NSNumber(Long.parseLong(storeId.get())));
                } else if (manifest.isPresent()) {
                    body.put("ManifestURL", manifest.get());
                } else {
                    return Optional.empty();
                }
                body.put("ManagementFlags", 1);
            }
            case REMOVE_APP -> {
                Optional<String> identifier = text(parameters, "identifier");
                if (identifier.isEmpty()) {
                    return Optional.empty();
                }
                body.put("RequestType", "RemoveApplication");
                body.put("Identifier", identifier.get());
            }
            case OS_UPDATE -> {
                body.put("RequestType", "ScheduleOSUpdate");
                NSDictionary update = new NSDictionary();
                update.put("InstallAction", text(parameters, "installAction").orElse("Default"));
                text(parameters, "productVersion").ifPresent(value -> update.put("ProductVersion", value));
                body.put("Updates", new NSArray(update));
            }
            case RAW -> {
                Optional<String> plist = text(parameters, "plist");
                if (plist.isEmpty()) {
                    return Optional.empty();
                }
                NSDictionary raw = Plists.dictionary(plist.get().getBytes(StandardCharsets.UTF_8));
                raw.put("CommandUUID", command.id().toString());
                return Optional.of(raw);
            }
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(envelope(command, body));
    }

    private static NSDictionary envelope(Command command, NSDictionary body) {
        NSDictionary envelope = new NSDictionary();
        envelope.put("CommandUUID", new NSString(command.id().toString()));
        envelope.put("Command", body);
        return envelope;
    }

    /** The Settings command's items for the parameters this OS has; HostName is macOS's, the time zone and radios iOS's. */
    private static NSArray settings(Map<String, Object> parameters, SettingProfiles.Os os) {
        List<NSDictionary> items = new ArrayList<>();
        text(parameters, "deviceName").ifPresent(name -> items.add(item("DeviceName", "DeviceName", name)));
        if (os == SettingProfiles.Os.MACOS) {
            text(parameters, "hostName").ifPresent(name -> items.add(item("HostName", "HostName", name)));
        }
        flag(parameters, "bluetooth").ifPresent(on -> items.add(item("Bluetooth", "Enabled", on)));
        if (os == SettingProfiles.Os.IOS) {
            // settings.yaml: a Mac's time zone is not an MDM setting (TimeZone is n/a on macOS).
            text(parameters, "timeZone").ifPresent(zone -> items.add(item("TimeZone", "TimeZone", zone)));
            flag(parameters, "dataRoaming").ifPresent(on -> items.add(item("DataRoaming", "Enabled", on)));
            flag(parameters, "voiceRoaming").ifPresent(on -> items.add(item("VoiceRoaming", "Enabled", on)));
            flag(parameters, "personalHotspot").ifPresent(on -> items.add(item("PersonalHotspot", "Enabled", on)));
        }
        return new NSArray(items.toArray(NSObject[]::new));
    }

    private static NSDictionary item(String item, String key, Object value) {
        NSDictionary dictionary = new NSDictionary();
        dictionary.put("Item", item);
        dictionary.put(key, value);
        return dictionary;
    }

    private static Optional<String> text(Map<String, Object> parameters, String key) {
        Object value = parameters.get(key);
        return value == null ? Optional.empty() : Optional.of(value.toString());
    }

    private static Optional<Boolean> flag(Map<String, Object> parameters, String key) {
        Object value = parameters.get(key);
        return value instanceof Boolean bool ? Optional.of(bool) : Optional.empty();
    }
}
