package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import jakarta.inject.Inject;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The APNs MDM push certificate an admin uploads: its topic (the certificate's UID, {@code com.apple.mgmt.*})
 * becomes the topic of new enrollment profiles, and its expiry is watched, because an expired push certificate
 * silently cuts every device off from wake-ups and renewing it late forces re-enrollment. The private key is
 * stored sealed.
 */
public final class PushCertificates {

    /** How long before expiry admins are warned. */
    public static final Duration WARN_BEFORE = Duration.ofDays(30);
    private static final ASN1ObjectIdentifier UID = new ASN1ObjectIdentifier("0.9.2342.19200300.100.1.1");
    /** Where the uploaded certificate is stored (DER). */
    static final String CERTIFICATE_KEY = "apns/certificate";
    private static final String PRIVATE_KEY_KEY = "apns/private-key";

    /** An uploaded certificate as admins see it. */
    public record Status(String topic, String subject, Instant notAfter, long daysLeft, Optional<String> warning) {
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;
    /**
     * The certificate last parsed, with the credentials last opened from it: every push batch needs them, and parsing
     * the certificate and unsealing its key each time cost more than the push. They are reused only while the stored
     * bytes are the very ones they came from, so an upload through any node takes effect at the next push.
     */
    private volatile Parsed parsed;
    private volatile Opened opened;

    private record Parsed(byte[] der, X509Certificate certificate) {
    }

    private record Opened(byte[] der, byte[] sealedKey, Credentials credentials) {
    }

    /** The certificate and its key, for the TLS connection to APNs. */
    public record Credentials(X509Certificate certificate, PrivateKey privateKey, String topic, String fingerprint) {
        public Credentials {
            requireNonNull(certificate, "certificate is null");
            requireNonNull(privateKey, "privateKey is null");
            requireNonNull(topic, "topic is null");
            requireNonNull(fingerprint, "fingerprint is null");
        }
    }

    @Inject
    public PushCertificates(PluginStorage storage, SecretSealer sealer) {
        this(storage, sealer, Clock.systemUTC());
    }

    public PushCertificates(PluginStorage storage, SecretSealer sealer, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Checks and stores a push certificate with its private key, both PEM, replacing any previous one; or Apple's
     * certificate alone, issued for the latest request made here ({@link PushCertificateRequests}), with that request's key.
     *
     * @throws IllegalArgumentException with a reason fit for the admin when the upload is not a usable certificate
     */
    public Status upload(String pem) {
        X509Certificate certificate = null;
        PrivateKey key = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder && certificate == null) {
                    certificate = new JcaX509CertificateConverter().getCertificate(holder);
                } else if (item instanceof PEMKeyPair pair) {
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (item instanceof PrivateKeyInfo info) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("the upload is not PEM holding a certificate and its private key: " + e.getMessage());
        }
        boolean forPendingRequest = false;
        if (certificate != null && key == null) {
            // Apple's certificate alone: it answers the request made here, whose key is waiting for it.
            Optional<PrivateKey> pending = PushCertificateRequests.pendingKey(storage, sealer);
            if (pending.isPresent() && matches(certificate, pending.get())) {
                key = pending.get();
                forPendingRequest = true;
            } else {
                throw new IllegalArgumentException(pending.isPresent()
                        ? "the certificate was not issued for this server's latest certificate request; upload it with its private key"
                        : "the upload needs the push certificate and its private key, both PEM (or create a certificate request here first)");
            }
        }
        if (certificate == null || key == null) {
            throw new IllegalArgumentException("the upload needs the push certificate and its private key, both PEM");
        }
        if (!matches(certificate, key)) {
            throw new IllegalArgumentException("the private key does not belong to the certificate");
        }
        String topic = topic(certificate).orElseThrow(() -> new IllegalArgumentException(
                "the certificate has no com.apple.mgmt.* topic in its UID: is it an MDM push certificate from Apple?"));
        if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
            throw new IllegalArgumentException("the certificate expired on " + certificate.getNotAfter().toInstant());
        }
        try {
            storage.put(CERTIFICATE_KEY, certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the certificate cannot be encoded: " + e.getMessage());
        }
        storage.put(PRIVATE_KEY_KEY, sealer.seal(key.getEncoded()));
        if (forPendingRequest) {
            storage.delete(PushCertificateRequests.PENDING_KEY);
        }
        return status(certificate);
    }

    /** @return the uploaded certificate's status, empty when none was uploaded */
    public Optional<Status> status() {
        return certificate().map(this::status);
    }

    /** @return the uploaded certificate's topic */
    public Optional<String> topic() {
        return certificate().flatMap(PushCertificates::topic);
    }

    /** @return the uploaded certificate with its unsealed private key, empty when none was uploaded */
    public Optional<Credentials> credentials() {
        Optional<byte[]> der = storage.get(CERTIFICATE_KEY);
        Optional<byte[]> sealedKey = storage.get(PRIVATE_KEY_KEY);
        if (der.isEmpty() || sealedKey.isEmpty()) {
            return Optional.empty();
        }
        Opened known = opened;
        // Compared with the key too: read between the two writes of an upload, a new certificate comes with the old key.
        if (known != null && Arrays.equals(known.der(), der.get()) && Arrays.equals(known.sealedKey(), sealedKey.get())) {
            return Optional.of(known.credentials());
        }
        X509Certificate certificate = parse(der.get());
        try {
            PrivateKey key = KeyFactory.getInstance(certificate.getPublicKey().getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(sealer.open(sealedKey.get())));
            String fingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der.get()));
            Credentials credentials = new Credentials(certificate, key, topic(certificate).orElse(""), fingerprint);
            opened = new Opened(der.get(), sealedKey.get(), credentials);
            return Optional.of(credentials);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the stored push certificate's key is unreadable", e);
        }
    }

    /** @return whether there was one to remove */
    public boolean remove() {
        storage.delete(PRIVATE_KEY_KEY);
        return storage.delete(CERTIFICATE_KEY);
    }

    private Optional<X509Certificate> certificate() {
        return storage.get(CERTIFICATE_KEY).map(this::parse);
    }

    private X509Certificate parse(byte[] der) {
        Parsed known = parsed;
        if (known != null && Arrays.equals(known.der(), der)) {
            return known.certificate();
        }
        try {
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new X509CertificateHolder(der));
            parsed = new Parsed(der, certificate);
            return certificate;
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("the stored push certificate is unreadable", e);
        }
    }

    private Status status(X509Certificate certificate) {
        Instant notAfter = certificate.getNotAfter().toInstant();
        long daysLeft = Duration.between(clock.instant(), notAfter).toDays();
        Optional<String> warning = Duration.between(clock.instant(), notAfter).compareTo(WARN_BEFORE) < 0
                ? Optional.of("the push certificate expires in " + daysLeft + " day(s); renew it (same Apple ID) at identity.apple.com"
                + " and upload it before then, or devices can no longer be woken and must re-enroll")
                : Optional.empty();
        return new Status(topic(certificate).orElse(""), certificate.getSubjectX500Principal().getName(), notAfter, daysLeft, warning);
    }

    private static Optional<String> topic(X509Certificate certificate) {
        X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        for (RDN rdn : subject.getRDNs(UID)) {
            String value = IETFUtils.valueToString(rdn.getFirst().getValue());
            if (value.startsWith("com.apple.mgmt.")) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }

    static boolean matches(X509Certificate certificate, PrivateKey key) {
        try {
            byte[] probe = "shepherd push certificate check".getBytes(StandardCharsets.US_ASCII);
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
