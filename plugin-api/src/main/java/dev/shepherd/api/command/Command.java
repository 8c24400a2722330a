package dev.shepherd.api.command;

import dev.shepherd.api.device.DeviceId;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * One command for one device.
 *
 * @param id unique identifier; device results are idempotent by it
 * @param deviceId the one device it is for
 * @param type what to do
 * @param parameters type-specific parameters as JSON-like values (strings, numbers, booleans, lists, maps)
 * @param priority higher runs first among a device's queued commands
 * @param state where it is
 * @param createdAt when it was queued
 * @param expiresAt after when it must not be delivered, if ever
 */
public record Command(
        UUID id,
        DeviceId deviceId,
        CommandType type,
        Map<String, Object> parameters,
        int priority,
        CommandState state,
        Instant createdAt,
        Optional<Instant> expiresAt) {

    /** Validates and copies every part. */
    public Command {
        requireNonNull(id, "id is null");
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(type, "type is null");
        parameters = Map.copyOf(requireNonNull(parameters, "parameters is null"));
        requireNonNull(state, "state is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }
}
