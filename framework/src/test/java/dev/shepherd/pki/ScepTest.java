package dev.shepherd.pki;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.testing.TestServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SCEP (RFC 8894) through real HTTP, with a byte-level client: enrollment, one-time challenges, renewal, bad input. */
class ScepTest {

    @TempDir
    static Path home;
    private static TestServer server;
    private static ScepClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(home);
        client = new ScepClient(server.uri("/scep"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void capabilitiesAndTheCaCertificateAreServed() throws Exception {
        assertThat(client.capabilities()).contains("POSTPKIOperation").contains("SHA-256").contains("AES").contains("Renewal");
        assertThat(client.capabilities().lines()).as("weak algorithms are no longer offered").doesNotContain("SHA-1", "DES3");
        X509Certificate ca = client.caCertificate();
        assertThat(ca.getSubjectX500Principal().getName()).contains("Shepherd Device CA");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aDeviceWithAChallengeGetsAnIdentityCertificateBoundToItsEnrollment() throws Exception {
        String challenge = server.server().kernel().certificateAuthority().newChallenge(Duration.ofHours(1),
                Map.of("enrollmentToken", "token-1", "purpose", "apple-mdm"));

        // Clients put what they like into their subject, Windows a non-printable character: the CA never copies it.
        ScepClient.Result result = client.enroll("CN=device\u0001-1,O=Shepherd test", challenge);

        assertThat(result.status()).isEqualTo("0");
        X509Certificate certificate = result.certificate().orElseThrow();
        certificate.verify(client.caCertificate().getPublicKey());
        assertThat(certificate.getSubjectX500Principal().getName())
                .isEqualTo("CN=" + certificate.getSerialNumber().toString(16) + ",OU=Devices,O=Shepherd");
        assertThat(certificate.getPublicKey()).isEqualTo(result.key().getPublic());
        assertThat(certificate.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2");
        IssuedCertificate issued = server.server().kernel().certificateAuthority().verify(List.of(certificate)).orElseThrow();
        assertThat(issued.bindings()).containsEntry("enrollmentToken", "token-1");
        assertThat(issued.subject()).isEqualTo(certificate.getSubjectX500Principal().getName());
    }

    @Test
    void aCertificateSignedForADeviceIsNamedAfterItAndIsItsOnlyLiveIdentity() throws Exception {
        KernelCertificateAuthority ca = server.server().kernel().certificateAuthority();
        DeviceId device = DeviceId.random();
        X509Certificate first = ca.sign(ScepClient.certificationRequest("CN=\u0007bell,OU=mine"), Duration.ofDays(30),
                Map.of("deviceId", device.toString()));
        X509Certificate second = ca.sign(ScepClient.certificationRequest("CN=whatever"), Duration.ofDays(30),
                Map.of("deviceId", device.toString()));
        assertThat(first.getSubjectX500Principal().getName()).isEqualTo("CN=" + device + ",OU=Devices,O=Shepherd");

        assertThat(ca.bindToDevice(serial(first), device)).isEmpty();
        assertThat(ca.bindToDevice(serial(first), device)).isEmpty();
        assertThat(ca.verify(List.of(first))).isPresent();
        // The second certificate in use: the first is revoked, one device has one live identity.
        assertThat(ca.bindToDevice(serial(second), device)).containsExactly(serial(first));
        assertThat(ca.verify(List.of(first))).isEmpty();
        assertThat(ca.verify(List.of(second))).isPresent();
        assertThatThrownBy(() -> ca.bindToDevice(serial(second), DeviceId.random())).isInstanceOf(IllegalArgumentException.class);
        assertThat(ca.revokeAllOf(device)).containsExactly(serial(second));
        assertThat(ca.verify(List.of(second))).isEmpty();
    }

    @Test
    void anEcP256RequestGetsACertificateForItsKey() throws Exception {
        // ACME-enrolled Apple devices have EC P-256 keys; the CA issues for them as for RSA ones.
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        byte[] request = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ec device"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();

        X509Certificate certificate = server.server().kernel().certificateAuthority().sign(request, Duration.ofDays(30), Map.of("n", "ec"));

        assertThat(certificate.getPublicKey()).isEqualTo(keys.getPublic());
        certificate.verify(client.caCertificate().getPublicKey());
        assertThat(server.server().kernel().certificateAuthority().verify(List.of(certificate))).isPresent();
    }

    private static String serial(X509Certificate certificate) {
        return certificate.getSerialNumber().toString(16);
    }

    @Test
    void aChallengeWorksOnceAndAWrongOneNever() throws Exception {
        String challenge = server.server().kernel().certificateAuthority().newChallenge(Duration.ofHours(1), Map.of("n", "1"));

        assertThat(client.enroll("CN=first", challenge).status()).isEqualTo("0");
        ScepClient.Result replay = client.enroll("CN=replayed", challenge);
        ScepClient.Result guessed = client.enroll("CN=guessed", "not-a-challenge");
        ScepClient.Result none = client.enroll("CN=none", null);

        assertThat(replay.status()).isEqualTo("2");
        assertThat(replay.failInfo()).hasValue("2");
        assertThat(replay.certificate()).isEmpty();
        assertThat(guessed.status()).isEqualTo("2");
        assertThat(none.status()).isEqualTo("2");
    }

    @Test
    void aLiveCertificateRenewsItselfKeepingItsBindingsAndARevokedOneCannot() throws Exception {
        var ca = server.server().kernel().certificateAuthority();
        ScepClient.Result first = client.enroll("CN=renewer", ca.newChallenge(Duration.ofHours(1), Map.of("udid", "U-1")));

        ScepClient.Result renewed = client.renew(first.certificate().orElseThrow(), first.key(), "CN=renewer");

        assertThat(renewed.status()).isEqualTo("0");
        assertThat(ca.verify(List.of(renewed.certificate().orElseThrow())).orElseThrow().bindings()).containsEntry("udid", "U-1");
        assertThat(ca.revoke(renewed.certificate().orElseThrow().getSerialNumber().toString(16))).isTrue();
        assertThat(ca.verify(List.of(renewed.certificate().orElseThrow()))).isEmpty();
        assertThat(client.renew(renewed.certificate().orElseThrow(), renewed.key(), "CN=renewer").status()).isEqualTo("2");
    }

    @Test
    void debiansStandardScepClientEnrolls() throws Exception {
        Path scepclient = Path.of("/usr/bin/scepclient");
        Assumptions.assumeTrue(Files.isExecutable(scepclient),
                "Debian's scep package is not installed (.ci/run installs it)");
        String challenge = server.server().kernel().certificateAuthority().newChallenge(Duration.ofHours(1), Map.of("client", "scepclient"));
        Path work = Files.createTempDirectory(home, "scepclient");

        Process process = new ProcessBuilder(scepclient.toString(), "-server-url", server.uri("/scep").toString(),
                "-challenge", challenge, "-cn", "standard-client", "-private-key", work.resolve("key.pem").toString(),
                "-certificate", work.resolve("cert.pem").toString()).directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(work.resolve("cert.pem")));
        assertThat(certificate.getSubjectX500Principal().getName())
                .isEqualTo("CN=" + certificate.getSerialNumber().toString(16) + ",OU=Devices,O=Shepherd");
        assertThat(server.server().kernel().certificateAuthority().verify(List.of(certificate)).orElseThrow().bindings())
                .containsEntry("client", "scepclient");
    }

    @Test
    void garbageIsABadRequestNotAnError() {
        var response = server.send(HttpRequest.newBuilder(server.uri("/scep?operation=PKIOperation"))
                .POST(HttpRequest.BodyPublishers.ofByteArray("not cms".getBytes())).build());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(server.get("/scep?operation=Nope").statusCode()).isEqualTo(400);
        assertThat(server.get("/scep").statusCode()).isEqualTo(400);
    }
}
