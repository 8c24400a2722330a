package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Defender's verdicts in the common scale. The table (also in the plugin's README):
 *
 * <table>
 *   <caption>Defender's risk score and alert severity to {@link ThreatLevel}</caption>
 *   <tr><th>Defender</th><th>level</th></tr>
 *   <tr><td>{@code High}</td><td>{@link ThreatLevel#HIGH}</td></tr>
 *   <tr><td>{@code Medium}</td><td>{@link ThreatLevel#MEDIUM}</td></tr>
 *   <tr><td>{@code Low}, {@code Informational}</td><td>{@link ThreatLevel#LOW}</td></tr>
 *   <tr><td>{@code None}</td><td>{@link ThreatLevel#NONE}</td></tr>
 * </table>
 *
 * A machine without a risk score has not been assessed and gets no verdict (rather than a "secure" one). The
 * exposure level is kept in the verdict's words only: it measures unpatched software and weak configuration, not an
 * attack, and raising the level for it would quarantine devices that are merely out of date, which the server's OS
 * version rules judge. An alert's severity is mapped like the risk score ({@code UnSpecified} and unknown ones as
 * {@link ThreatLevel#LOW}); Defender never reports {@link ThreatLevel#CRITICAL}.
 */
final class DefenderVerdicts {

    private final URI portalUrl;
    private final int maxAlertsPerMachine;

    /**
     * @param portalUrl the Defender portal, for each alert's link
     * @param maxAlertsPerMachine the most active alerts reported per machine, the most recent first
     */
    DefenderVerdicts(URI portalUrl, int maxAlertsPerMachine) {
        this.portalUrl = requireNonNull(portalUrl, "portalUrl is null");
        this.maxAlertsPerMachine = maxAlertsPerMachine;
    }

    /**
     * @param riskScore Defender's risk score or an alert's severity
     * @return the level in the common scale
     */
    static ThreatLevel level(String riskScore) {
        return switch (riskScore.toLowerCase(Locale.ROOT)) {
            case "high" -> ThreatLevel.HIGH;
            case "medium" -> ThreatLevel.MEDIUM;
            case "none" -> ThreatLevel.NONE;
            default -> ThreatLevel.LOW; // Low, Informational, UnSpecified and values Defender may add
        };
    }

    /** @return whether Defender has assessed the machine, so it has a verdict at all */
    static boolean assessed(DefenderClient.Machine machine) {
        return machine.riskScore().isPresent();
    }

    /** @return whether the machine's alerts are worth reading: its risk is above None */
    static boolean atRisk(DefenderClient.Machine machine) {
        return machine.riskScore().map(DefenderVerdicts::level).map(level -> level != ThreatLevel.NONE).orElse(false);
    }

    /**
     * @param machine an assessed machine
     * @param alerts its alerts (resolved ones are left out here)
     * @param assessedAt when Defender's answer was read
     * @return the assessment
     */
    ThreatAssessment assessment(DefenderClient.Machine machine, List<DefenderClient.Alert> alerts, Instant assessedAt) {
        String risk = machine.riskScore().orElseThrow(() -> new IllegalArgumentException("machine " + machine.id() + " has no risk score"));
        List<Threat> threats = alerts.stream().filter(DefenderClient.Alert::active)
                .sorted(Comparator.comparing((DefenderClient.Alert alert) -> lastSeen(alert).orElse(Instant.EPOCH)).reversed())
                .limit(maxAlertsPerMachine).map(this::threat).toList();
        String verdict = "riskScore=" + risk + ", exposureLevel=" + machine.exposureLevel().orElse("unknown")
                + machine.healthStatus().map(health -> ", healthStatus=" + health).orElse("");
        return new ThreatAssessment(device(machine), level(risk), verdict, threats, assessedAt);
    }

    /** The machine as the kernel matches it: Defender's machine id, its Entra device id, its name. */
    static VendorDevice device(DefenderClient.Machine machine) {
        Map<String, String> identifiers = new LinkedHashMap<>();
        machine.aadDeviceId().ifPresent(id -> identifiers.put("entraDeviceId", id));
        machine.osPlatform().ifPresent(platform -> identifiers.put("defenderOsPlatform", platform));
        // Defender's machine resource carries no serial number, and no id of the MDM that manages the device.
        return new VendorDevice(machine.id(), Optional.empty(), Optional.empty(), identifiers, machine.computerDnsName());
    }

    private Threat threat(DefenderClient.Alert alert) {
        Instant first = alert.firstEventTime().or(alert::alertCreationTime).or(alert::lastUpdateTime).orElse(Instant.EPOCH);
        Instant last = lastSeen(alert).filter(at -> !at.isBefore(first)).orElse(first);
        URI link = URI.create(portalUrl + "/alerts/" + URLEncoder.encode(alert.id(), StandardCharsets.UTF_8).replace("+", "%20"));
        return new Threat(alert.id(), alert.category().orElse("Alert"), alert.title(), level(alert.severity()), first, last, Optional.of(link));
    }

    private static Optional<Instant> lastSeen(DefenderClient.Alert alert) {
        return alert.lastEventTime().or(alert::lastUpdateTime).or(alert::alertCreationTime);
    }
}
