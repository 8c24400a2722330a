package dev.shepherd.command;

import dev.shepherd.api.command.Command;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A command with its delivery history, as admins see it.
 *
 * @param command the command as plugins see it
 * @param batchId the fan-out it belongs to, if any
 * @param createdBy who issued it
 * @param sentAt when it was last handed to the device
 * @param completedAt when it reached a final state
 * @param attempts how many times it was handed to the device
 * @param result the device's response
 * @param errorReason the device's words when it failed
 * @param updatedAt when its state last changed
 */
public record CommandRecord(Command command, Optional<String> batchId, String createdBy, Optional<Instant> sentAt,
                            Optional<Instant> completedAt, int attempts, Map<String, Object> result,
                            Optional<String> errorReason, Instant updatedAt) {
    public CommandRecord {
        requireNonNull(command, "command is null");
        requireNonNull(batchId, "batchId is null");
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(sentAt, "sentAt is null");
        requireNonNull(completedAt, "completedAt is null");
        result = Map.copyOf(requireNonNull(result, "result is null"));
        requireNonNull(errorReason, "errorReason is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
