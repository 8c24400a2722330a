package dev.shepherd.pki;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.pki.Asn1Nesting;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.cluster.ChangeFeed;
import dev.shepherd.json.Json;
import dev.shepherd.security.SecretBox;
import dev.shepherd.security.Secrets;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's certificate authority: an RSA CA created on first start, its private key sealed with the server's
 * secrets key; one-time challenges stored as hashes; every issued certificate recorded with its bindings (encrypted, as they may carry secrets), so a
 * device's certificate can be traced to the enrollment it came from and revoked with the device.
 */
public final class KernelCertificateAuthority implements CertificateAuthority {

    private static final Logger log = LoggerFactory.getLogger(KernelCertificateAuthority.class);

    private static final TypeReference<Map<String, String>> BINDINGS = new TypeReference<>() {
    };
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** The binding naming the kernel device a certificate is issued to, which becomes its common name. */
    public static final String DEVICE_BINDING = "deviceId";

    private final Transactions transactions;
    private final SecretBox secrets;
    private final Json json;
    private final Clock clock;
    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    /**
     * Devices present their certificate on every message; reading and unsealing its record each time would cost a
     * database read and a decryption per message. Revocation here invalidates at once; the expiry bounds how long
     * another server sharing the database could take to see a revocation.
     */
    private final Cache<String, Optional<IssuedCertificate>> issuedBySerial = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(10)).build();
    /**
     * The serial numbers of certificates whose signature by this CA has been checked, keyed by their DER encoding: a
     * device presents the same certificate on every message, and the same bytes carry the same signature, so checking
     * it once is enough. Only the signature is remembered; validity dates and revocation are checked on every message.
     */
    private final Cache<ByteBuffer, String> signedByThisCa = Caffeine.newBuilder().maximumSize(100_000).build();
    /** Certificate and device pairs already bound, so the check a device's every message may make costs nothing. */
    private final Cache<String, Boolean> bound = Caffeine.newBuilder().maximumSize(100_000).build();
    private final SecureRandom random = new SecureRandom();
    /** The change-feed topic of revoked certificates; the key is the serial number. */
    static final String REVOKED_TOPIC = "pki.revoked";
    private final ChangeFeed changes;

    private KernelCertificateAuthority(Transactions transactions, SecretBox secrets, Json json, Clock clock, ChangeFeed changes,
                                       X509Certificate certificate, PrivateKey privateKey) {
        this.changes = changes;
        // A revocation on another node must bite here too: its serial number arrives through the change feed.
        changes.subscribe(REVOKED_TOPIC, this::forgetCertificate, () -> {
            issuedBySerial.invalidateAll();
            bound.invalidateAll();
        });
        this.transactions = transactions;
        this.secrets = secrets;
        this.json = json;
        this.clock = clock;
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * Loads the CA from the store, creating it on first use.
     *
     * @param changes where revocations are announced to the other nodes, and heard from them
     */
    public static KernelCertificateAuthority open(Transactions transactions, SecretBox secrets, Json json, Clock clock,
                                                  ChangeFeed changes) {
        requireNonNull(transactions, "transactions is null");
        requireNonNull(changes, "changes is null");
        requireNonNull(secrets, "secrets is null");
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT certificate, private_key_sealed FROM pki_authority WHERE id = 1");
             ResultSet rows = select.executeQuery()) {
            if (rows.next()) {
                X509Certificate certificate = Pem.certificate(rows.getString(1));
                byte[] key = Base64.getDecoder().decode(secrets.decrypt(rows.getString(2)));
                PrivateKey privateKey = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(key));
                return new KernelCertificateAuthority(transactions, secrets, json, clock, changes, certificate, privateKey);
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the certificate authority", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The stored certificate authority is unreadable: " + e.getMessage(), e);
        }
        return create(transactions, secrets, json, clock, changes);
    }

    private static KernelCertificateAuthority create(Transactions transactions, SecretBox secrets, Json json, Clock clock,
                                                     ChangeFeed changes) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair keys = generator.generateKeyPair();
            Instant now = clock.instant();
            X500Name name = new X500Name("CN=Shepherd Device CA,O=Shepherd");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            // keyEncipherment: SCEP clients encrypt their requests to the CA certificate.
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign
                    | KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
            transactions.inTransaction("create the certificate authority", tx -> {
                try (PreparedStatement insert = tx.connection().prepareStatement(
                        "INSERT INTO pki_authority (id, certificate, private_key_sealed, created_at) VALUES (1, ?, ?, ?)")) {
                    insert.setString(1, Pem.encode(certificate));
                    insert.setString(2, secrets.encrypt(Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded())));
                    insert.setTimestamp(3, Timestamp.from(now));
                    insert.executeUpdate();
                }
                return null;
            });
            return new KernelCertificateAuthority(transactions, secrets, json, clock, changes, certificate, keys.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("Cannot create the certificate authority: " + e.getMessage(), e);
        }
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    @Override
    public String newChallenge(Duration validity, Map<String, String> bindings) {
        if (validity.isNegative() || validity.isZero() || validity.compareTo(Duration.ofDays(30)) > 0) {
            throw new IllegalArgumentException("a challenge is valid for up to 30 days");
        }
        String challenge = Secrets.random("");
        transactions.inTransaction("create a SCEP challenge", tx -> {
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO pki_challenge (challenge_hash, bindings, expires_at) VALUES (?, ?, ?)")) {
                insert.setString(1, Secrets.sha256(challenge));
                insert.setString(2, seal(bindings));
                insert.setTimestamp(3, Timestamp.from(clock.instant().plus(validity)));
                insert.executeUpdate();
            }
            return null;
        });
        return challenge;
    }

    /**
     * Uses up a challenge: the one request presenting it gets its bindings, any later one nothing.
     *
     * @return the challenge's bindings, or empty when it is unknown, expired or used
     */
    Optional<Map<String, String>> redeem(String challenge) {
        String hash = Secrets.sha256(challenge);
        return transactions.inTransaction("redeem a SCEP challenge", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE pki_challenge SET used_at = ? WHERE challenge_hash = ? AND used_at IS NULL AND expires_at > ?")) {
                Timestamp now = Timestamp.from(clock.instant());
                update.setTimestamp(1, now);
                update.setString(2, hash);
                update.setTimestamp(3, now);
                if (update.executeUpdate() != 1) {
                    return Optional.<Map<String, String>>empty();
                }
            }
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT bindings FROM pki_challenge WHERE challenge_hash = ?")) {
                select.setString(1, hash);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return Optional.of(parse(rows.getString(1)));
                }
            }
        });
    }

    @Override
    public X509Certificate sign(byte[] pkcs10, Duration validity, Map<String, String> bindings) {
        PKCS10CertificationRequest request;
        try {
            request = new PKCS10CertificationRequest(Asn1Nesting.requireBounded(pkcs10));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a PKCS#10 certificate request");
        }
        return issue(request, validity, bindings);
    }

    /** Issues a client-authentication certificate for a request whose signature verifies. */
    X509Certificate issue(PKCS10CertificationRequest request, Duration validity, Map<String, String> bindings) {
        try {
            // The key is decoded by its algorithm's name first: the JDK has no key factory under the EC key OID that
            // a verifier built from the bare SubjectPublicKeyInfo would ask for, so EC P-256 requests failed.
            PublicKey publicKey = KeyFactory.getInstance("RSA".equals(algorithmOf(request)) ? "RSA" : "EC")
                    .generatePublic(new X509EncodedKeySpec(request.getSubjectPublicKeyInfo().getEncoded()));
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
                throw new IllegalArgumentException("the certificate request's signature does not verify");
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial,
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subjectFor(serial, bindings), publicKey);
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate));
            X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(privateKey));
            X509Certificate issued = new JcaX509CertificateConverter().getCertificate(holder);
            transactions.inTransaction("record an issued certificate", tx -> {
                try (PreparedStatement insert = tx.connection().prepareStatement("""
                        INSERT INTO pki_certificate (serial_number, subject, not_before, not_after, bindings, certificate)
                        VALUES (?, ?, ?, ?, ?, ?)""")) {
                    insert.setString(1, serial.toString(16));
                    String subject = issued.getSubjectX500Principal().getName();
                    insert.setString(2, subject.length() > 1000 ? subject.substring(0, 1000) : subject);
                    insert.setTimestamp(3, new Timestamp(issued.getNotBefore().getTime()));
                    insert.setTimestamp(4, new Timestamp(issued.getNotAfter().getTime()));
                    insert.setString(5, seal(bindings));
                    insert.setString(6, Pem.encode(issued));
                    insert.executeUpdate();
                }
                return null;
            });
            return issued;
        } catch (OperatorCreationException | PKCSException | GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the certificate request cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * The CA's choice of subject, never the client's: clients put what they like into theirs (real Windows clients a
     * non-printable character), and what a certificate says must be what the server knows.
     */
    static X500Name subjectFor(BigInteger serial, Map<String, String> bindings) {
        String device = bindings.getOrDefault(DEVICE_BINDING, "");
        String commonName = device.matches("[0-9a-fA-F-]{36}") ? device.toLowerCase(Locale.ROOT) : serial.toString(16);
        // Most significant first in the encoding, so that the RFC 2253 form reads CN=…,OU=Devices,O=Shepherd.
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Shepherd").addRDN(BCStyle.OU, "Devices")
                .addRDN(BCStyle.CN, commonName).build();
    }

    @Override
    public List<String> bindToDevice(String serialNumber, DeviceId device) {
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(device, "device is null");
        String pair = serialNumber + "/" + device;
        if (bound.getIfPresent(pair) != null) {
            return List.of();
        }
        List<String> revoked = transactions.inTransaction("bind a certificate to its device", tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT device_id FROM pki_certificate WHERE serial_number = ? FOR UPDATE")) {
                select.setString(1, serialNumber);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        throw new IllegalArgumentException("this CA did not issue certificate " + serialNumber);
                    }
                    String current = rows.getString(1);
                    if (current != null && !current.trim().equals(device.toString())) {
                        throw new IllegalArgumentException("certificate " + serialNumber + " is the identity of another device");
                    }
                }
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE pki_certificate SET device_id = ? WHERE serial_number = ?")) {
                update.setString(1, device.toString());
                update.setString(2, serialNumber);
                update.executeUpdate();
            }
            List<String> others = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT serial_number FROM pki_certificate WHERE device_id = ? AND serial_number <> ? AND revoked_at IS NULL")) {
                select.setString(1, device.toString());
                select.setString(2, serialNumber);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        others.add(rows.getString(1));
                    }
                }
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE pki_certificate SET revoked_at = ? WHERE serial_number = ? AND revoked_at IS NULL")) {
                for (String other : others) {
                    update.setTimestamp(1, Timestamp.from(clock.instant()));
                    update.setString(2, other);
                    update.executeUpdate();
                }
            }
            for (String other : others) {
                changes.publish(tx, REVOKED_TOPIC, other);
            }
            tx.afterCommit(() -> {
                others.forEach(issuedBySerial::invalidate);
                bound.put(pair, Boolean.TRUE);
            });
            return others;
        });
        if (!revoked.isEmpty()) {
            log.info("Certificate {} is now the identity of device {}; revoked the earlier {}", serialNumber, device, revoked);
        }
        return revoked;
    }

    /**
     * Revokes every live certificate bound to a device, as when it leaves management.
     *
     * @return the serial numbers revoked
     */
    public List<String> revokeAllOf(DeviceId device) {
        requireNonNull(device, "device is null");
        return transactions.inTransaction("revoke a device's certificates", tx -> {
            List<String> live = new ArrayList<>();
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT serial_number FROM pki_certificate WHERE device_id = ? AND revoked_at IS NULL")) {
                select.setString(1, device.toString());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        live.add(rows.getString(1));
                    }
                }
            }
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE pki_certificate SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, device.toString());
                update.executeUpdate();
            }
            for (String serial : live) {
                changes.publish(tx, REVOKED_TOPIC, serial);
            }
            tx.afterCommit(() -> live.forEach(issuedBySerial::invalidate));
            return live;
        });
    }

    private static String algorithmOf(PKCS10CertificationRequest request) {
        String oid = request.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId();
        return oid.equals("1.2.840.113549.1.1.1") ? "RSA" : "EC";
    }

    @Override
    public Optional<IssuedCertificate> verify(List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            return Optional.empty();
        }
        X509Certificate leaf = chain.get(0);
        Optional<String> serialNumber = signedByThisCa(leaf);
        if (serialNumber.isEmpty()) {
            return Optional.empty();
        }
        try {
            leaf.checkValidity(Date.from(clock.instant()));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
        return issuedBySerial.get(serialNumber.get(), this::find).filter(issued -> issued.revokedAt().isEmpty());
    }

    /** The certificate's serial number when this CA signed it; its signature is checked once per encoding. */
    private Optional<String> signedByThisCa(X509Certificate leaf) {
        ByteBuffer encoded;
        try {
            encoded = ByteBuffer.wrap(leaf.getEncoded());
        } catch (CertificateEncodingException e) {
            return Optional.empty();
        }
        String known = signedByThisCa.getIfPresent(encoded);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            leaf.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
        String serialNumber = leaf.getSerialNumber().toString(16);
        signedByThisCa.put(encoded, serialNumber);
        return Optional.of(serialNumber);
    }

    public Optional<IssuedCertificate> find(String serialNumber) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("""
                     SELECT serial_number, subject, not_before, not_after, bindings, revoked_at FROM pki_certificate WHERE serial_number = ?""")) {
            select.setString(1, serialNumber);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new IssuedCertificate(rows.getString(1), rows.getString(2), rows.getTimestamp(3).toInstant(),
                        rows.getTimestamp(4).toInstant(), parse(rows.getString(5)),
                        Optional.ofNullable(rows.getTimestamp(6)).map(Timestamp::toInstant)));
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read issued certificates", e);
        }
    }

    @Override
    public boolean revoke(String serialNumber) {
        return transactions.inTransaction("revoke a certificate", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE pki_certificate SET revoked_at = ? WHERE serial_number = ? AND revoked_at IS NULL")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, serialNumber);
                tx.afterCommit(() -> issuedBySerial.invalidate(serialNumber));
                if (update.executeUpdate() == 1) {
                    changes.publish(tx, REVOKED_TOPIC, serialNumber);
                    return true;
                }
            }
            // Already revoked, or not ours: asked in the same transaction, which holds the row it may just have locked.
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT 1 FROM pki_certificate WHERE serial_number = ?")) {
                select.setString(1, serialNumber);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    /** Drops what this node cached of a certificate revoked (perhaps by another node). */
    private void forgetCertificate(String serialNumber) {
        issuedBySerial.invalidate(serialNumber);
        String prefix = serialNumber + "/";
        bound.asMap().keySet().removeIf(pair -> pair.startsWith(prefix));
    }

    /** Bindings can carry secrets (an enrollment token), so they are stored encrypted. */
    private String seal(Map<String, String> bindings) {
        return secrets.encrypt(json.write(bindings));
    }

    private Map<String, String> parse(String sealed) {
        try {
            return json.mapper().readValue(secrets.decrypt(sealed), BINDINGS);
        } catch (JsonProcessingException e) {
            throw new StorageException("Stored certificate bindings are malformed", e);
        }
    }

    /** PEM encoding of certificates. */
    static final class Pem {
        private Pem() {
        }

        static String encode(X509Certificate certificate) {
            try {
                return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(certificate.getEncoded())
                        + "\n-----END CERTIFICATE-----\n";
            } catch (CertificateException e) {
                throw new IllegalStateException("a certificate we hold is always encodable", e);
            }
        }

        static X509Certificate certificate(String pem) throws CertificateException {
            String base64 = pem.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "").replaceAll("\\s", "");
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
        }
    }
}
