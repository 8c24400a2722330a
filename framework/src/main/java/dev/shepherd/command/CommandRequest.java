package dev.shepherd.command;

import dev.shepherd.api.command.CommandType;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What to do, independent of which devices it is for.
 *
 * @param type the command
 * @param parameters its parameters, as JSON-like values
 * @param priority higher runs first, -100 to 100
 * @param timeToLive how long it may wait for the device before it expires; empty for never
 */
public record CommandRequest(CommandType type, Map<String, Object> parameters, int priority, Optional<Duration> timeToLive) {
    public CommandRequest {
        requireNonNull(type, "type is null");
        parameters = Map.copyOf(requireNonNull(parameters, "parameters is null"));
        if (priority < -100 || priority > 100) {
            throw new IllegalArgumentException("priority must be between -100 and 100");
        }
        requireNonNull(timeToLive, "timeToLive is null");
        timeToLive.ifPresent(ttl -> {
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("timeToLive must be positive");
            }
        });
    }

    public static CommandRequest of(CommandType type) {
        return new CommandRequest(type, Map.of(), 0, Optional.empty());
    }
}
