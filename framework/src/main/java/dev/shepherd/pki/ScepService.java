package dev.shepherd.pki;

import dev.shepherd.api.pki.Asn1Nesting;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * SCEP (RFC 8894) over the kernel CA: GetCACaps, GetCACert and PKIOperation. A PKCSReq is granted only with a
 * one-time challenge the CA issued (a replayed or unknown challenge gets a FAILURE), a RenewalReq only when signed
 * with a live certificate of this CA; the answer is a CertRep signed by the CA whose certificate is encrypted to the
 * requester's key.
 */
public final class ScepService {

    private static final Logger log = LoggerFactory.getLogger(ScepService.class);
    static final ASN1ObjectIdentifier MESSAGE_TYPE = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.2");
    static final ASN1ObjectIdentifier PKI_STATUS = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.3");
    static final ASN1ObjectIdentifier FAIL_INFO = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.4");
    static final ASN1ObjectIdentifier SENDER_NONCE = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.5");
    static final ASN1ObjectIdentifier RECIPIENT_NONCE = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.6");
    static final ASN1ObjectIdentifier TRANSACTION_ID = new ASN1ObjectIdentifier("2.16.840.1.113733.1.9.7");
    static final String CERT_REP = "3";
    static final String RENEWAL_REQ = "17";
    static final String PKCS_REQ = "19";
    static final String SUCCESS = "0";
    static final String FAILURE = "2";
    static final String BAD_MESSAGE_CHECK = "1";
    static final String BAD_REQUEST = "2";
    /**
     * What GetCACaps advertises: SHA-256 and AES only. Clients pick the strongest algorithms offered, and every client
     * Shepherd serves (Apple devices, Windows, micromdm's and Debian's scepclient) speaks these; SHA-1 and triple DES
     * are no longer offered, though a message that uses them is still read, for an old client that ignores the list.
     */
    public static final String CAPABILITIES = "POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\nRenewal\n";
    static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(365);

    private final KernelCertificateAuthority authority;
    private final SecureRandom random = new SecureRandom();

    public ScepService(KernelCertificateAuthority authority) {
        this.authority = requireNonNull(authority, "authority is null");
    }

    public byte[] caCertificate() {
        try {
            return authority.certificate().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("the CA certificate is always encodable", e);
        }
    }

