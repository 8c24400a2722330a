package dev.shepherd.setup;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The setup checklist.
 *
 * @param steps every step, in the order an admin would take them
 * @param complete whether no step is left to do (each is done, or not used here)
 * @param dismissed whether an admin dismissed the checklist after it was complete; the dashboard then no longer shows it
 * @param checkedAt when the server looked
 */
public record Setup(List<SetupStep> steps, boolean complete, boolean dismissed, Instant checkedAt) {

    public Setup {
        steps = List.copyOf(steps);
        requireNonNull(checkedAt, "checkedAt is null");
    }
}
