package dev.shepherd.plugins.android;

import static java.util.Objects.requireNonNull;

/**
 * Google refused a call or could not be reached. {@link #retriable()} tells whether trying later may succeed
 * (throttling, Google's own trouble, the network) or whether the refusal stands until someone changes something
 * (a permission, a malformed request), in which case its message, Google's own words, is what the admin sees.
 */
public final class GoogleException extends Exception {

    private final int status;
    private final boolean retriable;

    /**
     * @param status the HTTP status Google answered, 0 when it could not be reached
     * @param message what went wrong, in Google's words where it gave some
     * @param retriable whether trying again later may succeed
     */
    public GoogleException(int status, String message, boolean retriable) {
        super(requireNonNull(message, "message is null"));
        this.status = status;
        this.retriable = retriable;
    }

    /** @return the HTTP status Google answered, 0 when it could not be reached */
    public int status() {
        return status;
    }

    /** @return whether trying again later may succeed */
    public boolean retriable() {
        return retriable;
    }
}
