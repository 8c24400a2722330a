package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The server's FileVault escrow identity: the certificate a Mac encrypts its personal recovery key to
 * ({@code com.apple.security.FDERecoveryKeyEscrow}) and the private key that opens what it reports
 * ({@code SecurityInfo}'s {@code FDE_PersonalRecoveryKeyCMS}, a CMS EnvelopedData). Created once per plugin and kept
 * in the plugin's storage, the private key sealed; it is never replaced, since it alone opens every key escrowed to it.
 *
 * <p>Certificate and sealed key are one storage entry written with {@link PluginStorage#putIfAbsent}: nodes of a
 * cluster (or two versions of the plugin during an upgrade) creating it at the same moment agree on the one stored
 * first, and every node hands Macs the certificate whose key is kept.
 */
public final class FileVaultEscrow {

    /** The kind under which the kernel keeps the keys. */
    public static final String KIND = "filevault-personal";
    private static final String IDENTITY = "filevault-escrow/identity";
    /** Where versions before the identity entry kept certificate and key, apart: still read, never written. */
    private static final String LEGACY_CERTIFICATE = "filevault-escrow/certificate";
    private static final String LEGACY_PRIVATE_KEY = "filevault-escrow/private-key";
    private static final int MAX_KEY_LENGTH = 4096;
    private static final int MAX_CERTIFICATE_LENGTH = 64 * 1024;

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private volatile Identity identity;

    /** The certificate and its private key, sealed, as stored. */
    private record Identity(X509Certificate certificate, byte[] sealedKey) {
    }

    public FileVaultEscrow(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /** The escrow certificate, created with its key on first use. */
    public X509Certificate certificate() {
        return identity().certificate();
    }

    private synchronized Identity identity() {
        if (identity == null) {
            Optional<Identity> stored = stored();
            if (stored.isEmpty()) {
                storage.putIfAbsent(IDENTITY, create());
                stored = stored(); // ours, or the one another node stored first
            }
            identity = stored.orElseThrow(() -> new IllegalStateException("the FileVault escrow identity was not stored"));
        }
        return identity;
    }

    private Optional<Identity> stored() {
        Optional<byte[]> legacyCertificate = storage.get(LEGACY_CERTIFICATE);
        Optional<byte[]> legacyKey = storage.get(LEGACY_PRIVATE_KEY);
        if (legacyCertificate.isPresent() && legacyKey.isPresent()) {
            return Optional.of(new Identity(parse(legacyCertificate.get()), legacyKey.get()));
        }
        return storage.get(IDENTITY).map(FileVaultEscrow::decode);
    }

    /**
     * Opens a recovery key a Mac reported.
     *
     * @param envelope the CMS EnvelopedData, DER
     * @return the recovery key
     * @throws IllegalArgumentException when the envelope is malformed, not for the escrow certificate, or holds no key
     */
    public String open(byte[] envelope) {
        PrivateKey privateKey = privateKey(identity());
        try {
            CMSEnvelopedData enveloped = new CMSEnvelopedData(envelope);
            for (RecipientInformation recipient : enveloped.getRecipientInfos().getRecipients()) {
                byte[] content;
                try {
                    content = recipient.getContent(new JceKeyTransEnvelopedRecipient(privateKey));
                } catch (CMSException notForUs) {
                    continue;
                }
                String key = new String(content, StandardCharsets.UTF_8).trim();
                if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
                    throw new IllegalArgumentException("the escrowed recovery key is empty or too long");
                }
                return key;
            }
            throw new IllegalArgumentException("the recovery key is not encrypted to this server's escrow certificate");
        } catch (CMSException | RuntimeException e) {
            if (e instanceof IllegalArgumentException illegal) {
                throw illegal;
            }
            throw new IllegalArgumentException("FDE_PersonalRecoveryKeyCMS is not a CMS EnvelopedData: " + e.getMessage());
        }
    }

    private PrivateKey privateKey(Identity identity) {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(sealer.open(identity.sealedKey())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the FileVault escrow key cannot be read", e);
        }
    }

    /** A new identity, encoded for storage: the certificate's length, the certificate (DER), the sealed key. */
    private byte[] create() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, new SecureRandom());
            KeyPair keys = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=Shepherd FileVault recovery key escrow");
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()).abs(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment | KeyUsage.dataEncipherment));
            byte[] certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()))).getEncoded();
            byte[] sealedKey = sealer.seal(keys.getPrivate().getEncoded());
            return ByteBuffer.allocate(4 + certificate.length + sealedKey.length).putInt(certificate.length).put(certificate)
                    .put(sealedKey).array();
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot create the FileVault escrow certificate", e);
        }
    }

    private static Identity decode(byte[] stored) {
        ByteBuffer buffer = ByteBuffer.wrap(stored);
        int length = stored.length >= 4 ? buffer.getInt() : -1;
        if (length <= 0 || length > MAX_CERTIFICATE_LENGTH || length >= buffer.remaining()) {
            throw new IllegalStateException("the stored FileVault escrow identity is unreadable");
        }
        byte[] certificate = new byte[length];
        buffer.get(certificate);
        byte[] sealedKey = new byte[buffer.remaining()];
        buffer.get(sealedKey);
        return new Identity(parse(certificate), sealedKey);
    }

    private static X509Certificate parse(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the stored FileVault escrow certificate is unreadable", e);
        }
    }
}
