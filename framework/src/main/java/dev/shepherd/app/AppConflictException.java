package dev.shepherd.app;

/** A catalog change that conflicts with what exists, such as deleting an app that is still assigned. */
public final class AppConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public AppConflictException(String message) {
        super(message);
    }
}
