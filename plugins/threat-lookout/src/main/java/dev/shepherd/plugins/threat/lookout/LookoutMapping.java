package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How Lookout's words become the common scale. The table (also in the README):
 *
 * <table>
 *   <caption>Lookout to {@link ThreatLevel}</caption>
 *   <tr><th>device {@code security_status}</th><th>threat {@code risk}</th><th>level</th></tr>
 *   <tr><td>{@code SECURE}</td><td>{@code NONE}</td><td>NONE</td></tr>
 *   <tr><td>{@code THREATS_LOW}</td><td>{@code LOW}, {@code ADVISORY}</td><td>LOW</td></tr>
 *   <tr><td>{@code THREATS_MEDIUM}</td><td>{@code MEDIUM}</td><td>MEDIUM</td></tr>
 *   <tr><td>{@code THREATS_HIGH}</td><td>{@code HIGH}</td><td>HIGH</td></tr>
 *   <tr><td>{@code THREATS_CRITICAL}</td><td>{@code CRITICAL}</td><td>CRITICAL</td></tr>
 *   <tr><td>absent or anything else</td><td>absent or anything else</td><td>MEDIUM (never "secure" for what we cannot read)</td></tr>
 * </table>
 *
 * <p>A device's level is the worse of its security status and the risks of its open threats, so a threat event
 * that arrives before the device's own status change already counts. v1 of the API spelled the statuses
 * {@code THREAT_LOW} etc.; both spellings are read.
 */
final class LookoutMapping {

    /** The identifier kinds kept for admins; the kernel does not match on them. */
    static final String CUSTOMER_DEVICE_ID = "lookoutCustomerDeviceId";
    static final String MDM_EXTERNAL_ID = "lookoutMdmExternalId";
    static final String EMAIL = "lookoutEmail";

    private LookoutMapping() {
    }

    static ThreatLevel securityStatus(Optional<String> status) {
        return switch (status.map(value -> value.toUpperCase(Locale.ROOT)).orElse("")) {
            case "SECURE" -> ThreatLevel.NONE;
            case "THREATS_LOW", "THREAT_LOW" -> ThreatLevel.LOW;
            case "THREATS_MEDIUM", "THREAT_MEDIUM" -> ThreatLevel.MEDIUM;
            case "THREATS_HIGH", "THREAT_HIGH" -> ThreatLevel.HIGH;
            case "THREATS_CRITICAL", "THREAT_CRITICAL" -> ThreatLevel.CRITICAL;
            default -> ThreatLevel.MEDIUM;
        };
    }

    static ThreatLevel risk(Optional<String> risk) {
        return switch (risk.map(value -> value.toUpperCase(Locale.ROOT)).orElse("")) {
            case "NONE" -> ThreatLevel.NONE;
            case "LOW", "ADVISORY" -> ThreatLevel.LOW;
            case "MEDIUM" -> ThreatLevel.MEDIUM;
            case "HIGH" -> ThreatLevel.HIGH;
            case "CRITICAL" -> ThreatLevel.CRITICAL;
            default -> ThreatLevel.MEDIUM;
        };
    }

    /** @return whether a threat's {@code status} means it still stands ({@code OPEN}); anything else drops it */
    static boolean isOpen(JsonNode threat) {
        return LookoutJson.text(threat, "status").map(value -> value.equalsIgnoreCase("OPEN")).orElse(false);
    }

    /** @return the device a threat is on: {@code device.guid}, else {@code device_guid} */
    static Optional<String> threatDeviceGuid(JsonNode threat) {
        return LookoutJson.identifier(threat, "device", "guid").or(() -> LookoutJson.identifier(threat, "device_guid"));
    }

    /**
     * @param guid the device's Lookout GUID
     * @param device the device resource as Lookout last described it, possibly missing
     */
    static VendorDevice vendorDevice(String guid, JsonNode device) {
        Map<String, String> identifiers = new LinkedHashMap<>();
        Optional<DeviceId> serverDeviceId = Optional.empty();
        Optional<String> externalId = LookoutJson.text(device, "details", "external_id");
        if (externalId.isPresent()) {
            // Lookout sets details.external_id when it imported the device from an MDM: the MDM's own id. Ours are UUIDs;
            // another MDM's id that is not one stays an identifier for admins.
            serverDeviceId = parseDeviceId(externalId.get());
            if (serverDeviceId.isEmpty()) {
                identifiers.put(MDM_EXTERNAL_ID, externalId.get());
            }
        }
        LookoutJson.text(device, "customer_device_id").ifPresent(value -> identifiers.put(CUSTOMER_DEVICE_ID, value));
        LookoutJson.text(device, "email").or(() -> LookoutJson.text(device, "email_address"))
                .ifPresent(value -> identifiers.put(EMAIL, value));
        return new VendorDevice(guid, serverDeviceId, Optional.empty(), identifiers, Optional.empty());
    }

    private static Optional<DeviceId> parseDeviceId(String text) {
        try {
            return Optional.of(DeviceId.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** @return the device's statuses in Lookout's words, shown beside the level */
    static String verdict(JsonNode device) {
        StringBuilder verdict = new StringBuilder();
        for (String field : new String[] {"security_status", "protection_status", "activation_status"}) {
            LookoutJson.text(device, field).ifPresent(value -> verdict.append(verdict.isEmpty() ? "" : ", ")
                    .append(field).append('=').append(value));
        }
        return verdict.isEmpty() ? "security_status unknown" : verdict.toString();
    }

    /**
     * @param threat a threat resource
     * @param fallback when Lookout gave no time at all
     * @return the threat in the common form, or empty when it has no usable GUID
     */
    static Optional<Threat> threat(JsonNode threat, Instant fallback) {
        Optional<String> guid = LookoutJson.identifier(threat, "guid").or(() -> LookoutJson.identifier(threat, "id"));
        if (guid.isEmpty()) {
            return Optional.empty();
        }
        String classification = LookoutJson.text(threat, "assessment", "classification")
                .or(() -> LookoutJson.text(threat, "classification")).orElse("UNKNOWN");
        String type = LookoutJson.text(threat, "threat_type").or(() -> LookoutJson.text(threat, "type")).orElse(classification);
        String name = humane(classification) + LookoutJson.text(threat, "details", "application_name")
                .or(() -> LookoutJson.text(threat, "application_name")).map(app -> " (" + app + ")").orElse("");
        Instant firstSeen = LookoutJson.instant(threat, "detected_at").orElse(fallback);
        Instant lastSeen = LookoutJson.instant(threat, "changed_at").or(() -> LookoutJson.instant(threat, "updated_at"))
                .filter(changed -> !changed.isBefore(firstSeen)).orElse(firstSeen);
        ThreatLevel severity = risk(LookoutJson.text(threat, "assessment", "risk").or(() -> LookoutJson.text(threat, "risk")));
        return Optional.of(new Threat(guid.get(), type, name, severity, firstSeen, lastSeen, Optional.empty()));
    }

    /** {@code ROOT_ENABLER} becomes {@code Root enabler}; what has no words left stays as Lookout wrote it. */
    private static String humane(String classification) {
        String words = classification.replace('_', ' ').strip().toLowerCase(Locale.ROOT);
        return words.isEmpty() ? classification : Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }
}
