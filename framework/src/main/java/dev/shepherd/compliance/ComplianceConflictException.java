package dev.shepherd.compliance;

/** A compliance rule change clashes with the current state: an outdated version, or a name another rule has. */
public final class ComplianceConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ComplianceConflictException(String message) {
        super(message);
    }
}
