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
import java.util.ArrayList;
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
 * <p>The compiler also remembers which policy fields (down to the nested field or the ONC network) and which apps each
 * setting produced, so that the device's {@code nonComplianceDetails} and Google's refusals, which name policy fields,
 * field paths and packages, can be told back to the exact setting.
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
     * @param fields the paths of policy fields ({@code cameraAccess}, {@code deviceConnectivityManagement.usbDataAccess},
     *        {@code openNetworkConfiguration.NetworkConfigurations[0]}), and {@code applications/<package>}, to the
     *        setting keys that produced them
     * @param refused setting keys Android cannot apply, with the reason
     * @param nameBasis the policy as it is named: a client identity's PKCS#12 (whose encryption salts differ each time
     *        it is encoded) replaced by a digest of what it holds, so the same settings keep the same name
     */
    public record Compiled(ObjectNode policy, Map<String, Set<String>> fields, Map<String, String> refused, ObjectNode nameBasis) {
        public Compiled {
            requireNonNull(policy, "policy is null");
            requireNonNull(nameBasis, "nameBasis is null");
            fields = Map.copyOf(fields);
            refused = Map.copyOf(refused);
        }

        /**
         * @return the settings that produced the policy field a device report or a refusal names ({@link #settingsAt(Map,
         *         String, String, String)})
         */
        public Set<String> settingsAt(String settingName, String fieldPath, String packageName) {
            return PolicyCompiler.settingsAt(fields, settingName, fieldPath, packageName);
        }

        /** @return 16 hex digits of the SHA-256 of the policy in canonical form, which names it */
        public String hash() {
            ObjectMapper canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
            try {
                byte[] bytes = canonical.writeValueAsBytes(canonical.convertValue(nameBasis, Object.class));
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
        return compile(settings, workProfile, Certificates.of(settings));
    }

    /**
     * One setting on its own, as the kernel checks it before queueing it: refused only for what the setting itself
     * cannot express. What depends on the device's other settings (the trusted roots an enterprise network names) is
     * judged when the device's whole policy is compiled ({@link #compile(List, boolean)}).
     */
    public Compiled compileSetting(Setting setting, boolean workProfile) {
        requireNonNull(setting, "setting is null");
        return compile(List.of(setting), workProfile, Certificates.unknown());
    }

    private Compiled compile(List<Setting> settings, boolean workProfile, Certificates named) {
        ObjectNode policy = json.createObjectNode();
        Map<String, Set<String>> fields = new TreeMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        Map<String, ObjectNode> applications = new TreeMap<>();
        ArrayNode networks = json.createArrayNode();
        ArrayNode certificates = json.createArrayNode();
        Optional<Long> timeToLock = Optional.empty();
        // Certificates first, so the networks know which client identities could be delivered.
        List<Setting> sorted = settings.stream().sorted(Comparator.comparing((Setting setting) -> !setting.type().equals("certificate"))
                .thenComparing(Setting::key)).toList();
        Map<String, String> identityRefusals = new TreeMap<>();
        Map<Integer, String> identityDigests = new TreeMap<>();
        for (Setting setting : sorted) {
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
                    try {
                        ObjectNode network = wifi(key, value, named, identityRefusals);
                        use(fields, "openNetworkConfiguration.NetworkConfigurations[" + networks.size() + "]", key);
                        networks.add(network);
                    } catch (Refused refusal) {
                        refused.put(key, refusal.getMessage());
                    }
                }
                case "certificate" -> {
                    String name = String.valueOf(value.get("name"));
                    if ("PKCS12_IDENTITY".equals(value.get("kind")) && value.get("data") instanceof String data) {
                        String password = text(value, "password").orElse("");
                        if (named.complete() && !named.referenced().contains(name)) {
                            refused.put(key, "Android takes a client identity only with the Wi-Fi network that uses it (ONC "
                                    + "ClientCertRef); no Wi-Fi setting of the policy names '" + name + "' as its certificate");
                            continue;
                        }
                        if (!named.complete()) {
                            // Checked alone, as the kernel queues it: its secrets may be withheld there, so the file is
                            // read only when the device's whole policy is compiled.
                            continue;
                        }
                        String pkcs12;
                        try {
                            pkcs12 = OncClientIdentity.reencode(data, password);
                        } catch (IllegalArgumentException unreadable) {
                            refused.put(key, unreadable.getMessage());
                            identityRefusals.put(name, unreadable.getMessage());
                            continue;
                        }
                        identityDigests.put(certificates.size(), Digests.sha256Hex(data + "\u0000" + password));
                        use(fields, "openNetworkConfiguration.Certificates[" + certificates.size() + "]", key);
                        ObjectNode certificate = certificates.addObject();
                        certificate.put("GUID", key);
                        certificate.put("Type", "Client");
                        certificate.put("PKCS12", pkcs12);
                        continue;
                    }
                    if (!"TRUSTED_ROOT".equals(value.get("kind")) || !(value.get("data") instanceof String data)) {
                        identityRefusals.put(name, "the Android Management API cannot request a certificate over SCEP");
                        refused.put(key, "the Android Management API installs trusted roots, and PKCS#12 identities with the "
                                + "Wi-Fi network that uses them; it cannot request a certificate over SCEP");
                        continue;
                    }
                    use(fields, "openNetworkConfiguration.Certificates[" + certificates.size() + "]", key);
                    ObjectNode certificate = certificates.addObject();
                    certificate.put("GUID", key);
                    certificate.put("Type", "Authority");
                    certificate.put("X509", data.replaceAll("\\s", ""));
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
                    long daysOff = number(value, "maxDaysWithWorkOff").orElse(0L);
                    if (daysOff > 0 && daysOff < 3) {
                        // Google refuses the whole policy for it (PersonalUsagePolicies.maxDaysWithWorkOff).
                        refused.put(key, "maxDaysWithWorkOff is 0 (no limit) or at least 3 days on Android");
                        continue;
                    }
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
        // What the inventory and the compliance facts are read from (DeviceSync): software information (OS version,
        // patch level), device settings (isDeviceSecure, isEncrypted) and application reports (the app inventory).
        ObjectNode reporting = policy.putObject("statusReportingSettings");
        reporting.put("softwareInfoEnabled", true);
        reporting.put("deviceSettingsEnabled", true);
        reporting.put("applicationReportsEnabled", true);
        ObjectNode nameBasis = policy;
        if (!identityDigests.isEmpty()) {
            nameBasis = policy.deepCopy();
            ArrayNode basisCertificates = (ArrayNode) nameBasis.path("openNetworkConfiguration").path("Certificates");
            identityDigests.forEach((index, digest) -> ((ObjectNode) basisCertificates.get(index)).put("PKCS12", "sha256:" + digest));
        }
        return new Compiled(policy, fields, refused, nameBasis);
    }

    /**
     * The settings behind a field of the policy, as a device's {@code NonComplianceDetail} or Google's
     * {@code BadRequest} names it: the app's settings when a package is named, else the settings of the most precise
     * field recorded at or above the path ({@code openNetworkConfiguration.NetworkConfigurations[1].WiFi.EAP} is the
     * second network's setting), else every setting under the top-level field.
     *
     * @param fields what {@link Compiled#fields()} recorded
     * @param settingName the top-level Policy field; may be blank when the path is given
     * @param fieldPath the path in JavaScript notation, such as {@code applications[2].externalData.url}; may be blank
     * @param packageName the app concerned; may be blank
     * @return the setting keys, empty when nothing of Shepherd's produced that field
     */
    public static Set<String> settingsAt(Map<String, Set<String>> fields, String settingName, String fieldPath, String packageName) {
        if (packageName != null && !packageName.isBlank() && fields.containsKey("applications/" + packageName)) {
            return Set.copyOf(fields.get("applications/" + packageName));
        }
        String path = fieldPath == null || fieldPath.isBlank() ? settingName : fieldPath;
        if (path == null || path.isBlank()) {
            return Set.of();
        }
        Optional<String> closest = fields.keySet().stream().filter(recorded -> within(path, recorded))
                .max(Comparator.comparingInt(String::length));
        if (closest.isPresent()) {
            return Set.copyOf(fields.get(closest.get()));
        }
        Set<String> under = new TreeSet<>();
        fields.forEach((recorded, keys) -> {
            if (within(recorded, path)) {
                under.addAll(keys);
            }
        });
        return under;
    }

    /** @return whether {@code path} is {@code ancestor} or lies beneath it */
    private static boolean within(String path, String ancestor) {
        return path.equals(ancestor) || path.startsWith(ancestor + ".") || path.startsWith(ancestor + "[");
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

    /** A setting Android cannot apply as given; its message is the reason. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * The device's certificate settings by name: trusted roots become ONC {@code Certificates} of type
     * {@code Authority} (GUID: the setting key), which enterprise networks name as their server CA; PKCS#12 identities
     * entries of type {@code Client}, which the networks naming them ({@code referenced}) use as {@code ClientCertRef}.
     */
    private record Certificates(Map<String, String> rootKeys, Map<String, String> clientKeys, Set<String> referenced, boolean complete) {
        /** The certificates of a setting compiled alone: not known, so not judged. */
        static Certificates unknown() {
            return new Certificates(Map.of(), Map.of(), Set.of(), false);
        }

        static Certificates of(List<Setting> settings) {
            Map<String, String> roots = new TreeMap<>();
            Map<String, String> clients = new TreeMap<>();
            Set<String> referenced = new TreeSet<>();
            for (Setting setting : settings) {
                Map<String, Object> value = setting.value();
                if (setting.type().equals("certificate") && value.get("name") instanceof String name && value.get("data") instanceof String) {
                    if ("TRUSTED_ROOT".equals(value.get("kind"))) {
                        roots.put(name, setting.key());
                    } else if ("PKCS12_IDENTITY".equals(value.get("kind"))) {
                        clients.put(name, setting.key());
                    }
                }
                if (setting.type().equals("wifi") && value.get("certificate") instanceof String name) {
                    referenced.add(name);
                }
            }
            return new Certificates(roots, clients, referenced, true);
        }
    }

    /**
     * A Wi-Fi network in Open Network Configuration, as far as the Android Management API supports it
     * (developers.google.com/android/management/configure-networks): no {@code UseSystemCAs}, and an enterprise
     * network names its server's CA ({@code ServerCARefs}) and domain ({@code DomainSuffixMatch}), without which Android
     * refuses it as insecure.
     */
    private ObjectNode wifi(String key, Map<String, Object> value, Certificates named, Map<String, String> identityRefusals) throws Refused {
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
                wifi.set("EAP", eap(value, named, identityRefusals));
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

    private ObjectNode eap(Map<String, Object> value, Certificates named, Map<String, String> identityRefusals) throws Refused {
        ObjectNode eap = json.createObjectNode();
        String method = text(value, "eapMethod").orElse("PEAP");
        boolean tls = method.equals("TLS");
        eap.put("Outer", switch (method) {
            case "TLS" -> "EAP-TLS";
            case "TTLS" -> "EAP-TTLS";
            default -> "PEAP";
        });
        text(value, "identity").ifPresent(identity -> eap.put("Identity", identity));
        if (!tls) {
            // The tunnelled password methods; MSCHAPv2 is what PEAP servers expect and one of the two AMAPI supports.
            eap.put("Inner", "MSCHAPv2");
            text(value, "password").ifPresent(password -> eap.put("Password", password));
        }
        List<String> caNames = texts(value, "serverCertificates");
        List<String> caKeys = new ArrayList<>();
        for (String name : caNames) {
            String caKey = named.complete() ? named.rootKeys().get(name) : "certificate/" + name;
            if (caKey == null) {
                throw new Refused("the server CA '" + name + "' is not a trusted root certificate setting of the device's policy");
            }
            caKeys.add(caKey);
        }
        if (caNames.isEmpty()) {
            caKeys.addAll(named.rootKeys().values());
        }
        if (caKeys.isEmpty() && named.complete()) {
            throw new Refused("Android refuses an enterprise Wi-Fi network without its server's CA: add the CA as a trusted root "
                    + "certificate setting and name it in serverCertificates");
        }
        // DomainSuffixMatch matches the name and every name below it, so a wildcard name (*.example.com) is its suffix.
        List<String> domains = texts(value, "serverNames").stream()
                .map(name -> name.startsWith("*.") ? name.substring(2) : name).distinct().toList();
        if (domains.isEmpty()) {
            throw new Refused("Android refuses an enterprise Wi-Fi network without the server's domain: set serverNames "
                    + "(ONC DomainSuffixMatch), such as radius.example.com");
        }
        if (!caKeys.isEmpty()) {
            caKeys.forEach(eap.putArray("ServerCARefs")::add);
        }
        domains.forEach(eap.putArray("DomainSuffixMatch")::add);
        Optional<String> certificate = text(value, "certificate");
        Optional<String> keyAlias = text(value, "clientKeyAlias");
        if (certificate.isPresent() && keyAlias.isPresent()) {
            throw new Refused("name the client identity once: certificate (a PKCS#12 identity certificate setting) or "
                    + "clientKeyAlias (a key pair installed on the device), not both");
        }
        if (tls && certificate.isEmpty() && keyAlias.isEmpty()) {
            throw new Refused("EAP-TLS needs the client's identity: certificate (a PKCS#12 identity certificate setting) or "
                    + "clientKeyAlias (the alias of a key pair installed on the device)");
        }
        if (certificate.isPresent()) {
            String name = certificate.get();
            if (identityRefusals.containsKey(name)) {
                throw new Refused("its client identity '" + name + "' was refused: " + identityRefusals.get(name));
            }
            String ref = named.complete() ? named.clientKeys().get(name) : "certificate/" + name;
            if (ref == null && named.rootKeys().containsKey(name)) {
                throw new Refused("the client identity '" + name + "' is a trusted root, not an identity: name a PKCS#12 identity");
            }
            if (ref == null) {
                throw new Refused("the client identity '" + name + "' is not a PKCS#12 identity certificate setting of the "
                        + "device's policy; Android takes a PKCS#12 identity in the policy or clientKeyAlias");
            }
            // The identity travels in the same ONC as a Certificates entry of Type Client (OncClientIdentity).
            eap.put("ClientCertType", "Ref");
            eap.put("ClientCertRef", ref);
        }
        if (keyAlias.isPresent()) {
            // A key pair installed on the device by other means, such as a certificate-installer app.
            eap.put("ClientCertType", "KeyPairAlias");
            eap.put("ClientCertKeyPairAlias", keyAlias.get());
        }
        return eap;
    }

    /**
     * A kernel restriction as a policy field: its path in the Policy (a dot for a field of a nested object), the value
     * when the feature is allowed, and when it is not.
     */
    private record Restriction(String setting, String path, Object allowed, Object denied) {
    }

    private static final List<Restriction> RESTRICTIONS = List.of(
            new Restriction("allowCamera", "cameraAccess", "CAMERA_ACCESS_USER_CHOICE", "CAMERA_ACCESS_DISABLED"),
            new Restriction("allowScreenCapture", "screenCaptureDisabled", false, true),
            new Restriction("allowAppInstallation", "installAppsDisabled", false, true),
            new Restriction("allowUsbStorage", "deviceConnectivityManagement.usbDataAccess", "ALLOW_USB_DATA_TRANSFER", "DISALLOW_USB_FILE_TRANSFER"),
            new Restriction("allowBluetooth", "bluetoothDisabled", false, true),
            new Restriction("allowFactoryReset", "factoryResetDisabled", false, true),
            new Restriction("allowDeveloperMode", "advancedSecurityOverrides.developerSettings", "DEVELOPER_SETTINGS_ALLOWED", "DEVELOPER_SETTINGS_DISABLED"),
            new Restriction("allowAccountChanges", "modifyAccountsDisabled", false, true));

    private void restrictions(ObjectNode policy, Map<String, Object> value, String key, Map<String, Set<String>> fields) {
        for (Restriction restriction : RESTRICTIONS) {
            flag(value, restriction.setting()).ifPresent(allowed -> {
                ObjectNode parent = policy;
                String[] names = restriction.path().split("\\.");
                for (int i = 0; i < names.length - 1; i++) {
                    parent = parent.has(names[i]) ? (ObjectNode) parent.get(names[i]) : parent.putObject(names[i]);
                }
                parent.set(names[names.length - 1], json.valueToTree(allowed ? restriction.allowed() : restriction.denied()));
                use(fields, restriction.path(), key);
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

    private static List<String> texts(Map<String, Object> value, String name) {
        return value.get(name) instanceof List<?> list
                ? list.stream().filter(String.class::isInstance).map(String.class::cast).filter(text -> !text.isBlank()).toList() : List.of();
    }

    private static Optional<String> text(Map<String, Object> value, String name) {
        return value.get(name) instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }
}
