package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.policy.Setting;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Compiles the kernel's setting types into Chrome Policy API policy values (a schema name and the fields it sets).
 *
 * <p>Only fields the admin set are compiled, and each policy value carries exactly those fields, which become the
 * {@code updateMask} of its {@code batchModify}: fields the admin left out stay as Google has them. Fields ChromeOS
 * cannot express are named in {@link Compiled#unsupported()}, so the setting is reported failed with them instead of
 * applied as if whole. A setting none of whose fields has a Chrome equivalent compiles to nothing and is refused.
 * Wi-Fi, VPN and certificates are not policy values but network definitions: see {@link ChromeNetworks}.
 */
public final class ChromePolicies {

    /** The plugin's own setting type for Chrome apps, extensions, Android and web apps. */
    public static final String APP_TYPE = "chromeos.app";

    /**
     * One Chrome policy value for an org unit; its fields keep their order, which is the order of the update mask.
     *
     * @param schema the policy schema
     * @param targetKeys the policy target key's {@code additionalTargetKeys}, such as {@code app_id}; usually empty
     * @param value the fields set
     */
    public record ChromePolicy(String schema, Map<String, String> targetKeys, Map<String, Object> value) {
        /** Validates and copies every part. */
        public ChromePolicy {
            requireNonNull(schema, "schema is null");
            targetKeys = Map.copyOf(requireNonNull(targetKeys, "targetKeys is null"));
            value = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(value, "value is null")));
        }

        /** A policy value of a schema without additional target keys. */
        public ChromePolicy(String schema, Map<String, Object> value) {
            this(schema, Map.of(), value);
        }
    }

    /**
     * What a setting compiles to.
     *
     * @param policies the policy values to set, one per schema touched
     * @param unsupported why each field the admin set that ChromeOS cannot express was left out; empty when all were
     */
    public record Compiled(List<ChromePolicy> policies, List<String> unsupported) {
        /** Copies every part. */
        public Compiled {
            policies = List.copyOf(requireNonNull(policies, "policies is null"));
            unsupported = List.copyOf(requireNonNull(unsupported, "unsupported is null"));
        }
    }

    /** The setting types compiled to policy values (the network types are in {@link ChromeNetworks#TYPES}). */
    public static final Set<String> POLICY_TYPES = Set.of("screen_lock", "os_update", "restrictions", "passcode", APP_TYPE);

    /**
     * Per setting type, each schema it may write and the fields it may write there (checked against the schemas Google
     * publishes through policySchemas.list). Two types may share a schema: screen lock and passcode both write the
     * lock delays of {@code chrome.users.IdleSettingsExtended}.
     */
    private static final Map<String, Map<String, List<String>>> FIELDS = Map.of(
            "screen_lock", ordered(Map.entry("chrome.users.IdleSettingsExtended",
                    List.of("screenLockDelayAc", "screenLockDelayBattery", "lockOnSleepOrLidClose"))),
            "os_update", ordered(Map.entry("chrome.devices.AutoUpdateSettings", List.of("updateDisabled", "deviceMinimumVersion"))),
            "restrictions", ordered(Map.entry("chrome.users.VideoInput", List.of("videoCaptureAllowed")),
                    Map.entry("chrome.users.Screenshot", List.of("disableScreenshots")), Map.entry("chrome.devices.Bluetooth", List.of("allowBluetooth")),
                    Map.entry("chrome.devices.DevicePowerwashAllowed", List.of("devicePowerwashAllowed"))),
            "passcode", ordered(Map.entry("chrome.users.PinSettings", List.of("pinUnlockMinimumLength")),
                    Map.entry("chrome.users.IdleSettingsExtended", List.of("screenLockDelayAc", "screenLockDelayBattery"))),
            APP_TYPE, ordered(Map.entry("chrome.users.apps.InstallType", List.of("appInstallType"))));

    /**
     * What removing a setting asks of Google on its org unit.
     *
     * @param inherit schemas handed back to the parent unit ({@code batchInherit}), done first
     * @param modify policy values the unit's remaining settings still write in those schemas ({@code batchModify}), done after
     */
    public record Removal(List<ChromePolicy> inherit, List<ChromePolicy> modify) {
        /** Copies every part. */
        public Removal {
            inherit = List.copyOf(requireNonNull(inherit, "inherit is null"));
            modify = List.copyOf(requireNonNull(modify, "modify is null"));
        }
    }

    private ChromePolicies() {
    }

    /**
     * The schemas a setting type may set, which removing the setting hands back to the parent org unit.
     *
     * @param type a setting type
     * @return its schemas, empty for a type that sets no policy values
     */
    public static List<String> schemas(String type) {
        return List.copyOf(FIELDS.getOrDefault(requireNonNull(type, "type is null"), Map.of()).keySet());
    }

    /**
     * Splits policy values into the batches Google takes: {@code batchModify} and {@code batchInherit} require every
     * request of one call to share the schema's namespace ({@code chrome.users}, {@code chrome.devices},
     * {@code chrome.users.apps}…) and the names of the additional target keys.
     *
     * @param policies policy values, in order
     * @return the batches, in the order of their first policy value; each keeps the order of its values
     */
    public static List<List<ChromePolicy>> batches(List<ChromePolicy> policies) {
        Map<String, List<ChromePolicy>> batches = new LinkedHashMap<>();
        for (ChromePolicy policy : requireNonNull(policies, "policies is null")) {
            String namespace = policy.schema().substring(0, Math.max(0, policy.schema().lastIndexOf('.')));
            batches.computeIfAbsent(namespace + " " + new TreeSet<>(policy.targetKeys().keySet()), key -> new ArrayList<>()).add(policy);
        }
        return List.copyOf(batches.values());
    }

    /**
     * What removing a setting from an org unit does to each schema its type may write, given the settings the unit keeps:
     * a schema no remaining setting writes is handed back to the parent unit; one that another setting still writes is
     * set again to the remaining settings' fields, after being handed back only when the removed setting may have
     * written a field they do not (Google inherits whole schemas, never single fields).
     *
     * @param type the removed setting's type
     * @param settingKey the removed setting's key
     * @param remaining the settings the unit's devices keep
     * @return the schemas to inherit and the values to set again
     */
    public static Removal removal(String type, String settingKey, List<Setting> remaining) {
        Map<String, String> targetKeys = targetKeys(type, settingKey);
        List<ChromePolicy> inherit = new ArrayList<>();
        List<ChromePolicy> modify = new ArrayList<>();
        for (Map.Entry<String, List<String>> schema : FIELDS.getOrDefault(type, Map.of()).entrySet()) {
            Map<String, Object> still = new LinkedHashMap<>();
            for (Setting setting : requireNonNull(remaining, "remaining is null")) {
                if (setting.key().equals(settingKey) || !POLICY_TYPES.contains(setting.type())) {
                    continue;
                }
                try {
                    for (ChromePolicy policy : compile(setting.type(), setting.value()).policies()) {
                        if (policy.schema().equals(schema.getKey()) && policy.targetKeys().equals(targetKeys)) {
                            still.putAll(policy.value());
                        }
                    }
                } catch (IllegalArgumentException e) {
                    // A remaining setting ChromeOS cannot express writes nothing.
                }
            }
            if (still.isEmpty() || !still.keySet().containsAll(schema.getValue())) {
                inherit.add(new ChromePolicy(schema.getKey(), targetKeys, Map.of()));
            }
            if (!still.isEmpty()) {
                modify.add(new ChromePolicy(schema.getKey(), targetKeys, still));
            }
        }
        return new Removal(inherit, modify);
    }

    /**
     * The additional target keys a removed setting's schemas are handed back with.
     *
     * @param type the setting's type
     * @param settingKey the kernel's key of the setting, such as {@code chromeos.app/chrome:<id>}
     * @return the keys, empty for types whose policies apply to the org unit as a whole
     */
    public static Map<String, String> targetKeys(String type, String settingKey) {
        requireNonNull(settingKey, "settingKey is null");
        if (APP_TYPE.equals(requireNonNull(type, "type is null")) && settingKey.startsWith(APP_TYPE + "/")) {
            return Map.of("app_id", settingKey.substring(APP_TYPE.length() + 1));
        }
        return Map.of();
    }

    /**
     * Compiles one setting.
     *
     * @param type the setting's type
     * @param value the setting's value, valid against the type's schema
     * @return the policy values, and what could not be expressed
     * @throws IllegalArgumentException when the type sets no policy values or none of the set fields has a Chrome equivalent
     */
    public static Compiled compile(String type, Map<String, Object> value) {
        requireNonNull(type, "type is null");
        requireNonNull(value, "value is null");
        List<ChromePolicy> policies = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        switch (type) {
            case "screen_lock" -> {
                Map<String, Object> idle = new LinkedHashMap<>();
                if (value.get("timeoutMinutes") instanceof Number minutes) {
                    lockDelays(idle, minutes);
                }
                if (value.get("lockOnSleep") instanceof Boolean lock) {
                    idle.put("lockOnSleepOrLidClose", lock ? "TRUE" : "FALSE");
                }
                add(policies, "chrome.users.IdleSettingsExtended", idle);
            }
            case "passcode" -> passcode(value, policies, unsupported);
            case "os_update" -> osUpdate(value, policies, unsupported);
            case "restrictions" -> {
                allow(policies, value, "allowCamera", "chrome.users.VideoInput", "videoCaptureAllowed", false);
                allow(policies, value, "allowScreenCapture", "chrome.users.Screenshot", "disableScreenshots", true);
                allow(policies, value, "allowBluetooth", "chrome.devices.Bluetooth", "allowBluetooth", false);
                allow(policies, value, "allowFactoryReset", "chrome.devices.DevicePowerwashAllowed", "devicePowerwashAllowed", false);
            }
            case APP_TYPE -> policies.add(new ChromePolicy("chrome.users.apps.InstallType",
                    Map.of("app_id", String.valueOf(value.get("appId"))), Map.of("appInstallType", String.valueOf(value.get("installType")))));
            default -> throw new IllegalArgumentException("ChromeOS has no equivalent of the setting type " + type);
        }
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("none of the fields set in this " + type + " setting has a ChromeOS equivalent"
                    + (unsupported.isEmpty() ? "" : ": " + String.join("; ", unsupported)));
        }
        return new Compiled(policies, unsupported);
    }

    /**
     * A ChromeOS user unlocks with the Google account's password, whose rules Google Workspace keeps (not the Chrome
     * Policy API), or with a PIN where quick unlock allows one; so the passcode's length rules the PIN, and its
     * inactivity lock is the screen lock delay. The rest has no ChromeOS policy.
     */
    private static void passcode(Map<String, Object> value, List<ChromePolicy> policies, List<String> unsupported) {
        if (Boolean.FALSE.equals(value.get("required"))) {
            unsupported.add("required=false: a ChromeOS user always unlocks with the Google account's password or a PIN");
        }
        if (value.get("minLength") instanceof Number length && length.intValue() > 0) {
            policies.add(new ChromePolicy("chrome.users.PinSettings", Map.of("pinUnlockMinimumLength", length.longValue())));
        }
        if (value.get("maxInactivityMinutes") instanceof Number minutes) {
            Map<String, Object> idle = new LinkedHashMap<>();
            lockDelays(idle, minutes);
            policies.add(new ChromePolicy("chrome.users.IdleSettingsExtended", idle));
        }
        if (Boolean.TRUE.equals(value.get("requireAlphanumeric"))) {
            unsupported.add("requireAlphanumeric: a ChromeOS PIN is digits, and the account password's rules are Google Workspace's");
        }
        positive(value, "minComplexCharacters", unsupported, "the account password's rules are Google Workspace's, not a Chrome policy");
        positive(value, "maxAgeDays", unsupported, "the account password's expiry is Google Workspace's, not a Chrome policy");
        positive(value, "historyCount", unsupported, "the account password's history is Google Workspace's, not a Chrome policy");
        if (value.get("maxFailedAttempts") instanceof Number) {
            unsupported.add("maxFailedAttempts: ChromeOS has no wipe after failed unlock attempts");
        }
    }

    private static void osUpdate(Map<String, Object> value, List<ChromePolicy> policies, List<String> unsupported) {
        Map<String, Object> update = new LinkedHashMap<>();
        if (value.get("automatic") instanceof Boolean automatic) {
            update.put("updateDisabled", !automatic);
        }
        if (value.get("minimumVersion") instanceof String version) {
            update.put("deviceMinimumVersion", Map.of("chromeosVersion", version));
        }
        add(policies, "chrome.devices.AutoUpdateSettings", update);
        if (value.get("enforceBy") != null) {
            unsupported.add("enforceBy: ChromeOS gives a minimum version a warning period in days from when the device learns of it, not a date");
        }
        positive(value, "deferralDays", unsupported,
                "ChromeOS can scatter updates over days (autoUpdateRolloutPlan) but not hold a new version back a fixed number of days");
        if (value.get("installWindowStart") != null || value.get("installWindowEnd") != null) {
            unsupported.add("installWindowStart/installWindowEnd: ChromeOS restricts updates by weekly times they may not download "
                    + "(autoUpdateTimeRestrictions), which this plugin does not derive from an install window");
        }
    }

    private static void lockDelays(Map<String, Object> idle, Number minutes) {
        // NullableDuration in seconds; the same on battery and on power, as Shepherd has one timeout.
        Map<String, Object> delay = Map.of("duration", minutes.longValue() * 60);
        idle.put("screenLockDelayAc", delay);
        idle.put("screenLockDelayBattery", delay);
    }

    private static void positive(Map<String, Object> value, String field, List<String> unsupported, String why) {
        if (value.get(field) instanceof Number number && number.longValue() > 0) {
            unsupported.add(field + ": " + why);
        }
    }

    private static void allow(List<ChromePolicy> policies, Map<String, Object> value, String field, String schema, String chromeField,
                              boolean inverted) {
        if (value.get(field) instanceof Boolean allowed) {
            policies.add(new ChromePolicy(schema, Map.of(chromeField, inverted != allowed)));
        }
    }

    @SafeVarargs
    private static Map<String, List<String>> ordered(Map.Entry<String, List<String>>... schemas) {
        Map<String, List<String>> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> schema : schemas) {
            ordered.put(schema.getKey(), schema.getValue());
        }
        return Collections.unmodifiableMap(ordered);
    }

    private static void add(List<ChromePolicy> policies, String schema, Map<String, Object> fields) {
        if (!fields.isEmpty()) {
            policies.add(new ChromePolicy(schema, fields));
        }
    }
}
