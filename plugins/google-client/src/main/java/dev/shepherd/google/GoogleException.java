package dev.shepherd.google;

import static java.util.Objects.requireNonNull;

/**
 * A call to Google that did not succeed, in words an admin can act on (Google's own, where it gave some).
 * {@link #retriable()} tells whether trying later may succeed (throttling, Google's own trouble, the network), so the
 * work should be kept for another round, or whether the refusal stands until someone changes something (a missing
 * permission or scope, a refused value, no key uploaded), so the work should fail with this message.
 */
public final class GoogleException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final boolean retriable;

    /**
     * @param status the HTTP status Google answered, 0 when it gave no answer (or was not asked)
     * @param message what went wrong, for admins
     * @param retriable whether trying again later may succeed
     */
    public GoogleException(int status, String message, boolean retriable) {
        super(requireNonNull(message, "message is null"));
        this.status = status;
        this.retriable = retriable;
    }

    /** @return the HTTP status Google answered, 0 when it gave no answer (or was not asked) */
    public int status() {
        return status;
    }

    /** @return whether trying again later may succeed */
    public boolean retriable() {
        return retriable;
    }
}
