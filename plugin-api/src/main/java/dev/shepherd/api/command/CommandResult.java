package dev.shepherd.api.command;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * What a device answered to a command.
 *
 * @param commandId the command answered
 * @param state {@link CommandState#ACKNOWLEDGED}, {@link CommandState#FAILED} or {@link CommandState#NOT_NOW}
 * @param response the device's response, as JSON-like values
 * @param errorReason the device's own words when it failed
 */
public record CommandResult(UUID commandId, CommandState state, Map<String, Object> response,
                            Optional<String> errorReason) {

    /** Validates and copies every part. */
    public CommandResult {
        requireNonNull(commandId, "commandId is null");
        requireNonNull(state, "state is null");
        if (state != CommandState.ACKNOWLEDGED && state != CommandState.FAILED && state != CommandState.NOT_NOW) {
            throw new IllegalArgumentException("a device result is acknowledged, failed or not-now, not " + state);
        }
        response = Map.copyOf(requireNonNull(response, "response is null"));
        requireNonNull(errorReason, "errorReason is null");
    }
}
