package dev.shepherd.pki;

import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device presents its identity certificate on every message, so the CA checks a certificate's signature once per
 * encoding; what can change between two messages (revocation, the end of its validity) is still checked on each.
 */
class CertificateVerificationTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private TestKernel node;
    private CertificateAuthority authority;

    @BeforeEach
    void open() {
        node = TestKernel.open(home, clock);
        authority = node.kernel().certificateAuthority();
    }

    @AfterEach
    void close() {
        node.close();
    }

    @Test
    void aCertificateVerifiedBeforeIsRefusedAtTheNextMessageOnceRevoked() throws Exception {
        X509Certificate certificate = issue(Duration.ofDays(30));
        String serial = authority.verify(List.of(certificate)).orElseThrow().serialNumber();
        assertThat(authority.verify(List.of(certificate))).isPresent();

        assertThat(authority.revoke(serial)).isTrue();

        assertThat(authority.verify(List.of(certificate))).isEmpty();
    }

    @Test
    void aCertificateVerifiedBeforeIsRefusedOnceItHasExpired() throws Exception {
        X509Certificate certificate = issue(Duration.ofDays(2));
        assertThat(authority.verify(List.of(certificate))).isPresent();

        clock.advance(Duration.ofDays(3));

        assertThat(authority.verify(List.of(certificate))).isEmpty();
    }

    @Test
    void aCopyOfAVerifiedCertificateSignedByAnotherKeyIsRefused() throws Exception {
        X509Certificate genuine = issue(Duration.ofDays(30));
        assertThat(authority.verify(List.of(genuine))).isPresent();
        // Same serial number, subject, issuer, dates and public key: only the signature differs, made by a key that is not the CA's.
        KeyPair forger = keys();
        X509CertificateHolder holder = new X509CertificateHolder(genuine.getEncoded());
        X509v3CertificateBuilder copy = new X509v3CertificateBuilder(holder.getIssuer(), holder.getSerialNumber(),
                holder.getNotBefore(), holder.getNotAfter(), holder.getSubject(), holder.getSubjectPublicKeyInfo());
        X509Certificate forged = new JcaX509CertificateConverter().getCertificate(
                copy.build(new JcaContentSignerBuilder("SHA256withRSA").build(forger.getPrivate())));

        assertThat(authority.verify(List.of(forged))).isEmpty();
        assertThat(authority.verify(List.of(genuine))).as("the genuine certificate still speaks").isPresent();
    }

    private X509Certificate issue(Duration validity) throws Exception {
        KeyPair keys = keys();
        byte[] request = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=device"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded();
        return authority.sign(request, validity, Map.of());
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }
}
