package dev.shepherd.plugins.chromeos;

import java.io.IOException;

/**
 * A Google call that did not succeed, with Google's own words. {@link #isTransient()} failures (throttling, Google
 * trouble, the network) that outlived their retries leave the work to be tried again later; the others are answers
 * Google will give again (a 403 for a missing scope or admin privilege, a 400 for a refused value) and end the work
 * with this message.
 */
public final class GoogleApiException extends IOException {

    private final int status;
    private final boolean transientFailure;

    /**
     * @param status Google's HTTP status, 0 when there was no answer
     * @param message what went wrong, for admins
     * @param transientFailure whether trying again later may succeed
     */
    public GoogleApiException(int status, String message, boolean transientFailure) {
        super(message);
        this.status = status;
        this.transientFailure = transientFailure;
    }

    /** @return Google's HTTP status, 0 when there was no answer */
    public int status() {
        return status;
    }

    /** @return whether trying again later may succeed */
    public boolean isTransient() {
        return transientFailure;
    }
}
