package dev.shepherd.apple;

import dev.shepherd.api.pki.Asn1Nesting;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
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
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
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
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code Mdm-Signature} header: a base64 detached CMS signature over the request body, made with the device's
 * identity key, carrying the identity certificate. Verified here; whether the certificate is one of ours, and the
 * device's, is for the caller to check.
 *
 * <p>Every message is verified in full over its exact body (digest, signed attributes, the signer's signature, the
 * certificate's validity at the signing time), but without the work BouncyCastle's convenience builders add per
 * message: the verifier's stateless parts are built once, the signing time is read without the SimpleDateFormats
 * BouncyCastle creates for it, the RSA signature is checked once (BouncyCastle's JCA verifier checks it a second time
 * with a raw signature), and the signer's certificate is parsed once per certificate, not per message. Reusing the parsed certificate also lets the JDK remember that the kernel CA's
 * signature on it was checked ({@code X509Certificate.verify} keeps its result per key), so the CA's check of every
 * message costs no second RSA operation either.
 *
 * <p>ECDSA signatures (devices enrolled through ACME have EC P-256 keys) are checked over BouncyCastle's optimised
 * curve arithmetic (the JDK's ECDSA verification costs about ten times as much, over a millisecond a message on a small
 * server), by the device's {@link PrecomputedEcdsaKey} kept beside its certificate: BouncyCastle's ECDSA checks, with
 * R = u1·G + u2·Q computed over fixed-point comb tables of G (shared by all devices) and of the device's point Q,
 * built when the certificate enters the cache. BouncyCastle reaches the same combs only after a point's fourth use,
 * so a device's first messages cost about 30 % less (its first 11 on P-256: 152 → 107 µs each, see
 * "Verifying EC signatures" in docs/benchmarks.md) and a cached P-256 device holds about 5 KiB instead of 8 KiB, at
 * most 21 MiB for {@link #MAX_CACHED_CERTIFICATES} devices.
 */
public final class MdmSignature {

    /** A signature with its certificate chain is a few kilobytes; this leaves room for long chains. */
    static final int MAX_HEADER_CHARS = 64 * 1024;
    /** Devices whose parsed certificates are kept; a loop over more devices than this only parses more. */
    static final int MAX_CACHED_CERTIFICATES = 4096;

    /**
     * A UTCTime as BouncyCastle's {@code ASN1UTCTime.getAdjustedTime()} writes it (the century added, 1950-2049, and
     * the zone as GMT+hh:mm), read as its {@code getAdjustedDate()} reads it, but without a SimpleDateFormat per message.
     */
    private static final DateTimeFormatter ADJUSTED_UTC_TIME = DateTimeFormatter.ofPattern("uuuuMMddHHmmss'GMT'xxx")
            .withResolverStyle(ResolverStyle.STRICT);

    /** Stateless once built: shared by every verification. */
    private static final CMSSignatureAlgorithmNameGenerator SIGNATURE_NAMES = new DefaultCMSSignatureAlgorithmNameGenerator();
    private static final SignatureAlgorithmIdentifierFinder SIGNATURE_ALGORITHMS = new DefaultSignatureAlgorithmIdentifierFinder();
    private static final DigestCalculatorProvider DIGESTS = digests();
    /**
     * The RSA signature algorithms devices use, by the JCA name that verifies them in one operation; any other goes
     * through BouncyCastle's own verifier, as before.
     */
    private static final Map<ASN1ObjectIdentifier, String> SIGNATURES = Map.of(
            PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
            PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
            PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA",
            PKCSObjectIdentifiers.sha1WithRSAEncryption, "SHA1withRSA");

    /** ECDSA algorithms checked with BouncyCastle's lightweight ECDSA, by the digest each signs. */
    private static final Map<ASN1ObjectIdentifier, Supplier<Digest>> ECDSA_DIGESTS = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, SHA256Digest::new,
            X9ObjectIdentifiers.ecdsa_with_SHA384, SHA384Digest::new,
            X9ObjectIdentifiers.ecdsa_with_SHA512, SHA512Digest::new);

    /** Parsed signers by their certificate's DER encoding, most recently used last. */
    private final Map<ByteBuffer, Signer> signers = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Signer> eldest) {
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
            Signer known = signer(holder);
            if (!validAtSigningTime(signer, known.certificate())) {
                return Optional.empty();
            }
            SignerInformationVerifier verifier = new SignerInformationVerifier(SIGNATURE_NAMES, SIGNATURE_ALGORITHMS,
                    new SignerKey(holder, known), DIGESTS);
            // BouncyCastle still refuses a signing time that is not one Time value, present once; the time itself
            // was checked above.
            return signer.verify(verifier) ? Optional.of(known.certificate()) : Optional.empty();
        } catch (Exception malformed) {
            return Optional.empty();
        }
    }

    /**
     * Whether the certificate was valid at the signing time the signer states, if it states one: the check
     * BouncyCastle's {@code SignerInformation.verify} makes for a verifier with a certificate (the time within notBefore
     * and notAfter, both included), but without the three SimpleDateFormats BouncyCastle creates for it on every
     * message: the validity dates are the ones the JDK read once from the cached certificate's same DER encoding, and a
     * UTCTime (every signing time before 2050) is read with one shared formatter; a GeneralizedTime is read by
     * BouncyCastle.
     */
    static boolean validAtSigningTime(SignerInformation signer, X509Certificate certificate) {
        AttributeTable signed = signer.getSignedAttributes();
        Attribute attribute = signed == null ? null : signed.get(CMSAttributes.signingTime);
        if (attribute == null) {
            return true;
        }
        ASN1Set values = attribute.getAttrValues();
        if (values.size() != 1) {
            return false;
        }
        Time time = Time.getInstance(values.getObjectAt(0));
        Date signedAt = time.toASN1Primitive() instanceof ASN1UTCTime utcTime
                ? Date.from(OffsetDateTime.parse(utcTime.getAdjustedTime(), ADJUSTED_UTC_TIME).toInstant())
                : time.getDate();
        return !signedAt.before(certificate.getNotBefore()) && !signedAt.after(certificate.getNotAfter());
    }

    private Signer signer(X509CertificateHolder holder) throws GeneralSecurityException, IOException {
        byte[] encoded = holder.getEncoded();
        ByteBuffer key = ByteBuffer.wrap(encoded);
        synchronized (signers) {
            Signer cached = signers.get(key);
            if (cached != null) {
                return cached;
            }
        }
        X509Certificate parsed = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
        // An EC key's comb table is built here, once per certificate, for all of the device's messages.
        Optional<PrecomputedEcdsaKey> ecKey = PublicKeyFactory.createKey(holder.getSubjectPublicKeyInfo()) instanceof ECPublicKeyParameters ec
                ? Optional.of(PrecomputedEcdsaKey.of(ec)) : Optional.empty();
        Signer signer = new Signer(parsed, ecKey);
        synchronized (signers) {
            signers.put(key, signer);
        }
        return signer;
    }

    /** A signer's parsed certificate and, for an EC key, the key prepared for ECDSA verification. */
    private record Signer(X509Certificate certificate, Optional<PrecomputedEcdsaKey> ecKey) {
    }

    /**
     * The signer's key. It names no certificate to BouncyCastle, which would then check the signing time against it
     * with SimpleDateFormats created per message: {@link #validAtSigningTime} makes that check. Verifies ECDSA with
     * the signer's {@link PrecomputedEcdsaKey}, the other known algorithms with one JCA signature, any other as
     * BouncyCastle's JCA verifier does.
     */
    private record SignerKey(X509CertificateHolder holder, Signer signer) implements ContentVerifierProvider {

        @Override
        public boolean hasAssociatedCertificate() {
            return false;
        }

        @Override
        public X509CertificateHolder getAssociatedCertificate() {
            return holder;
        }

        @Override
        public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
            PublicKey key = signer.certificate().getPublicKey();
            Supplier<Digest> ecdsaDigest = ECDSA_DIGESTS.get(algorithm.getAlgorithm());
            if (ecdsaDigest != null && signer.ecKey().isPresent()) {
                return new EcdsaVerifier(algorithm, ecdsaDigest.get(), signer.ecKey().get());
            }
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

    /** A content verifier that is its own output stream: the signed bytes are fed in, then the signature checked once. */
    private abstract static class StreamingVerifier extends OutputStream implements ContentVerifier {

        private final AlgorithmIdentifier algorithm;

        StreamingVerifier(AlgorithmIdentifier algorithm) {
            this.algorithm = algorithm;
        }

        @Override
        public final AlgorithmIdentifier getAlgorithmIdentifier() {
            return algorithm;
        }

        @Override
        public final OutputStream getOutputStream() {
            return this;
        }

        @Override
        public final void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }
    }

    /** Feeds the signed bytes to one JCA signature and checks it once. */
    private static final class SingleSignatureVerifier extends StreamingVerifier {

        private final Signature signature;

        SingleSignatureVerifier(AlgorithmIdentifier algorithm, Signature signature) {
            super(algorithm);
            this.signature = signature;
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
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                signature.update(bytes, offset, length);
            } catch (SignatureException e) {
                throw new IOException(e);
            }
        }
    }

    /**
     * Digests the signed bytes and checks the DER-encoded ECDSA signature over the digest once, as BouncyCastle's
     * {@code DSADigestSigner} does, with the signer's prepared key.
     */
    private static final class EcdsaVerifier extends StreamingVerifier {

        private final Digest digest;
        private final PrecomputedEcdsaKey key;

        EcdsaVerifier(AlgorithmIdentifier algorithm, Digest digest, PrecomputedEcdsaKey key) {
            super(algorithm);
            this.digest = digest;
            this.key = key;
        }

        @Override
        public boolean verify(byte[] expected) {
            byte[] digested = new byte[digest.getDigestSize()];
            digest.doFinal(digested, 0);
            try {
                return key.verify(digested, expected);
            } catch (RuntimeException malformed) {
                return false;
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            digest.update(bytes, offset, length);
        }
    }
}
