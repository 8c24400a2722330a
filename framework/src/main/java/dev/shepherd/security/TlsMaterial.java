package dev.shepherd.security;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.util.Collections;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * The server's TLS identity: the configured PKCS#12 keystore, or a self-signed certificate generated once
 * into the data directory (with a random password readable only by the server's user).
 */
public final class TlsMaterial {

    private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);
    private static final String ALIAS = "shepherd";
    /**
     * How long a generated certificate is valid: under Apple's limit of 825 days for TLS server certificates (iOS 13,
     * macOS 10.15 and later refuse longer ones, which would keep Apple devices from enrolling).
     */
    static final Duration VALIDITY = Duration.ofDays(820);

    private TlsMaterial() {
    }

    /**
     * The server's private key and certificate chain, as used for TLS and for signing what the server hands out
     * (such as enrollment profiles).
     *
     * @param privateKey the key
     * @param chain the certificate chain, leaf first
     */
    public record ServerIdentity(PrivateKey privateKey, List<X509Certificate> chain) {
        public ServerIdentity {
            Objects.requireNonNull(privateKey, "privateKey is null");
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("the chain is empty");
            }
        }

        @Override
        public String toString() {
            return "ServerIdentity[" + chain.get(0).getSubjectX500Principal() + "]";
        }
    }

    /**
     * Loads the configured PKCS#12 keystore, or the generated self-signed one (creating it on first use).
     */
    public static ServerIdentity identity(Optional<Path> configuredKeystore, String configuredPassword, Path dataDir,
                                          List<String> hostnames) {
        try {
            Path keystore;
            char[] password;
            if (configuredKeystore.isPresent()) {
                keystore = configuredKeystore.get();
                password = configuredPassword.toCharArray();
                if (!Files.isReadable(keystore)) {
                    throw new IllegalStateException("https.keystore " + keystore + " is not a readable file");
                }
            } else {
                Path dir = dataDir.resolve("tls");
                keystore = dir.resolve("server.p12");
                Path passwordFile = dir.resolve("server.p12.password");
                if (!Files.exists(keystore) || !Files.exists(passwordFile)) {
                    generate(dir, keystore, passwordFile, hostnames);
                }
                password = Files.readString(passwordFile, StandardCharsets.US_ASCII).trim().toCharArray();
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password);
            }
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    List<X509Certificate> chain = new ArrayList<>();
                    for (Certificate certificate : store.getCertificateChain(alias)) {
                        chain.add((X509Certificate) certificate);
                    }
                    return new ServerIdentity((PrivateKey) store.getKey(alias, password), chain);
                }
            }
            throw new IllegalStateException("the keystore " + keystore + " holds no private key");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot load the server's TLS identity: " + e.getMessage(), e);
        }
    }

    /**
     * Builds the server's SSL context. Client certificates are requested but not verified here: devices present
     * identities issued by Shepherd's own CA, which the platform plugins verify against the enrollment.
     */
    public static SSLContext serverContext(ServerIdentity identity) {
        try {
            char[] password = "in-memory".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, identity.privateKey(), password, identity.chain().toArray(X509Certificate[]::new));
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), new TrustManager[]{new DeferredClientTrust()}, new SecureRandom());
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** TLS 1.3, and TLS 1.2 for clients without it; nothing older. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * Forward-secret, authenticated-encryption suites only, strongest first: TLS 1.3's, then TLS 1.2's ECDHE with
     * AES-GCM or ChaCha20-Poly1305. No static-RSA key exchange (a stolen key would decrypt recorded traffic) and no
     * CBC with SHA-1. Apple devices, Windows and every current browser speak these.
     */
    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** @return the {@link #CIPHER_SUITES} this JDK's TLS implementation supports, in that order */
    public static List<String> cipherSuites(SSLContext context) {
        List<String> supported = List.of(context.getSupportedSSLParameters().getCipherSuites());
        return CIPHER_SUITES.stream().filter(supported::contains).toList();
    }

    private static void generate(Path dir, Path keystore, Path passwordFile, List<String> hostnames)
            throws IOException, GeneralSecurityException {
        OwnerOnlyFiles.directory(dir);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=" + hostnames.get(0) + ",O=Shepherd self-signed");
        Instant now = Instant.now();
        List<GeneralName> names = new ArrayList<>();
        for (String hostname : hostnames) {
            names.add(new GeneralName(GeneralName.dNSName, hostname));
        }
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        try {
            names.add(new GeneralName(GeneralName.iPAddress, InetAddress.getLocalHost().getHostAddress()));
        } catch (UnknownHostException ignored) {
            // a machine without a resolvable name still gets the loopback address
        }
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.minus(Duration.ofMinutes(5)).plus(VALIDITY)), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        X509Certificate certificate;
        try {
            certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ALIAS, keys.getPrivate(), password, new X509Certificate[]{certificate});
        OwnerOnlyFiles.write(passwordFile, new String(password).getBytes(StandardCharsets.US_ASCII));
        try (OutputStream out = OwnerOnlyFiles.newOutputStream(keystore)) {
            store.store(out, password);
        }
        log.info("Generated a self-signed TLS certificate for {} in {}; configure https.keystore for production", hostnames, keystore);
    }

    /** Accepts any client certificate at the TLS layer; platform plugins verify device identities themselves. */
    private static final class DeferredClientTrust implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // verified by the platform plugin against the device's enrollment, see the class description
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("this trust manager only serves incoming connections");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
