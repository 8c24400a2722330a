package dev.shepherd.apple;

import com.dd.plist.NSDictionary;

import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Whom an MDM message speaks for: a device by its {@code UDID}, or a user-enrolled device by its {@code EnrollmentID}
 * (user enrollment hides the UDID and the serial number from the server); and, on a Mac's user channel, which user
 * ({@code UserID}, or {@code EnrollmentUserID} under user enrollment).
 *
 * @param id the UDID or the EnrollmentID
 * @param userEnrolled whether {@code id} is an EnrollmentID
 * @param userId the user the message speaks for on the user channel; empty on the device channel
 */
public record Sender(String id, boolean userEnrolled, Optional<String> userId) {

    /** Apple's identifiers are hex, dashes and the like; the separators of storage keys are refused. */
    private static final Pattern IDENTIFIER = Pattern.compile("[^:/\\s]{1,128}");

    /** Validates every part. */
    public Sender {
        requireNonNull(id, "id is null");
        requireNonNull(userId, "userId is null");
        if (!IDENTIFIER.matcher(id).matches() || userId.filter(user -> !IDENTIFIER.matcher(user).matches()).isPresent()) {
            throw new PlistException("UDID, EnrollmentID, UserID and EnrollmentUserID are 1 to 128 characters without ':', '/' or spaces");
        }
    }

    /**
     * @throws PlistException when the message names no device (UDID or EnrollmentID) or a malformed one
     */
    public static Sender of(NSDictionary message) {
        String udid = Plists.string(message, "UDID");
        String enrollmentId = Plists.string(message, "EnrollmentID");
        if (udid == null && enrollmentId == null) {
            throw new PlistException("a message needs UDID (or EnrollmentID under user enrollment)");
        }
        Optional<String> user = Optional.ofNullable(Plists.string(message, "UserID"))
                .or(() -> Optional.ofNullable(Plists.string(message, "EnrollmentUserID")));
        // A device-enrolled device is known by its UDID, whatever else it sends.
        return udid != null ? new Sender(udid, false, user) : new Sender(enrollmentId, true, user);
    }

    /**
     * @return the device's key in plugin storage: the UDID as it always was, an EnrollmentID prefixed so the two kinds
     *         can never name the same device
     */
    public String deviceKey() {
        return userEnrolled ? "EnrollmentID:" + id : id;
    }

    /** @return the hardware identifier the kernel knows the device by: {@code udid} or {@code enrollmentId} */
    public String hardwareIdKind() {
        return userEnrolled ? "enrollmentId" : "udid";
    }

    /** @return whether the message comes from a user channel */
    public boolean userChannel() {
        return userId.isPresent();
    }
}
