package dev.shepherd.plugins.chromeos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Compiles the kernel's setting types into Chrome Policy API policy values (a schema name and the fields it sets).
 *
 * <p>Only fields the admin set are compiled, and each policy value carries exactly those fields, which become the
 * {@code updateMask} of its {@code batchModify}: fields the admin left out stay as Google has them. A setting none of
 * whose fields has a Chrome equivalent compiles to nothing and is refused, so it is never reported as applied.
 */
public final class ChromePolicies {

    /** One Chrome policy value for an org unit; its fields keep their order, which is the order of the update mask. */
    public record ChromePolicy(String schema, Map<String, Object> value) {
        /** Validates and copies every part. */
        public ChromePolicy {
            requireNonNull(schema, "schema is null");
            value = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(value, "value is null")));
        }
    }

    /** The kernel setting types with Chrome equivalents. */
    public static final Set<String> SUPPORTED_TYPES = Set.of("screen_lock", "os_update", "restrictions");

    private static final Map<String, List<String>> SCHEMAS = Map.of(
            "screen_lock", List.of("chrome.users.IdleSettingsExtended"),
            "os_update", List.of("chrome.devices.AutoUpdateSettings"),
            "restrictions", List.of("chrome.users.VideoCaptureAllowed", "chrome.users.Screenshot", "chrome.devices.Bluetooth",
                    "chrome.devices.DevicePowerwashAllowed"));

    private ChromePolicies() {
    }

    /**
     * The schemas a setting type may set, which removing the setting hands back to the parent org unit.
     *
     * @param type a setting type
     * @return its schemas, empty for an unsupported type
     */
    public static List<String> schemas(String type) {
        return SCHEMAS.getOrDefault(requireNonNull(type, "type is null"), List.of());
    }

    /**
     * Compiles one setting.
     *
     * @param type the setting's type
     * @param value the setting's value, valid against the type's schema
     * @return the policy values, one per Chrome schema touched
     * @throws IllegalArgumentException when the type is unsupported or none of the set fields has a Chrome equivalent
     */
    public static List<ChromePolicy> compile(String type, Map<String, Object> value) {
        requireNonNull(type, "type is null");
        requireNonNull(value, "value is null");
        List<ChromePolicy> policies = new ArrayList<>();
        switch (type) {
            case "screen_lock" -> {
                Map<String, Object> idle = new LinkedHashMap<>();
                if (value.get("timeoutMinutes") instanceof Number minutes) {
                    // NullableDuration in seconds; the same on battery and on power, as Shepherd has one timeout.
                    Map<String, Object> delay = Map.of("duration", minutes.longValue() * 60);
                    idle.put("screenLockDelayAc", delay);
                    idle.put("screenLockDelayBattery", delay);
                }
                if (value.get("lockOnSleep") instanceof Boolean lock) {
                    idle.put("lockOnSleepOrLidClose", lock ? "TRUE" : "FALSE");
                }
                add(policies, "chrome.users.IdleSettingsExtended", idle);
            }
            case "os_update" -> {
                Map<String, Object> update = new LinkedHashMap<>();
                if (value.get("automatic") instanceof Boolean automatic) {
                    update.put("updateDisabled", !automatic);
                }
                add(policies, "chrome.devices.AutoUpdateSettings", update);
            }
            case "restrictions" -> {
                allow(policies, value, "allowCamera", "chrome.users.VideoCaptureAllowed", "videoCaptureAllowed", false);
                allow(policies, value, "allowScreenCapture", "chrome.users.Screenshot", "disableScreenshots", true);
                allow(policies, value, "allowBluetooth", "chrome.devices.Bluetooth", "allowBluetooth", false);
                allow(policies, value, "allowFactoryReset", "chrome.devices.DevicePowerwashAllowed", "devicePowerwashAllowed", false);
            }
            default -> throw new IllegalArgumentException("ChromeOS has no equivalent of the setting type " + type);
        }
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("none of the fields set in this " + type + " setting has a ChromeOS equivalent");
        }
        return List.copyOf(policies);
    }

    private static void allow(List<ChromePolicy> policies, Map<String, Object> value, String field, String schema, String chromeField,
                              boolean inverted) {
        if (value.get(field) instanceof Boolean allowed) {
            policies.add(new ChromePolicy(schema, Map.of(chromeField, inverted != allowed)));
        }
    }

    private static void add(List<ChromePolicy> policies, String schema, Map<String, Object> fields) {
        if (!fields.isEmpty()) {
            policies.add(new ChromePolicy(schema, fields));
        }
    }
}
