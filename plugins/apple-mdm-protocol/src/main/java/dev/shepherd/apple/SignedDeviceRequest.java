package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.pki.Asn1Nesting;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device's signed request for its enrollment profile ({@code application/pkcs7-signature}): an attached CMS
 * SignedData over a plist of the device's facts (Apple's {@code MachineInfo}), signed by the device's own identity,
 * whose certificate (and the CAs above it) the SignedData carries.
 *
 * @param facts the signed plist
 * @param signer the certificate the one signature verified against
 * @param carried every certificate the SignedData carries, the signer's among them
 */
record SignedDeviceRequest(NSDictionary facts, X509Certificate signer, List<X509Certificate> carried) {

    /** The request's signature does not verify against the certificate it carries for the signer. */
    static final class BadSignature extends IllegalArgumentException {
        BadSignature(String message) {
            super(message);
        }
    }

    /** A device sends its own certificate and the CAs above it; more is not a device's request. */
    static final int MAX_CERTIFICATES = 8;

    SignedDeviceRequest {
        requireNonNull(facts, "facts is null");
        requireNonNull(signer, "signer is null");
        carried = List.copyOf(carried);
    }

    /**
     * Reads the body, bounded in size and nesting, and verifies its one signature against the certificate it carries
     * for the signer.
     *
     * @throws BadSignature when the signature does not verify
     * @throws IllegalArgumentException when the body is not one signature over a plist
     */
    static SignedDeviceRequest read(byte[] body, Plists.Reader plists) {
        try {
            CMSSignedData signed = new CMSSignedData(Asn1Nesting.requireBounded(body));
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1 || signed.getSignedContent() == null) {
                throw new IllegalArgumentException("the body is not one signature over a plist");
            }
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> all = signed.getCertificates().getMatches(null);
            if (all.size() > MAX_CERTIFICATES) {
                throw new IllegalArgumentException("the signature carries more than " + MAX_CERTIFICATES + " certificates");
            }
            SignerInformation signer = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> certificates = signed.getCertificates().getMatches(signer.getSID());
            if (certificates.size() != 1 || !signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificates.iterator().next()))) {
                throw new BadSignature("the signature does not verify against the certificate it carries");
            }
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            List<X509Certificate> carried = new ArrayList<>();
            for (X509CertificateHolder holder : all) {
                carried.add(converter.getCertificate(holder));
            }
            NSDictionary facts = plists.dictionary((byte[]) signed.getSignedContent().getContent());
            return new SignedDeviceRequest(facts, converter.getCertificate(certificates.iterator().next()), carried);
        } catch (CMSException | OperatorCreationException | CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("the body is not a CMS SignedData: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the signer's certificate chains, through the certificates carried, to one of the anchors, each
     * certificate valid at {@code now}. Revocation is not checked: Apple publishes no revocation for device identities.
     *
     * @throws IllegalArgumentException when it does not
     */
    void requireChainTo(Set<TrustAnchor> anchors, Instant now) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("no trust anchor is configured");
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(signer);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            parameters.setMaxPathLength(MAX_CERTIFICATES);
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(carried)));
            CertPathBuilder.getInstance("PKIX").build(parameters);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the signer's certificate does not chain to Apple's device CA: " + e.getMessage(), e);
        }
    }
}
