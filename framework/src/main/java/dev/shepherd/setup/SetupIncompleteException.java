package dev.shepherd.setup;

/** The checklist cannot be dismissed while a step is open. */
public final class SetupIncompleteException extends RuntimeException {
    public SetupIncompleteException(String message) {
        super(message);
    }
}
