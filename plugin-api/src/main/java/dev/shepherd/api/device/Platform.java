package dev.shepherd.api.device;

import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * An operating-system family a platform plugin manages, named by a short lower-case id.
 * Platforms are open: a plugin may introduce one that is not among the constants.
 *
 * @param id lower-case identifier such as {@code ios}
 */
public record Platform(String id) {

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,31}");

    /** iPhone and iPad. */
    public static final Platform IOS = new Platform("ios");
    /** Mac computers. */
    public static final Platform MACOS = new Platform("macos");
    /** Android phones and tablets. */
    public static final Platform ANDROID = new Platform("android");
    /** Windows computers. */
    public static final Platform WINDOWS = new Platform("windows");
    /** Chromebooks and other ChromeOS devices. */
    public static final Platform CHROMEOS = new Platform("chromeos");

    /** Checks the id's form. */
    public Platform {
        requireNonNull(id, "id is null");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("platform id must match " + ID + ": " + id);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
