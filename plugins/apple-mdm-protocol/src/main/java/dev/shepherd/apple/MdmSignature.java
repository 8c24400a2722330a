package dev.shepherd.apple;

import dev.shepherd.api.pki.Asn1Nesting;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignatureAlgorithmNameGenerator;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.DefaultCMSSignatureAlgorithmNameGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.SignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code Mdm-Signature} header: a base64 detached CMS signature over the request body, made with the device's
 * identity key, carrying the identity certificate. Verified here; whether the certificate is one of ours, and the
 * device's, is for the caller to check.
 *
 * <p>Every message is verified in full over its exact body (digest, signed attributes, the signer's signature, the
 * certificate's validity at the signing time), but without the work BouncyCastle's convenience builders add per
 * message: the verifier's stateless parts are built once, the RSA signature is checked once (BouncyCastle's JCA
 * verifier checks it a second time with a raw signature), and the signer's certificate is parsed once per
 * certificate, not per message. Reusing the parsed certificate also lets the JDK remember that the kernel CA's
 * signature on it was checked ({@code X509Certificate.verify} keeps its result per key), so the CA's check of every
 * message costs no second RSA operation either.
 */
public final class MdmSignature {

    /** A signature with its certificate chain is a few kilobytes; this leaves room for long chains. */
    static final int MAX_HEADER_CHARS = 64 * 1024;
    /** Devices whose parsed certificates are kept; a loop over more devices than this only parses more. */
    static final int MAX_CACHED_CERTIFICATES = 4096;

    /** Stateless once built: shared by every verification. */
    private static final CMSSignatureAlgorithmNameGenerator SIGNATURE_NAMES = new DefaultCMSSignatureAlgorithmNameGenerator();
    private static final SignatureAlgorithmIdentifierFinder SIGNATURE_ALGORITHMS = new DefaultSignatureAlgorithmIdentifierFinder();
    private static final DigestCalculatorProvider DIGESTS = digests();
    /**
     * The signature algorithms devices use, by the JCA name that verifies them in one operation; any other goes through
     * BouncyCastle's own verifier, as before.
     */
    private static final Map<ASN1ObjectIdentifier, String> SIGNATURES = Map.of(
            PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
            PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
            PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA",
            PKCSObjectIdentifiers.sha1WithRSAEncryption, "SHA1withRSA",
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA");

    /** Parsed certificates by their DER encoding, most recently used last. */
    private final Map<ByteBuffer, X509Certificate> certificates = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, X509Certificate> eldest) {
            return size() > MAX_CACHED_CERTIFICATES;
        }
    };

    private static DigestCalculatorProvider digests() {
        try {
            return new JcaDigestCalculatorProviderBuilder().build();
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("the JDK offers no message digests", e);
        }
    }

    /**
     * @return the signer's certificate when the signature over this body verifies, empty otherwise
     */
    public Optional<X509Certificate> verify(String header, byte[] body) {
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
            X509CertificateHolder holder = matches.iterator().next();
            X509Certificate certificate = certificate(holder.getEncoded());
            SignerInformationVerifier verifier = new SignerInformationVerifier(SIGNATURE_NAMES, SIGNATURE_ALGORITHMS,
                    new SignerKey(holder, certificate.getPublicKey()), DIGESTS);
            // Throws when the certificate was not valid at the signing time the signer states.
            return signer.verify(verifier) ? Optional.of(certificate) : Optional.empty();
        } catch (Exception malformed) {
            return Optional.empty();
        }
    }

    private X509Certificate certificate(byte[] encoded) throws GeneralSecurityException {
        ByteBuffer key = ByteBuffer.wrap(encoded);
        synchronized (certificates) {
            X509Certificate cached = certificates.get(key);
            if (cached != null) {
                return cached;
            }
        }
        X509Certificate parsed = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
        synchronized (certificates) {
            certificates.put(key, parsed);
        }
        return parsed;
    }

    /**
     * The signer's key, with its certificate for BouncyCastle's signing-time check. Verifies with one JCA signature
     * where the algorithm is known, otherwise as BouncyCastle's JCA verifier does.
     */
    private record SignerKey(X509CertificateHolder holder, PublicKey key) implements ContentVerifierProvider {

        @Override
        public boolean hasAssociatedCertificate() {
            return true;
        }

        @Override
        public X509CertificateHolder getAssociatedCertificate() {
            return holder;
        }

        @Override
        public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
            String name = SIGNATURES.get(algorithm.getAlgorithm());
            if (name == null) {
                return new JcaContentVerifierProviderBuilder().build(key).get(algorithm);
            }
            try {
                Signature signature = Signature.getInstance(name);
                signature.initVerify(key);
                return new SingleSignatureVerifier(algorithm, signature);
            } catch (GeneralSecurityException e) {
                throw new OperatorCreationException("cannot verify " + name + ": " + e.getMessage(), e);
            }
        }
    }

    /** Feeds the signed bytes to one JCA signature and checks it once. */
    private static final class SingleSignatureVerifier extends OutputStream implements ContentVerifier {

        private final AlgorithmIdentifier algorithm;
        private final Signature signature;

        SingleSignatureVerifier(AlgorithmIdentifier algorithm, Signature signature) {
            this.algorithm = algorithm;
            this.signature = signature;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return algorithm;
        }

        @Override
        public OutputStream getOutputStream() {
            return this;
        }

        @Override
        public boolean verify(byte[] expected) {
            try {
                return signature.verify(expected);
            } catch (SignatureException malformed) {
                return false;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                signature.update(bytes, offset, length);
            } catch (SignatureException e) {
                throw new IOException(e);
            }
        }
    }
}
