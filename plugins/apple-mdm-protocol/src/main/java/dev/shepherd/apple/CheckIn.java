package dev.shepherd.apple;

import com.dd.plist.NSDictionary;

import static java.util.Objects.requireNonNull;

/**
 * A check-in message: Authenticate, TokenUpdate, CheckOut, UserAuthenticate, GetBootstrapToken,
 * SetBootstrapToken or DeclarativeManagement.
 *
 * @param messageType the message type
 * @param sender the device (by UDID or, under user enrollment, EnrollmentID) and, on the user channel, the user
 * @param body the whole message
 */
public record CheckIn(String messageType, Sender sender, NSDictionary body) {

    public CheckIn {
        requireNonNull(messageType, "messageType is null");
        requireNonNull(sender, "sender is null");
        requireNonNull(body, "body is null");
    }

    /**
     * @throws PlistException when MessageType or UDID (EnrollmentID) is missing or malformed
     */
    public static CheckIn parse(NSDictionary body) {
        String type = Plists.string(body, "MessageType");
        if (type == null) {
            throw new PlistException("a check-in message needs MessageType");
        }
        return new CheckIn(type, Sender.of(body), body);
    }

    public String string(String key) {
        return Plists.string(body, key);
    }
}
