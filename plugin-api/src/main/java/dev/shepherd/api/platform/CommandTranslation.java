package dev.shepherd.api.platform;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A platform's answer to whether it can carry out a command on a device: the command in the platform's own form, or
 * the reason it cannot.
 *
 * <p>The kernel asks for it when a command is issued, so a command the platform cannot express is refused then, with
 * the reason, instead of failing at delivery. A platform plugin should encode a command at delivery with the same
 * function, so the two answers never disagree.
 *
 * @since 0.4.0
 */
public sealed interface CommandTranslation
        permits CommandTranslation.Translated, CommandTranslation.Refused, CommandTranslation.NotChecked {

    /**
     * The command can be carried out.
     *
     * @param command the command in the platform's form
     * @return the translation
     */
    static CommandTranslation translated(NativeCommand command) {
        return new Translated(command);
    }

    /**
     * The command cannot be carried out on the device.
     *
     * @param reason why, in words an admin can act on
     * @return the refusal
     */
    static CommandTranslation refused(String reason) {
        return new Refused(reason);
    }

    /**
     * The platform does not check commands before they are queued: its plugin decides at delivery.
     *
     * @return the answer
     */
    static CommandTranslation notChecked() {
        return new NotChecked();
    }

    /**
     * The reason for a refusal.
     *
     * @return the reason, or empty when the command was translated
     */
    default Optional<String> refusal() {
        return this instanceof Refused refused ? Optional.of(refused.reason()) : Optional.empty();
    }

    /**
     * A command the platform can carry out.
     *
     * @param command the command in the platform's form
     */
    record Translated(NativeCommand command) implements CommandTranslation {

        /** Validates every part. */
        public Translated {
            requireNonNull(command, "command is null");
        }
    }

    /**
     * A command the platform cannot carry out on the device.
     *
     * @param reason why, in words an admin can act on
     */
    record Refused(String reason) implements CommandTranslation {

        /** Validates every part. */
        public Refused {
            requireNonNull(reason, "reason is null");
            if (reason.isBlank()) {
                throw new IllegalArgumentException("a refusal needs a reason");
            }
        }
    }

    /**
     * The platform does not say whether it can carry out the command before it is queued (a plugin built before
     * {@link PlatformSupport#translateCommand} existed); the command is queued and its plugin decides at delivery.
     */
    record NotChecked() implements CommandTranslation {
    }
}