    /**
     * Answers a PKIOperation.
     *
     * @param message the DER-encoded pkiMessage
     * @return the DER-encoded CertRep
     * @throws IllegalArgumentException when the message is not a signed pkiMessage at all (an HTTP 400)
     */
    public byte[] pkiOperation(byte[] message) {
        CMSSignedData signed;
        SignerInformation signer;
        X509Certificate signerCertificate;
        AttributeTable attributes;
        try {
            // Bounded first: BouncyCastle recurses once per nested level, and 64 KiB of nesting would overflow the stack.
            signed = new CMSSignedData(Asn1Nesting.requireBounded(message));
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                throw new IllegalArgumentException("a pkiMessage has exactly one signer");
            }
            signer = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Store<X509CertificateHolder> certificates = signed.getCertificates();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = certificates.getMatches(signer.getSID());
            if (matches.isEmpty()) {
                throw new IllegalArgumentException("the pkiMessage does not carry its signer's certificate");
            }
            signerCertificate = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            attributes = signer.getSignedAttributes();
            if (attributes == null) {
                throw new IllegalArgumentException("the pkiMessage has no signed attributes");
            }
        } catch (CMSException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException illegal) {
                throw illegal;
            }
            throw new IllegalArgumentException("not a SCEP pkiMessage: " + e.getMessage());
        }
        String transactionId = text(attributes, TRANSACTION_ID).orElse("");
        byte[] senderNonce = octets(attributes, SENDER_NONCE).orElse(new byte[0]);
        try {
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signerCertificate))) {
                return failure(signerCertificate, transactionId, senderNonce, BAD_MESSAGE_CHECK);
            }
            String messageType = text(attributes, MESSAGE_TYPE).orElse("");
            if (!messageType.equals(PKCS_REQ) && !messageType.equals(RENEWAL_REQ)) {
                return failure(signerCertificate, transactionId, senderNonce, BAD_REQUEST);
            }
            byte[] enveloped = (byte[]) signed.getSignedContent().getContent();
            CMSEnvelopedData envelope = new CMSEnvelopedData(Asn1Nesting.requireBounded(enveloped));
            RecipientInformation recipient = envelope.getRecipientInfos().getRecipients().iterator().next();
            byte[] csrBytes = recipient.getContent(new JceKeyTransEnvelopedRecipient(authority.privateKey()));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Asn1Nesting.requireBounded(csrBytes));
            Optional<Map<String, String>> bindings;
            if (messageType.equals(PKCS_REQ)) {
                bindings = challengeOf(request).flatMap(authority::redeem);
            } else {
                bindings = authority.verify(List.of(signerCertificate)).map(issued -> issued.bindings());
            }
            if (bindings.isEmpty()) {
                log.info("SCEP request {} refused: {}", transactionId, messageType.equals(PKCS_REQ)
                        ? "unknown, expired or already used challenge" : "renewal not signed by a live certificate of this CA");
                return failure(signerCertificate, transactionId, senderNonce, BAD_REQUEST);
            }
            X509Certificate issued = authority.issue(request, CERTIFICATE_VALIDITY, bindings.get());
            log.info("SCEP request {} granted: certificate {} for {}", transactionId, issued.getSerialNumber().toString(16),
                    issued.getSubjectX500Principal().getName());
            return success(signerCertificate, transactionId, senderNonce, issued);
        } catch (CMSException | IOException | OperatorCreationException | GeneralSecurityException | RuntimeException e) {
            log.info("SCEP request {} refused: {}", transactionId, e.getMessage());
            return failure(signerCertificate, transactionId, senderNonce, BAD_REQUEST);
        }
    }

    private static Optional<String> challengeOf(PKCS10CertificationRequest request) {
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_challengePassword)) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                if (value instanceof ASN1String text) {
                    return Optional.of(text.getString());
                }
            }
        }
        return Optional.empty();
    }

    private byte[] success(X509Certificate requester, String transactionId, byte[] senderNonce, X509Certificate issued)
            throws CMSException, IOException, GeneralSecurityException, OperatorCreationException {
        CMSSignedDataGenerator degenerate = new CMSSignedDataGenerator();
        degenerate.addCertificates(new JcaCertStore(List.of(issued)));
        // DER throughout: BER's chunked octet strings trip up clients (Go's pkcs7 reports a digest mismatch).
        byte[] certificates = degenerate.generate(new CMSAbsentContent()).getEncoded(ASN1Encoding.DER);
        CMSEnvelopedDataGenerator envelope = new CMSEnvelopedDataGenerator();
        envelope.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(requester));
        byte[] enveloped = envelope.generate(new CMSProcessableByteArray(certificates),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES128_CBC).build()).toASN1Structure().getEncoded(ASN1Encoding.DER);
        return signedReply(new CMSProcessableByteArray(enveloped), transactionId, senderNonce, SUCCESS, null);
    }

    private byte[] failure(X509Certificate requester, String transactionId, byte[] senderNonce, String failInfo) {
        try {
            return signedReply(new CMSAbsentContent(), transactionId, senderNonce, FAILURE, failInfo);
        } catch (CMSException | IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a SCEP reply: " + e.getMessage(), e);
        }
    }

    private byte[] signedReply(CMSTypedData content, String transactionId, byte[] senderNonce, String status, String failInfo)
            throws CMSException, IOException, GeneralSecurityException, OperatorCreationException {
        Hashtable<ASN1ObjectIdentifier, Attribute> table = new Hashtable<>();
        put(table, MESSAGE_TYPE, new DERPrintableString(CERT_REP));
        put(table, PKI_STATUS, new DERPrintableString(status));
        put(table, TRANSACTION_ID, new DERPrintableString(transactionId));
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        put(table, SENDER_NONCE, new DEROctetString(nonce));
        put(table, RECIPIENT_NONCE, new DEROctetString(senderNonce));
        if (failInfo != null) {
            put(table, FAIL_INFO, new DERPrintableString(failInfo));
        }
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(table)))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(authority.privateKey()), authority.certificate()));
        generator.addCertificates(new JcaCertStore(List.of(authority.certificate())));
        return generator.generate(content, !(content instanceof CMSAbsentContent)).getEncoded(ASN1Encoding.DER);
    }

    private static void put(Hashtable<ASN1ObjectIdentifier, Attribute> table, ASN1ObjectIdentifier type, ASN1Encodable value) {
        table.put(type, new Attribute(type, new DERSet(value)));
    }

    static Optional<String> text(AttributeTable attributes, ASN1ObjectIdentifier type) {
        Attribute attribute = attributes.get(type);
        if (attribute == null || attribute.getAttrValues().size() == 0) {
            return Optional.empty();
        }
        ASN1Encodable value = attribute.getAttrValues().getObjectAt(0);
        return value instanceof ASN1String text ? Optional.of(text.getString()) : Optional.empty();
    }

    static Optional<byte[]> octets(AttributeTable attributes, ASN1ObjectIdentifier type) {
        Attribute attribute = attributes.get(type);
        if (attribute == null || attribute.getAttrValues().size() == 0) {
            return Optional.empty();
        }
        ASN1Encodable value = attribute.getAttrValues().getObjectAt(0);
        return value instanceof ASN1OctetString octets ? Optional.of(octets.getOctets()) : Optional.empty();
    }
}
