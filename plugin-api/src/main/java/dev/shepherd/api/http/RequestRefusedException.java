package dev.shepherd.api.http;

/**
 * Refuses one request as the client's fault, from anywhere in a plugin's handling of it: a {@link DeviceEndpoint} or
 * {@link AdminEndpoint} whose parser, deep in a library, meets input it will not accept can throw this instead of
 * building a response on the way back up. The server answers the request with an {@code application/problem+json}
 * body carrying {@link #status()} and {@link #detail()}; it is not a plugin failure and does not count against the
 * plugin's circuit breaker.
 *
 * <p>Any other exception or error thrown while handling a request fails that request with a 500 (the stack trace is
 * logged, never sent) and counts as a failure of the plugin.
 */
public final class RequestRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status the HTTP status to answer, a 4xx
     * @param detail why, in words safe to send to the client (no secrets, no stack traces)
     * @throws IllegalArgumentException when the status is not between 400 and 499
     */
    public RequestRefusedException(int status, String detail) {
        super(detail, null, false, false);
        if (status < 400 || status > 499) {
            throw new IllegalArgumentException("a refusal is a 4xx status, not " + status);
        }
        this.status = status;
    }

    /**
     * Refuses a request with 400 Bad Request.
     *
     * @param detail why, in words safe to send to the client
     * @return the exception to throw
     */
    public static RequestRefusedException badRequest(String detail) {
        return new RequestRefusedException(400, detail);
    }

    /** @return the HTTP status the request is answered with, a 4xx */
    public int status() {
        return status;
    }

    /** @return why the request was refused, as sent to the client */
    public String detail() {
        return getMessage() == null ? "" : getMessage();
    }
}
