package dev.shepherd.group;

/** A group change clashes with the current state: a taken name, an outdated version, or members of a smart group. */
public final class GroupConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GroupConflictException(String message) {
        super(message);
    }
}
