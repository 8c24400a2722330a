package dev.shepherd.policy;

/** A policy change clashes with the current state: a taken name or an outdated version (a failed If-Match). */
public final class PolicyConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PolicyConflictException(String message) {
        super(message);
    }
}
