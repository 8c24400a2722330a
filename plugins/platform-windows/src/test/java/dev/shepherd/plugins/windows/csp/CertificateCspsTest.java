package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.CspContract;
import dev.shepherd.plugins.windows.CspContract.Edition;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Certificates through RootCATrustedCertificates and ClientCertificateInstall. */
class CertificateCspsTest {

    private static final String TRUSTED = "./Device/Vendor/MSFT/RootCATrustedCertificates/";
    private static final String CLIENT = "./Device/Vendor/MSFT/ClientCertificateInstall/";

    private static X509Certificate root;
    private static X509Certificate intermediate;
    private static byte[] pkcs12;

    @BeforeAll
    static void certificates() throws Exception {
        KeyPair rootKeys = keys();
        root = certificate("CN=Example Root", rootKeys, "CN=Example Root", rootKeys);
        KeyPair intermediateKeys = keys();
        intermediate = certificate("CN=Example Issuing CA", intermediateKeys, "CN=Example Root", rootKeys);
        KeyPair clientKeys = keys();
        X509Certificate client = certificate("CN=alice", clientKeys, "CN=Example Issuing CA", intermediateKeys);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("alice", clientKeys.getPrivate(), "p12-password".toCharArray(), new Certificate[] {client, intermediate});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.store(out, "p12-password".toCharArray());
        pkcs12 = out.toByteArray();
    }

    @Test
    void aRootGoesToTheRootStoreNamedByItsSha1Thumbprint() throws Exception {
        String thumbprint = thumbprint(root);
        List<CspOperation> operations = SettingCsps.install("certificate/Root", "certificate", Map.of("name", "Root", "kind", "TRUSTED_ROOT",
                "data", Base64.getEncoder().encodeToString(root.getEncoded())));

        assertThat(operations).containsExactly(CspOperation.add(TRUSTED + "Root/" + thumbprint + "/EncodedCertificate", "b64",
                Base64.getEncoder().encodeToString(root.getEncoded())));
        assertThat(SettingCsps.remove("certificate/Root", "certificate", Map.of("name", "Root", "kind", "TRUSTED_ROOT",
                "data", Base64.getEncoder().encodeToString(root.getEncoded())))).containsExactly(CspOperation.delete(TRUSTED + "Root/" + thumbprint));
    }

    @Test
    void anIntermediateGoesToTheCaStoreAndPemIsReadToo() throws Exception {
        String pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(intermediate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        List<CspOperation> operations = SettingCsps.install("certificate/Issuing", "certificate", Map.of("name", "Issuing", "kind", "TRUSTED_ROOT",
                "data", pem));
        assertThat(operations).extracting(CspOperation::locUri).containsExactly(TRUSTED + "CA/" + thumbprint(intermediate) + "/EncodedCertificate");
        assertThat(operations.get(0).data()).hasValue(Base64.getEncoder().encodeToString(intermediate.getEncoded()));
    }

    @Test
    void aPkcs12IdentityIsInstalledWithItsBlobLastAndItsKeyInTheTpmWhereThereIsOne() {
        String id = Nodes.uniqueId("Wi-Fi identity");
        Map<String, Object> value = Map.of("name", "Wi-Fi identity", "kind", "PKCS12_IDENTITY",
                "data", Base64.getEncoder().encodeToString(pkcs12), "password", "p12-password");
        List<CspOperation> operations = SettingCsps.install("certificate/Wi-Fi identity", "certificate", value);

        String node = CLIENT + "PFXCertInstall/" + id + "/";
        assertThat(id).matches("shepherd-Wi-Fi-identity-[0-9a-f]{8}");
        assertThat(operations).containsExactly(
                CspOperation.add(node + "KeyLocation", "int", "2"),
                CspOperation.add(node + "PFXCertPassword", "chr", "p12-password"),
                CspOperation.add(node + "PFXCertPasswordEncryptionType", "int", "0"),
                CspOperation.add(node + "PFXCertBlob", "b64", Base64.getEncoder().encodeToString(pkcs12)));
        // Adding the blob installs the certificate, so the password must be there before it; PFXKeyExportable applies only
        // to software keys (KeyLocation 3).
        assertThat(CspContract.microsoft().violations(operations, Edition.PRO, false)).isEmpty();
        assertThat(SettingCsps.remove("certificate/Wi-Fi identity", "certificate", value))
                .containsExactly(CspOperation.delete(CLIENT + "PFXCertInstall/" + id));
    }

    @Test
    void aScepIdentityIsDescribedThenEnrolled() throws Exception {
        String thumbprint = thumbprint(root);
        Map<String, Object> value = Map.of("name", "Device identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://mdm.example.com/scep",
                "scepChallenge", "one-time", "subject", "CN=device-42,O=Example", "keySize", 4096);
        List<CspOperation> operations = SettingCsps.install("certificate/Device identity", "certificate", value,
                url -> url.equals("https://mdm.example.com/scep") ? Optional.of(thumbprint) : Optional.empty());

        String node = CLIENT + "SCEP/" + Nodes.uniqueId("Device identity");
        assertThat(operations.get(0)).isEqualTo(new CspOperation("Add", node, Optional.of("node"), Optional.empty()));
        assertThat(operations.subList(1, operations.size() - 1)).extracting(operation ->
                operation.locUri().substring((node + "/Install/").length()) + "=" + operation.data().orElseThrow()).containsExactly(
                "ServerURL=https://mdm.example.com/scep",
                "Challenge=one-time",
                "CAThumbprint=" + thumbprint,
                "SubjectName=CN=device-42,O=Example",
                "KeyLength=4096",
                "KeyUsage=160",
                "EKUMapping=1.3.6.1.5.5.7.3.2",
                "HashAlgorithm=SHA-2",
                "KeyProtection=2");
        assertThat(operations.get(operations.size() - 1)).isEqualTo(CspOperation.exec(node + "/Install/Enroll", Optional.empty(), Optional.empty()));
        assertThat(CspContract.microsoft().violations(operations, Edition.PRO, false)).isEmpty();
        assertThat(SettingCsps.remove("certificate/Device identity", "certificate", value)).containsExactly(CspOperation.delete(node));
    }

    @Test
    void malformedOrInexpressibleCertificatesAreRefusedWithAReason() {
        assertThatThrownBy(() -> SettingCsps.install("c", "certificate", Map.of("name", "c", "kind", "TRUSTED_ROOT", "data", "bm90IGEgY2VydGlmaWNhdGU=")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("not a readable X.509 certificate");
        assertThatThrownBy(() -> SettingCsps.install("c", "certificate", Map.of("name", "c", "kind", "TRUSTED_ROOT", "data", "%%%")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("not base64");
        assertThatThrownBy(() -> SettingCsps.install("c", "certificate", Map.of("name", "c", "kind", "PKCS12_IDENTITY",
                "data", Base64.getEncoder().encodeToString(pkcs12), "password", "wrong")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("cannot be opened with its password")
                .hasMessageNotContaining("wrong").hasMessageNotContaining("p12-password");
        assertThatThrownBy(() -> SettingCsps.install("c", "certificate", Map.of("name", "c", "kind", "SCEP_IDENTITY",
                "scepUrl", "https://ca.elsewhere.example/scep", "scepChallenge", "x", "subject", "CN=x")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("root certificate thumbprint");
    }

    private static String thumbprint(X509Certificate certificate) throws Exception {
        return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()));
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(System.nanoTime()), Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plus(Duration.ofDays(30))),
                new X500Name(subject), subjectKeys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
