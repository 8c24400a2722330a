package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * What a device sends to the server URL: its status (Idle, Acknowledged, Error, CommandFormatError, NotNow), the
 * command it answers, and the command's response keys.
 *
 * @param sender the device (by UDID or, under user enrollment, EnrollmentID) and, on the user channel, the user
 * @param status the status
 * @param commandUuid the command answered; empty when Idle
 * @param errors the device's error chain, localized descriptions first
 * @param body the whole message, for the command-specific response keys
 */
public record CommandReport(Sender sender, String status, Optional<UUID> commandUuid, List<String> errors, NSDictionary body) {

    public CommandReport {
        requireNonNull(sender, "sender is null");
        requireNonNull(status, "status is null");
        requireNonNull(commandUuid, "commandUuid is null");
        errors = List.copyOf(errors);
        requireNonNull(body, "body is null");
    }

    /**
     * @throws PlistException when a required key is missing or malformed
     */
    public static CommandReport parse(NSDictionary body) {
        String status = Plists.string(body, "Status");
        if (status == null) {
            throw new PlistException("a report needs Status");
        }
        Sender sender = Sender.of(body);
        Optional<UUID> command = Optional.empty();
        String uuid = Plists.string(body, "CommandUUID");
        if (uuid != null && !status.equals("Idle")) {
            try {
                command = Optional.of(UUID.fromString(uuid));
            } catch (IllegalArgumentException e) {
                throw new PlistException("CommandUUID is not a command this server sent");
            }
        }
        List<String> errors = new ArrayList<>();
        NSObject chain = body.objectForKey("ErrorChain");
        if (chain instanceof NSArray array) {
            for (NSObject entry : array.getArray()) {
                if (entry instanceof NSDictionary error) {
                    String text = Plists.string(error, "LocalizedDescription");
                    String domain = Plists.string(error, "ErrorDomain");
                    String code = Plists.string(error, "ErrorCode");
                    errors.add((text == null ? "" : text) + (domain == null ? "" : " (" + domain + (code == null ? "" : " " + code) + ")"));
                }
            }
        }
        return new CommandReport(sender, status, command, errors, body);
    }
}
