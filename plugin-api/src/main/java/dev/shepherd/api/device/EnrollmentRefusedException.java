package dev.shepherd.api.device;

/** An enrollment was refused: unknown, expired, used-up or revoked token, or a token for another platform. */
public final class EnrollmentRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param reason why, in words safe to show the enrolling user
     */
    public EnrollmentRefusedException(String reason) {
        super(reason);
    }
}
