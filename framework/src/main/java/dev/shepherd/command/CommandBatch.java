package dev.shepherd.command;

import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;

import java.time.Instant;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A fan-out of one command to many devices, with its progress.
 *
 * @param id identifier
 * @param type the command
 * @param description what the admin targeted, in words
 * @param total how many devices it was queued for
 * @param pushed how many devices have been sent a wake-up push so far
 * @param states how many of its commands are in each state
 * @param createdBy who issued it
 * @param createdAt when
 */
public record CommandBatch(String id, CommandType type, String description, int total, int pushed,
                           Map<CommandState, Integer> states, String createdBy, Instant createdAt) {
    public CommandBatch {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(description, "description is null");
        states = Map.copyOf(states);
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(createdAt, "createdAt is null");
    }
}
