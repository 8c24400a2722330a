package dev.shepherd.pki;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;

/**
 * A SCEP client speaking RFC 8894 byte for byte, as a device does: a transient self-signed certificate signs the
 * pkiMessage, the PKCS#10 request (with the challenge password) is encrypted to the CA, and the CertRep is checked
 * and decrypted. Used by the tests, and usable by device simulators.
 */
public final class ScepClient {

    /**
     * What the server answered.
     *
     * @param status the pkiStatus: 0 success, 2 failure
     * @param failInfo the failInfo of a failure
     * @param certificate the issued certificate on success
     * @param key the key pair the certificate is for
     */
    public record Result(String status, Optional<String> failInfo, Optional<X509Certificate> certificate, KeyPair key) {
    }

    private final URI scep;
    private final HttpClient http;

    public ScepClient(URI scep) {
        this(scep, HttpClient.newHttpClient());
    }

    /** @param http the client to use, for example one that trusts the server's root from an enrollment profile */
    public ScepClient(URI scep, HttpClient http) {
        this.scep = scep;
        this.http = http;
    }

    public String capabilities() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(scep + "?operation=GetCACaps")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public X509Certificate caCertificate() throws Exception {
        byte[] der = http.send(HttpRequest.newBuilder(URI.create(scep + "?operation=GetCACert")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /** Enrolls a new RSA key with a challenge. */
    public Result enroll(String subject, String challenge) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return enroll(subject, challenge, generator.generateKeyPair());
    }

    /**
     * Enrolls a key pair the caller already has, such as one a load generator shares between its simulated devices
     * so that it does not generate an RSA key per device (each device still gets a certificate of its own).
     */
    public Result enroll(String subject, String challenge, KeyPair keys) throws Exception {
        X509Certificate signer = selfSigned(keys, subject);
        return request(keys, signer, subject, challenge, ScepService.PKCS_REQ);
    }

    /** A DER-encoded PKCS#10 request for a new RSA key, with the given subject, for signing directly. */
    public static byte[] certificationRequest(String subject) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded();
    }

    /** Renews: a new key, the request signed with the current certificate and key. */
    public Result renew(X509Certificate current, KeyPair currentKey, String subject) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        JcaPKCS10CertificationRequestBuilder csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic());
        PKCS10CertificationRequest request = csr.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
        Result result = exchange(request, current, currentKey, ScepService.RENEWAL_REQ);
        return new Result(result.status(), result.failInfo(), result.certificate(), keys);
    }

    private Result request(KeyPair keys, X509Certificate signer, String subject, String challenge, String messageType) throws Exception {
        JcaPKCS10CertificationRequestBuilder csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic());
        if (challenge != null) {
            csr.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, new DERPrintableString(challenge));
        }
        PKCS10CertificationRequest request = csr.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
        Result result = exchange(request, signer, keys, messageType);
        return new Result(result.status(), result.failInfo(), result.certificate(), keys);
    }

    private Result exchange(PKCS10CertificationRequest request, X509Certificate signer, KeyPair signerKey, String messageType)
            throws Exception {
        X509Certificate ca = caCertificate();
        byte[] senderNonce = new byte[16];
        new SecureRandom().nextBytes(senderNonce);
        String transactionId = Long.toHexString(new SecureRandom().nextLong());
        byte[] message = pkiMessage(request, signer, signerKey, messageType, ca, transactionId, senderNonce);

        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(scep + "?operation=PKIOperation"))
                .header("Content-Type", "application/x-pki-message").POST(HttpRequest.BodyPublishers.ofByteArray(message)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("SCEP answered HTTP " + response.statusCode());
        }
        CMSSignedData reply = new CMSSignedData(response.body());
        SignerInformation replySigner = reply.getSignerInfos().getSigners().iterator().next();
        if (!replySigner.verify(new JcaSimpleSignerInfoVerifierBuilder().build(ca))) {
            throw new IllegalStateException("the CertRep is not signed by the CA");
        }
        AttributeTable attributes = replySigner.getSignedAttributes();
        if (!ScepService.text(attributes, ScepService.TRANSACTION_ID).orElse("").equals(transactionId)
                || !Arrays.equals(ScepService.octets(attributes, ScepService.RECIPIENT_NONCE).orElse(new byte[0]), senderNonce)) {
            throw new IllegalStateException("the CertRep does not answer this request");
        }
        String status = ScepService.text(attributes, ScepService.PKI_STATUS).orElseThrow();
        if (!status.equals(ScepService.SUCCESS)) {
            return new Result(status, ScepService.text(attributes, ScepService.FAIL_INFO), Optional.empty(), signerKey);
        }
        CMSEnvelopedData certificates = new CMSEnvelopedData((byte[]) reply.getSignedContent().getContent());
        byte[] degenerate = certificates.getRecipientInfos().getRecipients().iterator().next()
                .getContent(new JceKeyTransEnvelopedRecipient(signerKey.getPrivate()));
        @SuppressWarnings("unchecked")
        X509CertificateHolder holder = (X509CertificateHolder) new CMSSignedData(degenerate).getCertificates().getMatches(null).iterator().next();
        return new Result(status, Optional.empty(), Optional.of(new JcaX509CertificateConverter().getCertificate(holder)), signerKey);
    }

    /** The DER pkiMessage a SCEP client sends: the request enveloped for the CA, signed with the client's key. */
    public static byte[] pkiMessage(PKCS10CertificationRequest request, X509Certificate signer, KeyPair signerKey, String messageType,
                                    X509Certificate ca, String transactionId, byte[] senderNonce) throws Exception {
        CMSEnvelopedDataGenerator envelope = new CMSEnvelopedDataGenerator();
        envelope.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(ca));
        byte[] enveloped = envelope.generate(new CMSProcessableByteArray(request.getEncoded()),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES128_CBC).build()).getEncoded();
        Hashtable<ASN1ObjectIdentifier, Attribute> table = new Hashtable<>();
        table.put(ScepService.MESSAGE_TYPE, new Attribute(ScepService.MESSAGE_TYPE, new DERSet(new DERPrintableString(messageType))));
        table.put(ScepService.TRANSACTION_ID, new Attribute(ScepService.TRANSACTION_ID, new DERSet(new DERPrintableString(transactionId))));
        table.put(ScepService.SENDER_NONCE, new Attribute(ScepService.SENDER_NONCE, new DERSet(new DEROctetString(senderNonce))));
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(table)))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(signerKey.getPrivate()), signer));
        generator.addCertificates(new JcaCertStore(List.of(signer)));
        return generator.generate(new CMSProcessableByteArray(enveloped), true).getEncoded();
    }

    static X509Certificate selfSigned(KeyPair keys, String subject) throws Exception {
        X500Name name = new X500Name(subject);
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(Instant.now().minusSeconds(60)), Date.from(Instant.now().plusSeconds(3600)), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }
}
