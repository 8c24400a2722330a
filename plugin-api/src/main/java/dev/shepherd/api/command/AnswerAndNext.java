package dev.shepherd.api.command;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What {@link CommandBus#recordAnswerAndTake} did: the answer recorded, and the device's next commands when they were
 * handed out with it.
 *
 * @param answered the answered command as the kernel recorded it; empty when the bus does not say (see
 *        {@link CommandBus#recordAnswer})
 * @param next the commands handed out, possibly none, when the platform let them be taken; empty when it did not, and
 *        then nothing was handed out
 * @since 0.10.0
 */
public record AnswerAndNext(Optional<Command> answered, Optional<List<Command>> next) {

    /** Validates and copies every part. */
    public AnswerAndNext {
        requireNonNull(answered, "answered is null");
        next = requireNonNull(next, "next is null").map(List::copyOf);
    }
}
