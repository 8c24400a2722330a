package dev.shepherd.threat;

import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.VendorDevice;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bounds of what a connector may hand the kernel, which the tables' columns and an admin's screen can hold. A
 * report beyond them is refused whole, with the bound named, before anything is written.
 */
public final class ThreatLimits {

    /** The most assessments one push or one poll carries; a vendor with more pages through them ({@code more}). */
    public static final int ASSESSMENTS_PER_REPORT = 1_000;
    /** The most threats behind one assessment. */
    public static final int THREATS_PER_ASSESSMENT = 100;
    /** The most identifiers of one vendor device. */
    public static final int IDENTIFIERS_PER_DEVICE = 32;
    /** The most unmatched signals kept per connector: the newest. */
    public static final int UNMATCHED_KEPT = 1_000;
    static final int FAILURE_LENGTH = 1_000;
    private static final Pattern CONNECTOR_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    private ThreatLimits() {
    }

    /** @throws IllegalArgumentException when the id is not lower case letters, digits and dashes, at most 64 */
    public static String connectorId(String connectorId) {
        if (connectorId == null || !CONNECTOR_ID.matcher(connectorId).matches()) {
            throw new IllegalArgumentException("a connector id is 1 to 64 lower-case letters, digits and dashes: " + connectorId);
        }
        return connectorId;
    }

    /** @throws IllegalArgumentException naming the first bound an assessment exceeds */
    public static void check(List<ThreatAssessment> assessments) {
        if (assessments.size() > ASSESSMENTS_PER_REPORT) {
            throw new IllegalArgumentException(assessments.size() + " assessments in one report; at most " + ASSESSMENTS_PER_REPORT
                    + " (page through more with ThreatPoll.more)");
        }
        for (ThreatAssessment assessment : assessments) {
            check(assessment);
        }
    }

    private static void check(ThreatAssessment assessment) {
        VendorDevice device = assessment.device();
        String vendorId = device.vendorDeviceId();
        at(vendorId, 255, "vendorDeviceId", vendorId);
        String where = "vendor device " + clip(vendorId, 255);
        at(assessment.vendorVerdict(), 1_000, "vendorVerdict", where);
        device.serialNumber().ifPresent(serial -> at(serial, 128, "serialNumber", where));
        device.name().ifPresent(name -> at(name, 255, "name", where));
        if (device.identifiers().size() > IDENTIFIERS_PER_DEVICE) {
            throw new IllegalArgumentException(where + ": " + device.identifiers().size() + " identifiers; at most " + IDENTIFIERS_PER_DEVICE);
        }
        for (Map.Entry<String, String> identifier : device.identifiers().entrySet()) {
            at(identifier.getKey(), 64, "an identifier's kind", where);
            at(identifier.getValue(), 255, "identifier " + clip(identifier.getKey(), 64), where);
        }
        if (assessment.threats().size() > THREATS_PER_ASSESSMENT) {
            throw new IllegalArgumentException(where + ": " + assessment.threats().size() + " threats; at most " + THREATS_PER_ASSESSMENT);
        }
        for (Threat threat : assessment.threats()) {
            at(threat.id(), 255, "a threat's id", where);
            at(threat.type(), 64, "threat type", where);
            at(threat.name(), 500, "threat name", where);
            threat.link().ifPresent(link -> at(link.toString(), 2_000, "threat link", where));
            threat.link().ifPresent(link -> {
                String scheme = link.getScheme() == null ? "" : link.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("https") && !scheme.equals("http")) {
                    throw new IllegalArgumentException(where + ": a threat link must be an http(s) URL");
                }
            });
        }
    }

    private static void at(String value, int maximum, String what, String where) {
        if (value.length() > maximum) {
            throw new IllegalArgumentException(where + ": " + what + " is " + value.length() + " characters; at most " + maximum);
        }
    }

    /** @return the text cut to the length a column holds */
    static String clip(String text, int length) {
        return text.length() > length ? text.substring(0, length) : text;
    }
}
