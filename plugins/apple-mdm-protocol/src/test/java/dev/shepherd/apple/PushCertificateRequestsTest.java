package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.testing.MemoryPluginStorage;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The push certificate request made on the server, as Apple's "Setting up push notifications for your MDM customers"
 * describes it: a CSR whose key stays here until Apple's certificate for it is uploaded alone, and, with an MDM vendor
 * signing certificate set, the Base64 plist identity.apple.com takes (the DER CSR, its SHA256withRSA signature by the
 * vendor key, and the PEM chain up to the root in lines of at most 64 characters).
 */
class PushCertificateRequestsTest {

    private static final AtomicLong SERIALS = new AtomicLong(1);
    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final TestSealer sealer = new TestSealer();
    private final PushCertificateRequests requests = new PushCertificateRequests(storage, sealer);
    private final PushCertificates certificates = new PushCertificates(storage, sealer);

    @Test
    void theCertificateAppleIssuesForTheRequestIsUploadedAloneAndPairedWithTheKeyKeptHere() throws Exception {
        PushCertificateRequests.CertificateRequest request = requests.newRequest("Example Corp MDM");

        PKCS10CertificationRequest csr = csr(request.csrPem());
        assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))).isTrue();
        assertThat(IETFUtils.valueToString(csr.getSubject().getRDNs(BCStyle.CN)[0].getFirst().getValue())).isEqualTo("Example Corp MDM");
        PublicKey requested = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        assertThat(((RSAPublicKey) requested).getModulus().bitLength()).isEqualTo(2048);
        assertThat(request.pushCertificateRequest()).as("no vendor certificate is set").isEmpty();
        assertThat(certificates.status()).isEmpty();

        PushCertificates.Status status = certificates.upload(pem(appleIssues("com.apple.mgmt.External.example", requested)));

        assertThat(status.topic()).isEqualTo("com.apple.mgmt.External.example");
        assertThat(certificates.credentials().orElseThrow().certificate().getPublicKey()).isEqualTo(requested);
        assertThat(storage.get(PushCertificateRequests.PENDING_KEY)).as("the key moved to the certificate").isEmpty();
    }

    @Test
    void aCertificateAloneIsRefusedUnlessItAnswersTheLatestRequest() throws Exception {
        X509Certificate other = appleIssues("com.apple.mgmt.External.other", keys().getPublic());
        assertThatThrownBy(() -> certificates.upload(pem(other))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("create a certificate request here first");

        PKCS10CertificationRequest first = csr(requests.newRequest("First").csrPem());
        requests.newRequest("Second");
        X509Certificate forFirst = appleIssues("com.apple.mgmt.External.first", new JcaPKCS10CertificationRequest(first).getPublicKey());
        assertThatThrownBy(() -> certificates.upload(pem(forFirst))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not issued for this server's latest certificate request");
        assertThat(certificates.status()).isEmpty();
        assertThatThrownBy(() -> requests.newRequest(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> requests.newRequest("x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withAVendorSigningCertificateTheRequestIsTheSignedPlistApplesPortalTakes() throws Exception {
        KeyPair rootKeys = keys();
        X509Certificate root = issue("CN=Test Apple Root CA", rootKeys.getPublic(), "CN=Test Apple Root CA", rootKeys);
        KeyPair wwdrKeys = keys();
        X509Certificate wwdr = issue("CN=Test WWDR", wwdrKeys.getPublic(), "CN=Test Apple Root CA", rootKeys);
        KeyPair vendorKeys = keys();
        X509Certificate signing = issue("CN=MDM Vendor: Example", vendorKeys.getPublic(), "CN=Test WWDR", wwdrKeys);

        PushCertificateRequests.Vendor vendor = requests.setVendor(pem(vendorKeys.getPrivate(), signing, wwdr, root));
        assertThat(vendor.chainLength()).isEqualTo(3);
        assertThat(requests.vendor()).contains(vendor);

        PushCertificateRequests.CertificateRequest request = requests.newRequest("Example Corp MDM");
        NSDictionary plist = Plists.dictionary(Base64.getDecoder().decode(request.pushCertificateRequest().orElseThrow()));
        byte[] csrDer = Base64.getDecoder().decode(Plists.string(plist, "PushCertRequestCSR"));
        assertThat(csrDer).isEqualTo(csr(request.csrPem()).getEncoded());
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(signing.getPublicKey());
        verifier.update(csrDer);
        assertThat(verifier.verify(Base64.getDecoder().decode(Plists.string(plist, "PushCertSignature")))).isTrue();
        String chain = Plists.string(plist, "PushCertCertificateChain");
        assertThat(chain.split("-----BEGIN CERTIFICATE-----", -1)).hasSize(4);
        assertThat(Arrays.stream(chain.split("\\R")).filter(line -> !line.startsWith("-----"))).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
        assertThat(chain).startsWith(pem(signing)).endsWith(pem(root));
    }

    @Test
    void aVendorChainOutOfOrderWithoutItsRootOrWithAnotherKeyIsRefused() throws Exception {
        KeyPair rootKeys = keys();
        X509Certificate root = issue("CN=Root", rootKeys.getPublic(), "CN=Root", rootKeys);
        KeyPair vendorKeys = keys();
        X509Certificate signing = issue("CN=Vendor", vendorKeys.getPublic(), "CN=Root", rootKeys);

        assertThatThrownBy(() -> requests.setVendor(pem(vendorKeys.getPrivate(), root, signing))).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> requests.setVendor(pem(vendorKeys.getPrivate(), signing))).hasMessageContaining("does not end with a root");
        assertThatThrownBy(() -> requests.setVendor(pem(keys().getPrivate(), signing, root))).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> requests.setVendor("not pem")).isInstanceOf(IllegalArgumentException.class);
        assertThat(requests.vendor()).isEmpty();
        assertThat(requests.newRequest("Example").pushCertificateRequest()).isEmpty();
    }

    private static X509Certificate appleIssues(String topic, PublicKey key) throws Exception {
        return issue("UID=" + topic + ",CN=APSP:" + topic.substring(topic.lastIndexOf('.') + 1) + ",C=US", key,
                "CN=Apple Application Integration 2 Certification Authority", keys());
    }

    private static X509Certificate issue(String subject, PublicKey key, String issuer, KeyPair issuerKeys) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIALS.getAndIncrement()), Date.from(Instant.now().minus(Duration.ofDays(1))),
                Date.from(Instant.now().plus(Duration.ofDays(365))), new X500Name(subject), key)
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static PKCS10CertificationRequest csr(String pem) throws Exception {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            return (PKCS10CertificationRequest) parser.readObject();
        }
    }

    private static String pem(Object... items) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object item : items) {
                writer.writeObject(item);
            }
        }
        return out.toString();
    }
}
