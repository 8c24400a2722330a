package dev.shepherd.command;

import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A fan-out of one command to many devices, with its progress.
 *
 * @param id identifier
 * @param type the command
 * @param description what the admin targeted, in words
 * @param state {@code MATERIALIZING} while per-device rows are being written, then {@code COMPLETE}, or
 *        {@code CANCELLED}
 * @param total how many devices it is for
 * @param materialized how many of them have their own command row yet
 * @param pushed how many devices have been sent a wake-up push so far
 * @param states how many of its commands are in each state (devices without a row yet count as queued)
 * @param expiresAt when undelivered commands expire
 * @param createdBy who issued it
 * @param createdAt when
 */
public record CommandBatch(String id, CommandType type, String description, String state, int total, int materialized,
                           int pushed, Map<CommandState, Integer> states, Optional<Instant> expiresAt, String createdBy,
                           Instant createdAt) {
    public CommandBatch {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(description, "description is null");
        requireNonNull(state, "state is null");
        states = Map.copyOf(states);
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(createdAt, "createdAt is null");
    }
}
