package dev.shepherd.command;

/**
 * The device's platform cannot carry out a command (it has no equivalent, or a parameter is malformed), so it was not
 * queued. An {@link IllegalArgumentException}: the request was wrong for the device, which the admin API answers 400.
 */
public final class CommandNotSupportedException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param reason the platform's reason, in words an admin can act on */
    public CommandNotSupportedException(String reason) {
        super(reason);
    }
}
