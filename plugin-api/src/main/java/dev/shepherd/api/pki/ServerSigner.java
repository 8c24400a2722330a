package dev.shepherd.api.pki;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Signs what the server hands out, such as enrollment profiles, with the server's own certificate (the one it
 * presents over TLS), so that devices and users can see who issued it. The private key never leaves the kernel.
 */
public interface ServerSigner {

    /**
     * The signing certificate chain, leaf first.
     *
     * @return the chain
     */
    List<X509Certificate> chain();

    /**
     * Wraps content into a CMS {@code SignedData} (RFC 5652) with the content attached and the chain included,
     * DER-encoded: the form Apple calls a signed configuration profile.
     *
     * @param content the bytes to sign
     * @return the signed message
     */
    byte[] signAttached(byte[] content);
}
