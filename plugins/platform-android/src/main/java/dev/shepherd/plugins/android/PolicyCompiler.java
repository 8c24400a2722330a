package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.policy.Setting;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Compiles a device's effective settings into one Android Management API {@code Policy}: Android applies a whole
 * policy, not settings one by one, so every setting of the device goes into the same resource, and the policy's
 * name is derived from the compiled JSON so devices with the same effective settings share one.
 *
 * <p>The compiler also remembers which top-level policy fields (and which apps) each setting produced, so that the
 * device's {@code nonComplianceDetails}, which name policy fields and packages, can be told back per setting.
 * A setting whose values Android cannot express is refused with the reason rather than dropped in silence.
 */
public final class PolicyCompiler {

    /** Setting types of the kernel this compiler understands. */
    public static final Set<String> KERNEL_TYPES = Set.of("passcode", "encryption", "screen_lock", "wifi", "certificate",
            "restrictions", "os_update", "app_config", "raw_payload");

    /**
     * A compiled policy.
     *
     * @param policy the AMAPI {@code Policy} JSON
     * @param fields top-level policy fields, and {@code applications/<package>}, to the setting keys that produced them
     * @param refused setting keys Android cannot apply, with the reason
     */
    public record Compiled(ObjectNode policy, Map<String, Set<String>> fields, Map<String, String> refused) {
        public Compiled {
            requireNonNull(policy, "policy is null");
            fields = Map.copyOf(fields);
            refused = Map.copyOf(refused);
        }

