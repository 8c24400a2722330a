package dev.shepherd.api.pki;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A certificate the kernel's CA issued, with what it was bound to.
 *
 * @param serialNumber serial number in hexadecimal
 * @param subject the subject's distinguished name
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param bindings what it was bound to when issued (from the SCEP challenge or the direct request)
 * @param revokedAt when it was revoked, if it was
 */
public record IssuedCertificate(String serialNumber, String subject, Instant notBefore, Instant notAfter,
                                Map<String, String> bindings, Optional<Instant> revokedAt) {

    /** Validates and copies every part. */
    public IssuedCertificate {
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(notBefore, "notBefore is null");
        requireNonNull(notAfter, "notAfter is null");
        bindings = Map.copyOf(requireNonNull(bindings, "bindings is null"));
        requireNonNull(revokedAt, "revokedAt is null");
    }
}
