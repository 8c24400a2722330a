package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Platform;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Brings what Google reports about a device (an AMAPI {@code Device}, from a Pub/Sub notification or a listing)
 * into the registry: a device seen for the first time is enrolled with the Shepherd token its enrollment nonce maps
 * to; every report updates its inventory, its check-in and its settings' actual state.
 */
@Singleton
public final class DeviceSync {

    /** The hardware-id kind under which Android devices are known: their AMAPI resource name. */
    public static final String HARDWARE_ID = "amapiDevice";
    private static final Logger log = LoggerFactory.getLogger(DeviceSync.class);

    private final DeviceRegistry registry;
    private final Enrollment enrollment;
    private final DevicePolicies devicePolicies;
    private final DeviceApps deviceApps;

    @Inject
    public DeviceSync(DeviceRegistry registry, Enrollment enrollment, DevicePolicies devicePolicies, DeviceApps deviceApps) {
        this.deviceApps = requireNonNull(deviceApps, "deviceApps is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.enrollment = requireNonNull(enrollment, "enrollment is null");
        this.devicePolicies = requireNonNull(devicePolicies, "devicePolicies is null");
    }

    /**
     * @param report an AMAPI {@code Device}
     * @return the Shepherd device, or empty when the report is unusable or the device cannot be enrolled
     */
    public Optional<Device> apply(JsonNode report) {
        String name = report.path("name").asText("");
        if (!Amapi.isResourceName(name) || !name.contains("/devices/")) {
            return Optional.empty();
        }
        JsonNode hardware = report.path("hardwareInfo");
        String serial = hardware.path("serialNumber").asText("");
        String model = hardware.path("model").asText("");
        String osVersion = report.path("softwareInfo").path("androidVersion").asText("");
        Optional<Device> known = registry.findByHardwareId(Platform.ANDROID, HARDWARE_ID, name);
        boolean deleted = "DELETED".equals(report.path("state").asText("")) || "DELETED".equals(report.path("appliedState").asText(""));
        if (deleted && known.isEmpty()) {
            return Optional.empty(); // a device Google deleted before Shepherd knew it
        }
        if (known.isEmpty()) {
            Optional<String> token = enrollment.shepherdToken(report.path("enrollmentTokenData").asText(""));
            if (token.isEmpty()) {
                log.warn("Google reports device {} enrolled without a Shepherd enrollment token; it is left alone", name);
                return Optional.empty();
            }
            boolean personal = "PERSONALLY_OWNED".equals(report.path("ownership").asText());
            // A zero-touch configuration's token: the device provisioned itself at first boot.
            EnrollmentMethod method = enrollment.viaProgram(report.path("enrollmentTokenData").asText("")) ? EnrollmentMethod.PROGRAM
                    : personal ? EnrollmentMethod.LINK : EnrollmentMethod.QR_CODE;
            try {
                known = Optional.of(registry.enroll(new EnrollmentClaim(token, Platform.ANDROID,
                        method, Map.of(HARDWARE_ID, name), serial, model, osVersion,
                        displayName(hardware))));
                log.info("Android device {} enrolled as {}", name, known.get().id());
            } catch (EnrollmentRefusedException e) {
                log.warn("Device {} cannot be enrolled: {}", name, e.getMessage());
                return Optional.empty();
            }
        }
        Device device = known.get();
        if (device.status() == DeviceStatus.RETIRED || device.status() == DeviceStatus.WIPED) {
            // Google forgets a device once it is deleted; a late or replayed report of it changes nothing here.
            log.info("Ignored a report of device {}, whose management has ended", name);
            return Optional.empty();
        }
        if (deleted) {
            // Google publishes DELETED in the device's last report once it acknowledged its deletion (devices.delete,
            // whoever called it): a fully managed device is factory reset then, a work profile removed.
            if (devicePolicies.workProfile(device)) {
                registry.recordUnenrolled(device.id(), "Google reports the device deleted: its work profile was removed");
            } else {
                registry.recordWiped(device.id(), "Google reports the device deleted: Android factory resets a fully managed device");
            }
            deviceApps.forgetDevice(device.id());
            log.info("Android device {} ({}) was deleted at Google", name, device.id());
            return Optional.empty();
        }
        if (report.hasNonNull("managementMode")) {
            devicePolicies.recordManagementMode(device.id(), report.get("managementMode").asText());
        }
        Map<String, String> facts = inventory(report);
        if (report.path("applicationReports").isArray()) {
            // A report lists every app, so apps no longer listed were removed.
            registry.replaceInventory(device.id(), "app.", facts);
        } else {
            registry.recordInventory(device.id(), facts);
        }
        registry.recordCheckIn(device.id(), time(report.path("lastStatusReportTime").asText("")).orElse(Instant.now()));
        devicePolicies.reportActual(device.id(), report);
        deviceApps.reported(device.id(), report); // after the inventory, so the kernel sees the version an acknowledgement is about
        return Optional.of(device);
    }

    static Map<String, String> inventory(JsonNode report) {
        Map<String, String> facts = new LinkedHashMap<>();
        JsonNode hardware = report.path("hardwareInfo");
        JsonNode software = report.path("softwareInfo");
        put(facts, "os.version", software.path("androidVersion"));
        put(facts, "model", hardware.path("model"));
        put(facts, "serial.number", hardware.path("serialNumber"));
        String name = displayName(hardware);
        if (!name.isBlank()) {
            facts.put("device.name", name);
        }
        put(facts, "android.manufacturer", hardware.path("manufacturer"));
        put(facts, "android.brand", hardware.path("brand"));
        put(facts, "android.apiLevel", report.path("apiLevel"));
        put(facts, "android.securityPatchLevel", software.path("securityPatchLevel"));
        put(facts, "android.buildNumber", software.path("androidBuildNumber"));
        put(facts, "android.managementMode", report.path("managementMode"));
        put(facts, "android.ownership", report.path("ownership"));
        put(facts, "android.state", report.path("state"));
        put(facts, "android.appliedState", report.path("appliedState"));
        put(facts, "android.policyName", report.path("policyName"));
        put(facts, "android.appliedPolicyName", report.path("appliedPolicyName"));
        put(facts, "android.policyCompliant", report.path("policyCompliant"));
        put(facts, "android.enrollmentTime", report.path("enrollmentTime"));
        put(facts, "android.lastPolicySyncTime", report.path("lastPolicySyncTime"));
        put(facts, "android.lastStatusReportTime", report.path("lastStatusReportTime"));
        put(facts, "android.nonComplianceCount", report.has("nonComplianceDetails") ? report.get("nonComplianceDetails").size() : null);
        complianceFacts(report, facts);
        return facts;
    }

    /**
     * The status report in the kernel's compliance terms: a device secured by a PIN or password has a passcode, which
     * is compliant unless Google lists the password policies among the settings the device does not meet; encryption
     * as reported; a device Google judges potentially compromised counts as rooted; and the app list, when the policy
     * asks for application reports.
     */
    private static void complianceFacts(JsonNode report, Map<String, String> facts) {
        JsonNode settings = report.path("deviceSettings");
        if (settings.path("isDeviceSecure").isBoolean()) {
            facts.put("passcode.present", String.valueOf(settings.path("isDeviceSecure").asBoolean()));
        }
        if (settings.path("isEncrypted").isBoolean()) {
            facts.put("storage.encrypted", String.valueOf(settings.path("isEncrypted").asBoolean()));
        }
        // The rest of the device-settings report, as Android states it.
        for (String field : new String[] {"encryptionStatus", "adbEnabled", "developmentSettingsEnabled", "unknownSourcesEnabled", "verifyAppsEnabled"}) {
            put(facts, "android." + field, settings.path(field));
        }
        if (report.has("nonComplianceDetails") || report.has("policyCompliant")) {
            boolean passwordFailing = false;
            for (JsonNode detail : report.path("nonComplianceDetails")) {
                String setting = detail.path("settingName").asText("");
                passwordFailing |= setting.equals("passwordPolicies") || setting.equals("passwordRequirements");
            }
            facts.put("passcode.compliant", String.valueOf(!passwordFailing));
        }
        String posture = report.path("securityPosture").path("devicePosture").asText("");
        if (!posture.isEmpty() && !posture.equals("POSTURE_UNSPECIFIED")) {
            facts.put("security.jailbroken", String.valueOf(posture.equals("POTENTIALLY_COMPROMISED")));
        }
        if (report.path("applicationReports").isArray()) {
            facts.put("apps.reported", "true");
            for (JsonNode app : report.path("applicationReports")) {
                if (app.hasNonNull("packageName") && !"REMOVED".equals(app.path("state").asText(""))) {
                    facts.put("app." + app.get("packageName").asText(), app.path("versionName").asText(""));
                }
            }
        }
    }

    private static void put(Map<String, String> facts, String key, Object value) {
        if (value instanceof JsonNode node) {
            if (!node.isMissingNode() && !node.isNull() && !node.asText("").isBlank()) {
                facts.put(key, node.asText());
            }
        } else if (value != null) {
            facts.put(key, value.toString());
        }
    }

    private static String displayName(JsonNode hardware) {
        String brand = hardware.path("brand").asText("");
        String model = hardware.path("model").asText("");
        return (brand.isBlank() || model.toLowerCase().startsWith(brand.toLowerCase()) ? model : brand + " " + model).trim();
    }

    private static Optional<Instant> time(String text) {
        try {
            return text.isBlank() ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
