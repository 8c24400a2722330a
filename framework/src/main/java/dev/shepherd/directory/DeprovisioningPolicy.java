package dev.shepherd.directory;

import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What happens to the devices of a person an identity provider deactivated ({@code directory.deprovision.*}).
 *
 * @param action {@link Action#FLAG} keeps their devices as they are; {@link Action#RETIRE} retires them (an enterprise
 *        wipe) once the person has been deactivated for the grace period
 * @param grace how long a deactivated person has before their devices are retired; a reactivation within it cancels
 */
public record DeprovisioningPolicy(Action action, Duration grace) {

    /** Flags deactivated people and leaves their devices alone: the default. */
    public static final DeprovisioningPolicy FLAG_ONLY = new DeprovisioningPolicy(Action.FLAG, Duration.ofHours(72));

    /** The actions. */
    public enum Action {
        /** Only flag the person: their sign-ins are refused, their devices stay managed. */
        FLAG,
        /** Retire the person's devices after the grace period. */
        RETIRE;

        /** @throws IllegalArgumentException for anything but {@code flag} or {@code retire}, in any case */
        public static Action parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "flag" -> FLAG;
                case "retire" -> RETIRE;
                default -> throw new IllegalArgumentException("must be flag or retire");
            };
        }
    }

    public DeprovisioningPolicy {
        requireNonNull(action, "action is null");
        requireNonNull(grace, "grace is null");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace is negative");
        }
    }
}
