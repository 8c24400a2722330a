package dev.shepherd.apple;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test CA standing in for Apple's device PKI, shaped as Apple's: a root ("Apple Root CA" in production), an
 * intermediate that issues device identities ("Apple iPhone Device CA"), and per-device identity certificates, which
 * devices sign their MachineInfo with, carrying the intermediate. Servers under test trust its root
 * ({@link AdeEnrollment#DEVICE_CA_SETTING}, {@link #writeRoot}).
 */
public final class TestAppleDeviceCa {

    /** A device's identity as Apple's device CA issued it, with the intermediate the device sends along. */
    public record DeviceIdentity(X509Certificate certificate, PrivateKey key, List<X509Certificate> intermediates) {
    }

    private final KeyPair rootKeys;
    private final X509Certificate root;
    private final KeyPair deviceCaKeys;
    private final X509Certificate deviceCa;
    private final AtomicLong serials = new AtomicLong(10);

    /** @param name distinguishes this CA from another test's, such as one no server trusts */
    public TestAppleDeviceCa(String name) {
        try {
            rootKeys = keys();
            X500Name rootName = new X500Name("CN=" + name + " Root CA,O=Test stand-in for Apple");
            root = certificate(rootName, rootKeys, rootName, rootKeys.getPublic(), true);
            deviceCaKeys = keys();
            deviceCa = certificate(rootName, rootKeys, new X500Name("CN=" + name + " iPhone Device CA,O=Test stand-in for Apple"),
                    deviceCaKeys.getPublic(), true);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return a fresh identity for the device of this UDID */
    public DeviceIdentity identity(String udid) {
        try {
            KeyPair device = keys();
            X509Certificate certificate = certificate(X500Name.getInstance(deviceCa.getSubjectX500Principal().getEncoded()), deviceCaKeys,
                    new X500Name("CN=" + udid), device.getPublic(), false);
            return new DeviceIdentity(certificate, device.getPrivate(), List.of(deviceCa));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the root certificate as PEM, the file a server's {@code adeDeviceCaFile} names. */
    public Path writeRoot(Path file) throws IOException, GeneralSecurityException {
        String pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(root.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        return Files.writeString(file, pem);
    }

    private X509Certificate certificate(X500Name issuer, KeyPair issuerKeys, X500Name subject, PublicKey key, boolean ca)
            throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serials.incrementAndGet()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))), subject, key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }
}
