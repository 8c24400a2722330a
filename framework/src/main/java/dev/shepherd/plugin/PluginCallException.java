package dev.shepherd.plugin;

import java.time.Duration;
import java.util.Optional;

/**
 * A call into a plugin did not return a result: it threw or hung (that one call failed; the plugin stays in service
 * unless its circuit breaker opened), the plugin refused the request as the client's fault, or the plugin could
 * not take the call (busy, stopping, or out of service).
 */
public final class PluginCallException extends Exception {

    private static final long serialVersionUID = 1L;

    /** How the call ended. */
    public enum Kind {
        /** The plugin threw or hung: a 500 for the request it was handling. */
        FAILED,
        /** The plugin refused the request on purpose ({@code RequestRefusedException}): the 4xx in {@link #status()}. */
        REFUSED,
        /** The plugin was busy or stopping: retry. */
        BUSY,
        /** The plugin is out of service (its circuit breaker is open, or it failed): retry after {@link #retryAfter()}. */
        OUT_OF_SERVICE
    }

    private static final int MAX_DETAIL = 300;

    private final Kind kind;
    private final int status;
    private final transient Duration retryAfter;

    PluginCallException(String message, Throwable cause, Kind kind, int status, Duration retryAfter) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
        this.retryAfter = retryAfter;
    }

    static PluginCallException failed(String message, Throwable cause) {
        return new PluginCallException(message, cause, Kind.FAILED, 500, null);
    }

    /** The plugin's words go to the client: bounded, and without control characters. */
    static PluginCallException refused(int status, String detail, Throwable cause) {
        String printable = detail.replaceAll("\\p{Cntrl}", " ").strip();
        String bounded = printable.length() > MAX_DETAIL ? printable.substring(0, MAX_DETAIL) + "…" : printable;
        return new PluginCallException(bounded.isEmpty() ? "The request was refused." : bounded, cause, Kind.REFUSED, status, null);
    }

    static PluginCallException busy(String message, Throwable cause) {
        return new PluginCallException(message, cause, Kind.BUSY, 503, null);
    }

    static PluginCallException outOfService(String message, Duration retryAfter) {
        return new PluginCallException(message, null, Kind.OUT_OF_SERVICE, 503, retryAfter);
    }

    /** @return how the call ended */
    public Kind kind() {
        return kind;
    }

    /** @return the HTTP status that fits: the plugin's own 4xx for a refusal, 500 for a failure, 503 otherwise */
    public int status() {
        return status;
    }

    /** @return for a plugin out of service, how long until it is tried again */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** @return true when the call was not made because the plugin was busy, stopping or out of service */
    public boolean overloaded() {
        return kind == Kind.BUSY || kind == Kind.OUT_OF_SERVICE;
    }
}
