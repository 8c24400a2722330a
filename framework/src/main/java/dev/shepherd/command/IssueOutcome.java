package dev.shepherd.command;

import static java.util.Objects.requireNonNull;

/**
 * What became of one request given to {@link CommandService#issueAll}: queued, or refused by the device's platform.
 */
public sealed interface IssueOutcome {

    /**
     * The command was queued.
     *
     * @param command the command as stored, equal to what reading it back returns
     */
    record Queued(CommandRecord command) implements IssueOutcome {
        public Queued {
            requireNonNull(command, "command is null");
        }
    }

    /**
     * The device's platform cannot carry the command out, so nothing was queued for it.
     *
     * @param request the request refused
     * @param reason the platform's reason
     */
    record Refused(CommandRequest request, String reason) implements IssueOutcome {
        public Refused {
            requireNonNull(request, "request is null");
            requireNonNull(reason, "reason is null");
        }
    }
}
