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
 * @param pushed how many devices a push service took a wake-up for so far
 * @param awaitingEnrollment how many targets have never enrolled (PENDING): nothing can be pushed to them, and their
 *        command waits until they enroll
 * @param unreachable how many enrolled targets could not be woken: their platform has no push channel to them (no
 *        push certificate or token, no plugin running) or the push service refused; they get the command at their
 *        next check-in
 * @param states how many of its commands are in each state (devices without a row yet count as queued)
 * @param expiresAt when undelivered commands expire
 * @param createdBy who issued it
 * @param createdAt when
 */
public record CommandBatch(String id, CommandType type, String description, String state, int total, int materialized,
                           int pushed, int awaitingEnrollment, int unreachable, Map<CommandState, Integer> states, Optional<Instant> expiresAt, String createdBy,
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
