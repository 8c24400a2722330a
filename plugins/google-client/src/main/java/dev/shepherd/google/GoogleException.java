package dev.shepherd.google;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

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
    private final List<FieldViolation> fieldViolations;
    /** How long Google asked callers to wait, as seconds (-1 when it did not say); kept as a number to stay serializable. */
    private final long retryAfterSeconds;

    /**
     * One field of the request Google refused, from the {@code google.rpc.BadRequest} detail of its answer.
     *
     * @param field the field's path in the request, such as {@code deviceConnectivityManagement.usbDataAccess}
     * @param description Google's reason
     */
    public record FieldViolation(String field, String description) implements Serializable {
        public FieldViolation {
            requireNonNull(field, "field is null");
            requireNonNull(description, "description is null");
        }
    }

    /**
     * @param status the HTTP status Google answered, 0 when it gave no answer (or was not asked)
     * @param message what went wrong, for admins
     * @param retriable whether trying again later may succeed
     */
    public GoogleException(int status, String message, boolean retriable) {
        this(status, message, retriable, List.of());
    }

    /**
     * @param status the HTTP status Google answered
     * @param message what went wrong, for admins
     * @param retriable whether trying again later may succeed
     * @param fieldViolations the fields of the request Google named as the reason (its {@code google.rpc.BadRequest})
     */
    public GoogleException(int status, String message, boolean retriable, List<FieldViolation> fieldViolations) {
        this(status, message, retriable, fieldViolations, Optional.empty());
    }

    /**
     * A failure that may pass, with how long Google asked callers to wait ({@code Retry-After} on a 429 or 503), so
     * a caller that reschedules the work can wait that long.
     *
     * @param status the HTTP status Google answered
     * @param message what went wrong, for admins
     * @param retryAfter how long Google asked callers to wait, when it said
     */
    public GoogleException(int status, String message, Optional<Duration> retryAfter) {
        this(status, message, true, List.of(), retryAfter);
    }

    private GoogleException(int status, String message, boolean retriable, List<FieldViolation> fieldViolations,
                            Optional<Duration> retryAfter) {
        super(requireNonNull(message, "message is null"));
        requireNonNull(retryAfter, "retryAfter is null");
        this.status = status;
        this.retriable = retriable;
        this.fieldViolations = List.copyOf(fieldViolations);
        this.retryAfterSeconds = retryAfter.map(wait -> Math.max(0, wait.toSeconds())).orElse(-1L);
    }

    /** @return how long Google asked callers to wait before trying again, when it said (only on a retriable failure) */
    public Optional<Duration> retryAfter() {
        return retryAfterSeconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(retryAfterSeconds));
    }

    /**
     * @return the request's fields Google refused, each with Google's reason; empty when Google named none (or the
     *         refusal was not Google's)
     */
    public List<FieldViolation> fieldViolations() {
        return fieldViolations;
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
