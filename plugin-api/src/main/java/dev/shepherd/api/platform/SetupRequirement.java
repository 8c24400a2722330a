package dev.shepherd.api.platform;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Something an operator must set up in a platform plugin before the platform's devices can enroll (a push
 * certificate, a binding to the vendor's enterprise, a directory connection), and whether it is done. The kernel
 * shows these on the setup checklist, warns about them when an admin creates an enrollment link for the platform, and
 * tells people opening such a link that the organisation's setup is unfinished.
 *
 * <p>Requirements of different plugins with the same {@code id} are one step (the iOS and macOS plugins both need
 * Apple's push certificate): the step is done when every plugin reporting it says so.
 *
 * @param id stable identifier, lower case with dashes, such as {@code apple-push}
 * @param title what it is, in words, such as "Apple push certificate"
 * @param done whether it is set up
 * @param detail what the plugin found, in words (the certificate's topic and expiry, the enterprise's name), or why
 *               it is not done
 * @param action what to do while it is not done, in words an admin can act on; may be empty when done
 * @param consolePage the id of this plugin's {@link dev.shepherd.api.console.ConsolePage} that completes it, if any
 * @since 0.12.1
 */
public record SetupRequirement(String id, String title, boolean done, String detail, String action, Optional<String> consolePage) {

    /** Validates every part. */
    public SetupRequirement {
        requireNonNull(id, "id is null");
        if (!id.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("id must be lower case letters and digits separated by dashes: " + id);
        }
        requireNonNull(title, "title is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(action, "action is null");
        requireNonNull(consolePage, "consolePage is null");
    }

    /**
     * A requirement that is met.
     *
     * @param id its identifier
     * @param title what it is
     * @param detail what was found
     * @param consolePage the console page that manages it, if any
     * @return the requirement, done
     */
    public static SetupRequirement met(String id, String title, String detail, Optional<String> consolePage) {
        return new SetupRequirement(id, title, true, detail, "", consolePage);
    }

    /**
     * A requirement that is not met yet.
     *
     * @param id its identifier
     * @param title what it is
     * @param detail what is missing
     * @param action what to do
     * @param consolePage the console page that completes it, if any
     * @return the requirement, not done
     */
    public static SetupRequirement unmet(String id, String title, String detail, String action, Optional<String> consolePage) {
        return new SetupRequirement(id, title, false, detail, action, consolePage);
    }
}
