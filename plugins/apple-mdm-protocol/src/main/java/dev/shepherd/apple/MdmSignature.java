package dev.shepherd.apple;

import dev.shepherd.api.pki.Asn1Nesting;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;

/**
 * The {@code Mdm-Signature} header: a base64 detached CMS signature over the request body, made with the device's
 * identity key, carrying the identity certificate. Verified here; whether the certificate is one of ours, and the
 * device's, is for the caller to check.
 */
public final class MdmSignature {

    /** A signature with its certificate chain is a few kilobytes; this leaves room for long chains. */
    static final int MAX_HEADER_CHARS = 64 * 1024;

    private MdmSignature() {
    }

    /**
     * @return the signer's certificate when the signature over this body verifies, empty otherwise
     */
    public static Optional<X509Certificate> verify(String header, byte[] body) {
        try {
            if (header.length() > MAX_HEADER_CHARS) {
                return Optional.empty();
            }
            // Bounded first: BouncyCastle recurses once per nested level, so deep nesting would overflow the stack.
            byte[] signature = Asn1Nesting.requireBounded(Base64.getMimeDecoder().decode(header));
            CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(body), signature);
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                return Optional.empty();
            }
            SignerInformation signer = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(signer.getSID());
            if (matches.isEmpty()) {
                return Optional.empty();
            }
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            return signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificate)) ? Optional.of(certificate) : Optional.empty();
        } catch (Exception malformed) {
            return Optional.empty();
        }
    }
}