        /** @return 16 hex digits of the SHA-256 of the policy in canonical form, which names it */
        public String hash() {
            ObjectMapper canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
            try {
                byte[] bytes = canonical.writeValueAsBytes(canonical.convertValue(policy, Object.class));
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
            } catch (IOException | NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param settings the device's effective settings
     * @param workProfile whether the device is managed through a work profile (a personal device), where password
     *        rules apply to the profile and a kiosk is impossible
     * @return the policy
     */
    public Compiled compile(List<Setting> settings, boolean workProfile) {
        requireNonNull(settings, "settings is null");
        ObjectNode policy = json.createObjectNode();
        Map<String, Set<String>> fields = new TreeMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        Map<String, ObjectNode> applications = new TreeMap<>();
        ArrayNode networks = json.createArrayNode();
        ArrayNode certificates = json.createArrayNode();
        Optional<Long> timeToLock = Optional.empty();
        for (Setting setting : settings.stream().sorted(Comparator.comparing(Setting::key)).toList()) {
            Map<String, Object> value = setting.value();
            String key = setting.key();
            switch (setting.type()) {
                case "passcode" -> {
                    policy.putArray("passwordPolicies").add(password(value, workProfile));
                    use(fields, "passwordPolicies", key);
                    Optional<Long> minutes = number(value, "maxInactivityMinutes");
                    if (minutes.isPresent()) {
                        timeToLock = Optional.of(Math.min(timeToLock.orElse(Long.MAX_VALUE), minutes.get()));
                        use(fields, "maximumTimeToLock", key);
                    }
                }
                case "encryption" -> {
                    if (flag(value, "required").orElse(false)) {
                        // Android encrypts storage itself; the policy asks that it be on. Recovery keys are not escrowed.
                        policy.put("encryptionPolicy", "ENABLED_WITHOUT_PASSWORD");
                        use(fields, "encryptionPolicy", key);
                    }
                }
                case "screen_lock" -> {
                    Optional<Long> minutes = number(value, "timeoutMinutes");
                    if (minutes.isPresent()) {
                        timeToLock = Optional.of(Math.min(timeToLock.orElse(Long.MAX_VALUE), minutes.get()));
                        use(fields, "maximumTimeToLock", key);
                    }
                }
                case "wifi" -> {
                    networks.add(wifi(key, value));
                    use(fields, "openNetworkConfiguration", key);
                }
                case "certificate" -> {
                    if (!"TRUSTED_ROOT".equals(value.get("kind")) || !(value.get("data") instanceof String data)) {
                        refused.put(key, "Android Management API policies install trusted root certificates only; client "
                                + "identities need a certificate-installer app");
                        continue;
                    }
                    ObjectNode certificate = certificates.addObject();
                    certificate.put("GUID", key);
                    certificate.put("Type", "Authority");
                    certificate.put("X509", data.replaceAll("\\s", ""));
                    use(fields, "openNetworkConfiguration", key);
                }
                case "restrictions" -> restrictions(policy, value, key, fields);
                case "os_update" -> {
                    policy.set("systemUpdate", systemUpdate(value));
                    use(fields, "systemUpdate", key);
                }
                case "app_config" -> {
                    String packageName = String.valueOf(value.get("appId"));
                    application(applications, packageName).set("managedConfiguration", json.valueToTree(value.get("configuration")));
                    use(fields, "applications/" + packageName, key);
                }
                case AndroidSettingTypes.APPLICATION -> {
                    String packageName = String.valueOf(value.get("packageName"));
                    ObjectNode application = application(applications, packageName);
                    text(value, "installType").ifPresent(type -> application.put("installType", type));
                    text(value, "defaultPermissionPolicy").ifPresent(type -> application.put("defaultPermissionPolicy", type));
                    text(value, "autoUpdateMode").ifPresent(type -> application.put("autoUpdateMode", type));
                    if (value.get("managedConfiguration") instanceof Map<?, ?> configuration && !application.has("managedConfiguration")) {
                        application.set("managedConfiguration", json.valueToTree(configuration));
                    }
                    use(fields, "applications/" + packageName, key);
                }
                case AndroidSettingTypes.KIOSK -> {
                    if (workProfile) {
                        refused.put(key, "a kiosk needs a fully managed (dedicated) device, not a work profile");
                        continue;
                    }
                    String packageName = String.valueOf(value.get("packageName"));
                    application(applications, packageName).put("installType", "KIOSK");
                    ObjectNode customization = json.createObjectNode();
                    for (String field : List.of("statusBar", "systemNavigation", "powerButtonActions", "deviceSettings", "systemErrorWarnings")) {
                        text(value, field).ifPresent(text -> customization.put(field, text));
                    }
                    policy.set("kioskCustomization", customization);
                    use(fields, "applications/" + packageName, key);
                    use(fields, "kioskCustomization", key);
                }
                case AndroidSettingTypes.PERSONAL_USAGE -> {
                    policy.set("personalUsagePolicies", json.valueToTree(value));
                    use(fields, "personalUsagePolicies", key);
                }
                case AndroidSettingTypes.ALWAYS_ON_VPN -> {
                    ObjectNode vpn = policy.putObject("alwaysOnVpnPackage");
                    vpn.put("packageName", String.valueOf(value.get("packageName")));
                    vpn.put("lockdownEnabled", flag(value, "lockdown").orElse(false));
                    use(fields, "alwaysOnVpnPackage", key);
                }
                case "raw_payload" -> raw(policy, value, key, fields, refused);
                default -> refused.put(key, "Android has no equivalent of " + setting.type());
            }
        }
        timeToLock.ifPresent(minutes -> policy.put("maximumTimeToLock", Long.toString(minutes * 60_000)));
        if (!networks.isEmpty() || !certificates.isEmpty()) {
            ObjectNode onc = policy.putObject("openNetworkConfiguration");
            onc.put("Type", "UnencryptedConfiguration");
            onc.set("NetworkConfigurations", networks);
            if (!certificates.isEmpty()) {
                onc.set("Certificates", certificates);
            }
        }
        if (!applications.isEmpty()) {
            ArrayNode list = policy.putArray("applications");
            applications.values().forEach(list::add);
        }
        // Without software information the device's OS version never reaches the inventory.
        ObjectNode reporting = policy.putObject("statusReportingSettings");
        reporting.put("softwareInfoEnabled", true);
        reporting.put("hardwareStatusEnabled", false);
        return new Compiled(policy, fields, refused);
    }

    private ObjectNode password(Map<String, Object> value, boolean workProfile) {
        ObjectNode password = json.createObjectNode();
        password.put("passwordScope", workProfile ? "SCOPE_PROFILE" : "SCOPE_DEVICE");
        boolean alphanumeric = flag(value, "requireAlphanumeric").orElse(false);
        long complex = number(value, "minComplexCharacters").orElse(0L);
        String quality = complex > 0 ? "COMPLEX" : alphanumeric ? "ALPHANUMERIC"
                : number(value, "minLength").isPresent() ? "NUMERIC" : flag(value, "required").orElse(false) ? "SOMETHING" : null;
        if (quality != null) {
            password.put("passwordQuality", quality);
        }
        number(value, "minLength").ifPresent(length -> password.put("passwordMinimumLength", length));
        if (complex > 0) {
            password.put("passwordMinimumSymbols", complex);
        }
        number(value, "maxFailedAttempts").ifPresent(count -> password.put("maximumFailedPasswordsForWipe", count));
        number(value, "historyCount").ifPresent(count -> password.put("passwordHistoryLength", count));
        number(value, "maxAgeDays").filter(days -> days > 0).ifPresent(days -> password.put("passwordExpirationTimeout", days * 86_400 + "s"));
        return password;
    }

    /** A Wi-Fi network in Open Network Configuration, the format the policy's network settings use. */
    private ObjectNode wifi(String key, Map<String, Object> value) {
        ObjectNode network = json.createObjectNode();
        network.put("GUID", key);
        network.put("Name", String.valueOf(value.get("ssid")));
        network.put("Type", "WiFi");
        ObjectNode wifi = network.putObject("WiFi");
        wifi.put("SSID", String.valueOf(value.get("ssid")));
        wifi.put("HiddenSSID", flag(value, "hidden").orElse(false));
        wifi.put("AutoConnect", flag(value, "autoJoin").orElse(true));
        String security = String.valueOf(value.get("security"));
        switch (security) {
            case "WPA2_PERSONAL", "WPA3_PERSONAL" -> {
                wifi.put("Security", "WPA-PSK");
                text(value, "password").ifPresent(password -> wifi.put("Passphrase", password));
            }
            case "WPA2_ENTERPRISE", "WPA3_ENTERPRISE" -> {
                wifi.put("Security", "WPA-EAP");
                ObjectNode eap = wifi.putObject("EAP");
                String method = text(value, "eapMethod").orElse("PEAP");
                eap.put("Outer", switch (method) {
                    case "TLS" -> "EAP-TLS";
                    case "TTLS" -> "EAP-TTLS";
                    default -> "PEAP";
                });
                text(value, "identity").ifPresent(identity -> eap.put("Identity", identity));
                text(value, "password").ifPresent(password -> eap.put("Password", password));
                text(value, "certificate").ifPresent(alias -> {
                    eap.put("ClientCertType", "KeyPairAlias");
                    eap.put("ClientCertKeyPairAlias", alias);
                });
                eap.put("UseSystemCAs", true);
            }
            default -> wifi.put("Security", "None");
        }
        text(value, "proxyUrl").ifPresent(url -> {
            ObjectNode proxy = network.putObject("ProxySettings");
            proxy.put("Type", "PAC");
            proxy.put("PAC", url);
        });
        return network;
    }

    /** A kernel restriction as a policy field: the field's value when the feature is allowed, and when it is not. */
    private record Restriction(String setting, String field, Object allowed, Object denied) {
    }

    private static final List<Restriction> RESTRICTIONS = List.of(
            new Restriction("allowCamera", "cameraAccess", "CAMERA_ACCESS_USER_CHOICE", "CAMERA_ACCESS_DISABLED"),
            new Restriction("allowScreenCapture", "screenCaptureDisabled", false, true),
            new Restriction("allowAppInstallation", "installAppsDisabled", false, true),
            new Restriction("allowUsbStorage", "usbDataAccess", "ALLOW_USB_DATA_TRANSFER", "DISALLOW_USB_FILE_TRANSFER"),
            new Restriction("allowBluetooth", "bluetoothDisabled", false, true),
            new Restriction("allowFactoryReset", "factoryResetDisabled", false, true),
            new Restriction("allowDeveloperMode", "developerSettings", "DEVELOPER_SETTINGS_ALLOWED", "DEVELOPER_SETTINGS_DISABLED"),
            new Restriction("allowAccountChanges", "modifyAccountsDisabled", false, true));

    private void restrictions(ObjectNode policy, Map<String, Object> value, String key, Map<String, Set<String>> fields) {
        for (Restriction restriction : RESTRICTIONS) {
            flag(value, restriction.setting()).ifPresent(allowed -> {
                policy.set(restriction.field(), json.valueToTree(allowed ? restriction.allowed() : restriction.denied()));
                use(fields, restriction.field(), key);
            });
        }
    }

    /**
     * Automatic, or within a daily window, or postponed (Android postpones for up to 30 days; the exact deferral is
     * Android's own).
     */
    private ObjectNode systemUpdate(Map<String, Object> value) {
        ObjectNode update = json.createObjectNode();
        Optional<String> start = text(value, "installWindowStart");
        Optional<String> end = text(value, "installWindowEnd");
        if (start.isPresent() && end.isPresent()) {
            update.put("type", "WINDOWED");
            update.put("startMinutes", minutes(start.get()));
            update.put("endMinutes", minutes(end.get()));
        } else if (!flag(value, "automatic").orElse(true) || number(value, "deferralDays").orElse(0L) > 0) {
            update.put("type", "POSTPONE");
        } else {
            update.put("type", "AUTOMATIC");
        }
        return update;
    }

    /** An Android payload: a JSON object of policy fields, laid over what the other settings compiled to. */
    private void raw(ObjectNode policy, Map<String, Object> value, String key, Map<String, Set<String>> fields, Map<String, String> refused) {
        if (!"android".equals(value.get("platform"))) {
            refused.put(key, "the payload is for " + value.get("platform") + ", not android");
            return;
        }
        JsonNode content;
        try {
            content = json.readTree(String.valueOf(value.get("content")));
        } catch (IOException e) {
            content = null;
        }
        if (content == null || !content.isObject()) {
            refused.put(key, "an Android payload is a JSON object of Policy fields");
            return;
        }
        content.fields().forEachRemaining(field -> {
            policy.set(field.getKey(), field.getValue());
            use(fields, field.getKey(), key);
        });
    }

    private ObjectNode application(Map<String, ObjectNode> applications, String packageName) {
        return applications.computeIfAbsent(packageName, name -> {
            ObjectNode application = json.createObjectNode();
            application.put("packageName", name);
            return application;
        });
    }

    private static int minutes(String hhmm) {
        return Integer.parseInt(hhmm.substring(0, 2)) * 60 + Integer.parseInt(hhmm.substring(3, 5));
    }

    private static void use(Map<String, Set<String>> fields, String field, String key) {
        fields.computeIfAbsent(field, name -> new TreeSet<>()).add(key);
    }

    private static Optional<Boolean> flag(Map<String, Object> value, String name) {
        return value.get(name) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    private static Optional<Long> number(Map<String, Object> value, String name) {
        return value.get(name) instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
    }

    private static Optional<String> text(Map<String, Object> value, String name) {
        return value.get(name) instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }
}
