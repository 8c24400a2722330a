package dev.shepherd.command;

/** A command cannot be issued to a device in its current state, or cancelled in its own. */
public final class CommandRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CommandRefusedException(String message) {
        super(message);
    }
}
