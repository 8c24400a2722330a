package dev.shepherd.apple;

import com.dd.plist.NSDictionary;

import static java.util.Objects.requireNonNull;

/**
 * A check-in message: Authenticate, TokenUpdate, CheckOut, UserAuthenticate, GetBootstrapToken,
 * SetBootstrapToken or DeclarativeManagement.
 *
 * @param messageType the message type
 * @param udid the device (or the user-enrollment EnrollmentID)
 * @param body the whole message
 */
public record CheckIn(String messageType, String udid, NSDictionary body) {

    public CheckIn {
        requireNonNull(messageType, "messageType is null");
        requireNonNull(udid, "udid is null");
        requireNonNull(body, "body is null");
    }

    /**
     * @throws PlistException when MessageType or UDID is missing
     */
    public static CheckIn parse(NSDictionary body) {
        String type = Plists.string(body, "MessageType");
        String udid = Plists.string(body, "UDID");
        if (udid == null) {
            udid = Plists.string(body, "EnrollmentID");
        }
        if (type == null || udid == null) {
            throw new PlistException("a check-in message needs MessageType and UDID (or EnrollmentID)");
        }
        return new CheckIn(type, udid, body);
    }

    public String string(String key) {
        return Plists.string(body, key);
    }
}
