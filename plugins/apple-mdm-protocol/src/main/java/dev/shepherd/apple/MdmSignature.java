package dev.shepherd.apple;

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

    private MdmSignature() {
    }

    /**
     * @return the signer's certificate when the signature over this body verifies, empty otherwise
     */
    public static Optional<X509Certificate> verify(String header, byte[] body) {
        try {
            CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(body), Base64.getMimeDecoder().decode(header));
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
