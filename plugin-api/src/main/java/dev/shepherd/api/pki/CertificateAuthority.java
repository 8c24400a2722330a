package dev.shepherd.api.pki;

import dev.shepherd.api.device.DeviceId;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel's certificate authority, which issues device identity certificates: over SCEP (RFC 8894) at
 * {@code /scep}, against a one-time challenge a platform plugin hands out with the enrollment profile, or directly
 * from a certificate signing request (for protocols that carry one, such as Windows enrollment).
 */
public interface CertificateAuthority {

    /**
     * The CA certificate devices chain their identities to.
     *
     * @return the certificate
     */
    X509Certificate certificate();

    /**
     * The URL path of the SCEP service, relative to the server's base URL.
     *
     * @return {@code /scep}
     */
    default String scepPath() {
        return "/scep";
    }

    /**
     * Creates a one-time SCEP challenge: the one certificate request that carries it is granted, and the issued
     * certificate remembers the bindings. Its subject is the CA's choice, as for {@link #sign}.
     *
     * @param validity how long the challenge may be used
     * @param bindings what the certificate will be bound to, such as {@code enrollmentToken} or {@code udid}
     * @return the challenge password to put into the SCEP payload
     */
    String newChallenge(Duration validity, Map<String, String> bindings);

    /**
     * Records that a device now speaks with a certificate, and revokes every other certificate bound to that device:
     * one device, one live identity. A platform calls it when it first sees the device use the certificate (at
     * enrollment, and after a renewal or an accepted re-enrollment, once the new certificate is in use, so that a
     * device whose new certificate never arrived is not locked out). Calling it again for the same pair does nothing.
     *
     * @param serialNumber the certificate's serial number in hexadecimal
     * @param device the device it is the identity of
     * @return the serial numbers of the certificates it revoked
     * @throws IllegalArgumentException when this CA did not issue the certificate, or it is bound to another device
     */
    default List<String> bindToDevice(String serialNumber, DeviceId device) {
        throw new UnsupportedOperationException("this certificate authority does not bind certificates to devices");
    }

    /**
     * Signs a PKCS#10 request directly, for protocols that authenticate the request themselves. The CA chooses the
     * certificate's subject ({@code CN=<bindings' deviceId, else the serial number>, OU=Devices, O=Shepherd}); the
     * request's own subject is ignored.
     *
     * @param pkcs10 the DER-encoded request
     * @param validity how long the certificate is valid
     * @param bindings what the certificate is bound to
     * @return the certificate
     * @throws IllegalArgumentException when the request is malformed or its signature does not verify
     */
    X509Certificate sign(byte[] pkcs10, Duration validity, Map<String, String> bindings);

    /**
     * Checks that a certificate chain's leaf was issued by this CA, is within its validity and not revoked.
     *
     * @param chain the chain, leaf first
     * @return the leaf's record when it is, empty otherwise
     */
    Optional<IssuedCertificate> verify(List<X509Certificate> chain);

    /**
     * Revokes a certificate, for example when its device is retired.
     *
     * @param serialNumber the certificate's serial number in hexadecimal
     * @return false when this CA did not issue it
     */
    boolean revoke(String serialNumber);
}
