package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The certificate signing request behind an APNs push certificate, made here so the private key never leaves the
 * server: the plugin generates the key pair (the private key stored sealed until Apple's certificate for it is
 * uploaded, see {@link PushCertificates#upload}) and the CSR. Apple's Push Certificates Portal (identity.apple.com)
 * takes a CSR only as a <em>push certificate request</em> signed by an MDM vendor; when the operator holds an MDM
 * signing certificate from Apple's developer program (uploaded here with its private key, stored sealed), the plugin
 * signs the request itself, following "Setting up push notifications for your MDM customers"
 * (developer.apple.com/documentation/devicemanagement): the DER CSR signed with SHA256withRSA, and a plist of
 * {@code PushCertRequestCSR}, {@code PushCertCertificateChain} (PEM, the signing certificate up to Apple's root) and
 * {@code PushCertSignature}, Base64-encoded. Without one, the CSR goes to the operator's MDM vendor for signing.
 */
public final class PushCertificateRequests {

    /** Where the private key of the latest request waits, sealed, for its certificate. */
    static final String PENDING_KEY = "apns/pending-private-key";
    private static final String VENDOR_KEY = "apns/vendor-private-key";
    private static final String VENDOR_CHAIN = "apns/vendor-chain";
    private static final int MAX_COMMON_NAME = 64;

    /**
     * A new request.
     *
     * @param csrPem the CSR, PEM
     * @param pushCertificateRequest the vendor-signed request to upload to identity.apple.com, when a vendor
     *                               signing certificate is set here
     */
    public record CertificateRequest(String csrPem, Optional<String> pushCertificateRequest) {
        public CertificateRequest {
            requireNonNull(csrPem, "csrPem is null");
            requireNonNull(pushCertificateRequest, "pushCertificateRequest is null");
        }
    }

    /**
     * The MDM vendor signing certificate set here.
     *
     * @param subject its subject
     * @param notAfter when it expires
     * @param chainLength how many certificates the chain holds, the signing certificate included
     */
    public record Vendor(String subject, Instant notAfter, int chainLength) {
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;

    @Inject
    public PushCertificateRequests(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /**
     * Generates a key pair and its CSR; the private key replaces any earlier request's.
     *
     * @param commonName the CSR's subject common name, which Apple shows in its portal
     * @throws IllegalArgumentException when the name is blank or too long
     */
    public CertificateRequest newRequest(String commonName) {
        String name = requireNonNull(commonName, "commonName is null").strip();
        if (name.isEmpty() || name.length() > MAX_COMMON_NAME || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("commonName must be 1 to " + MAX_COMMON_NAME + " printable characters");
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build(), pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
            storage.put(PENDING_KEY, sealer.seal(pair.getPrivate().getEncoded()));
            return new CertificateRequest(pem(csr), vendorSigned(csr.getEncoded()));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a certificate signing request", e);
        }
    }

    /** @return the private key of the latest request, if its certificate has not been uploaded yet */
    static Optional<PrivateKey> pendingKey(PluginStorage storage, SecretSealer sealer) {
        return storage.get(PENDING_KEY).map(sealed -> {
            try {
                return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(sealer.open(sealed)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the pending request's key is unreadable", e);
            }
        });
    }

    /**
     * Sets the MDM vendor signing certificate: one PEM holding its private key (unencrypted), the signing certificate
     * and the rest of its chain up to and including Apple's root, in that order. The key is stored sealed.
     *
     * @throws IllegalArgumentException when the PEM is not that
     */
    public Vendor setVendor(String pem) {
        PrivateKey key = null;
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(requireNonNull(pem, "pem is null")))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    chain.add(new JcaX509CertificateConverter().getCertificate(holder));
                } else if (item instanceof PEMKeyPair pair) {
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (item instanceof PrivateKeyInfo info) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("the upload is not PEM holding a private key and certificates: " + e.getMessage());
        }
        if (key == null || chain.isEmpty()) {
            throw new IllegalArgumentException("the upload needs the MDM signing certificate's private key and its certificate chain, PEM");
        }
        if (!key.getAlgorithm().equals("RSA")) {
            throw new IllegalArgumentException("Apple's MDM signing certificates have RSA keys; this key is " + key.getAlgorithm());
        }
        if (!PushCertificates.matches(chain.get(0), key)) {
            throw new IllegalArgumentException("the private key does not belong to the first certificate, which must be the MDM signing certificate");
        }
        for (int index = 0; index < chain.size(); index++) {
            X509Certificate certificate = chain.get(index);
            X509Certificate issuer = index + 1 < chain.size() ? chain.get(index + 1) : certificate;
            try {
                certificate.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(index + 1 < chain.size()
                        ? "certificate " + (index + 1) + " of the chain is not signed by the next one: give the chain in order, up to Apple's root"
                        : "the chain does not end with a root certificate: add Apple's WWDR intermediate and Apple Inc.'s root");
            }
        }
        StringBuilder chainPem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            chainPem.append(pem(certificate));
        }
        storage.put(VENDOR_KEY, sealer.seal(key.getEncoded()));
        storage.put(VENDOR_CHAIN, chainPem.toString().getBytes(StandardCharsets.US_ASCII));
        return vendor(chain);
    }

    /** @return the vendor signing certificate set here, if any */
    public Optional<Vendor> vendor() {
        return storage.get(VENDOR_CHAIN).map(PushCertificateRequests::certificates).map(PushCertificateRequests::vendor);
    }

    /** @return whether there was one to remove */
    public boolean removeVendor() {
        storage.delete(VENDOR_KEY);
        return storage.delete(VENDOR_CHAIN);
    }

    private Optional<String> vendorSigned(byte[] csrDer) throws GeneralSecurityException {
        Optional<byte[]> sealedKey = storage.get(VENDOR_KEY);
        Optional<byte[]> chain = storage.get(VENDOR_CHAIN);
        if (sealedKey.isEmpty() || chain.isEmpty()) {
            return Optional.empty();
        }
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(sealer.open(sealedKey.get())));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(key);
        signer.update(csrDer);
        NSDictionary request = new NSDictionary();
        request.put("PushCertRequestCSR", Base64.getEncoder().encodeToString(csrDer));
        request.put("PushCertCertificateChain", new String(chain.get(), StandardCharsets.US_ASCII));
        request.put("PushCertSignature", Base64.getEncoder().encodeToString(signer.sign()));
        return Optional.of(Base64.getEncoder().encodeToString(Plists.xml(request)));
    }

    private static Vendor vendor(List<X509Certificate> chain) {
        X509Certificate signing = chain.get(0);
        return new Vendor(signing.getSubjectX500Principal().getName(), signing.getNotAfter().toInstant(), chain.size());
    }

    private static List<X509Certificate> certificates(byte[] pem) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            factory.generateCertificates(new ByteArrayInputStream(pem)).forEach(certificate -> chain.add((X509Certificate) certificate));
            return chain;
        } catch (CertificateException e) {
            throw new IllegalStateException("the stored vendor chain is unreadable", e);
        }
    }

    /** PEM as Apple asks for it: lines of 64 characters, the last one shorter or equal. */
    private static String pem(Object item) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(item);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM", e);
        }
        return text.toString();
    }
}
