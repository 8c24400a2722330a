package dev.shepherd.apple;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code Mdm-Signature} header is the device's proof on every message sent without a client certificate: it
 * yields the signer's certificate only when the signature over that exact body verifies, however often the
 * certificate has been seen before.
 */
class MdmSignatureTest {

    private static final byte[] BODY = """
            <?xml version="1.0" encoding="UTF-8"?>
            <plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>A1</string></dict></plist>
            """.getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.now();
    private static final KeyPair ISSUER = keys("RSA", 2048);

    private final MdmSignature signatures = new MdmSignature();
    private final KeyPair rsa = keys("RSA", 2048);
    private final X509Certificate device = certificate("device", BigInteger.valueOf(7), rsa, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));

    @Test
    void aSignatureOverTheBodyYieldsTheSignersCertificate() throws Exception {
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW, List.of(device)), BODY)).contains(device);
    }

    @Test
    void aTamperedBodyIsRefusedEvenWhenTheCertificateWasSeenBefore() throws Exception {
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW, List.of(device)), BODY)).contains(device);
        String signature = sign(BODY, device, rsa, "SHA256withRSA", NOW, List.of(device));
        byte[] tampered = BODY.clone();
        tampered[tampered.length - 20] ^= 1;

        assertThat(signatures.verify(signature, tampered)).isEmpty();
        assertThat(signatures.verify(signature, BODY)).contains(device);
    }

    @Test
    void aForeignCertificateNamingTheSignerIsRefused() throws Exception {
        // Same issuer and serial number as the device's, so it matches the signer's identifier, but another key.
        X509Certificate foreign = certificate("device", BigInteger.valueOf(7), keys("RSA", 2048), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));

        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW, List.of(foreign)), BODY)).isEmpty();
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        assertThat(signatures.verify(sign(BODY, device, keys("RSA", 2048), "SHA256withRSA", NOW, List.of(device)), BODY)).isEmpty();
    }

    @Test
    void aSignatureWithoutItsCertificateIsRefused() throws Exception {
        X509Certificate other = certificate("other", BigInteger.valueOf(8), rsa, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));

        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW, List.of(other)), BODY)).isEmpty();
    }

    @Test
    void aSignatureMadeOutsideTheCertificatesValidityIsRefused() throws Exception {
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW.plus(Duration.ofDays(2)), List.of(device)), BODY)).isEmpty();
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", NOW.minus(Duration.ofDays(2)), List.of(device)), BODY)).isEmpty();
    }

    @Test
    void theSigningTimeMayBeAnyInstantOfTheValidityBothEndsIncluded() throws Exception {
        Instant notBefore = NOW.minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = NOW.plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        X509Certificate exact = certificate("exact", BigInteger.valueOf(12), rsa, notBefore, notAfter);

        assertThat(signatures.verify(sign(BODY, exact, rsa, "SHA256withRSA", notBefore, List.of(exact)), BODY)).contains(exact);
        assertThat(signatures.verify(sign(BODY, exact, rsa, "SHA256withRSA", notAfter, List.of(exact)), BODY)).contains(exact);
        assertThat(signatures.verify(sign(BODY, exact, rsa, "SHA256withRSA", notBefore.minusSeconds(1), List.of(exact)), BODY)).isEmpty();
        assertThat(signatures.verify(sign(BODY, exact, rsa, "SHA256withRSA", notAfter.plusSeconds(1), List.of(exact)), BODY)).isEmpty();
    }

    @Test
    void aSigningTimeWithAZoneOffsetIsTheInstantItNames() throws Exception {
        Instant notAfter = NOW.plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        X509Certificate offsetDevice = certificate("offset", BigInteger.valueOf(13), rsa, NOW.minus(Duration.ofDays(1)), notAfter);
        DateTimeFormatter utcTime = DateTimeFormatter.ofPattern("yyMMddHHmmssxx").withZone(ZoneOffset.ofHours(2));

        // 20 minutes before notAfter, written in a zone two hours ahead: read without its offset it would be after it.
        Attribute beforeTheEnd = signingTime(new ASN1UTCTime(utcTime.format(notAfter.minus(Duration.ofMinutes(20)))));
        Attribute afterTheEnd = signingTime(new ASN1UTCTime(utcTime.format(notAfter.plus(Duration.ofMinutes(20)))));

        assertThat(signatures.verify(sign(BODY, offsetDevice, rsa, "SHA256withRSA", List.of(beforeTheEnd), List.of(offsetDevice)), BODY))
                .contains(offsetDevice);
        assertThat(signatures.verify(sign(BODY, offsetDevice, rsa, "SHA256withRSA", List.of(afterTheEnd), List.of(offsetDevice)), BODY))
                .isEmpty();
    }

    @Test
    void aSigningTimeFrom2050OnIsAGeneralizedTimeHeldToTheValidityToo() throws Exception {
        X509Certificate future = certificate("future", BigInteger.valueOf(14), rsa, Instant.parse("2049-06-01T00:00:00Z"),
                Instant.parse("2050-06-01T00:00:00Z"));

        assertThat(signatures.verify(sign(BODY, future, rsa, "SHA256withRSA", Instant.parse("2050-03-01T00:00:00Z"), List.of(future)), BODY))
                .contains(future);
        assertThat(signatures.verify(sign(BODY, future, rsa, "SHA256withRSA", Instant.parse("2050-07-01T00:00:00Z"), List.of(future)), BODY))
                .isEmpty();
        // A UTCTime's two-digit year: 49 is 2049, within the validity; 50 is 1950, long before it.
        assertThat(signatures.verify(sign(BODY, future, rsa, "SHA256withRSA", List.of(signingTime(new ASN1UTCTime("491231235959Z"))),
                List.of(future)), BODY)).contains(future);
        assertThat(signatures.verify(sign(BODY, future, rsa, "SHA256withRSA", List.of(signingTime(new ASN1UTCTime("500101000000Z"))),
                List.of(future)), BODY)).isEmpty();
    }

    @Test
    void aSignatureStatingTwoSigningTimesIsRefused() throws Exception {
        Attribute twice = new Attribute(CMSAttributes.signingTime, new DERSet(new ASN1Encodable[]{new Time(Date.from(NOW)), new Time(Date.from(NOW))}));
        Attribute once = signingTime(new ASN1UTCTime(Date.from(NOW)));

        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", List.of(twice), List.of(device)), BODY)).isEmpty();
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA256withRSA", List.of(once), List.of(device)), BODY)).contains(device);
    }

    @Test
    void twoSignersAreRefused() throws Exception {
        KeyPair second = keys("RSA", 2048);
        X509Certificate secondDevice = certificate("second", BigInteger.valueOf(9), second, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(signerInfo(device, rsa, "SHA256withRSA", NOW));
        generator.addSignerInfoGenerator(signerInfo(secondDevice, second, "SHA256withRSA", NOW));
        generator.addCertificates(new JcaCertStore(List.of(device, secondDevice)));
        String signature = Base64.getEncoder().encodeToString(generator.generate(new CMSProcessableByteArray(BODY), false).getEncoded());

        assertThat(signatures.verify(signature, BODY)).isEmpty();
    }

    @Test
    void aSignatureWithoutSignedAttributesCoversTheBodyItself() throws Exception {
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setDirectSignature(true).build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate()), device));
        generator.addCertificates(new JcaCertStore(List.of(device)));
        String signature = Base64.getEncoder().encodeToString(generator.generate(new CMSProcessableByteArray(BODY), false).getEncoded());
        byte[] tampered = BODY.clone();
        tampered[10] ^= 1;

        assertThat(signatures.verify(signature, BODY)).contains(device);
        assertThat(signatures.verify(signature, tampered)).isEmpty();
    }

    @Test
    void ellipticCurveSignersAndLessUsualDigestsVerifyToo() throws Exception {
        KeyPair ec = keys("EC", 256);
        X509Certificate ecDevice = certificate("ec", BigInteger.valueOf(10), ec, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        byte[] tampered = BODY.clone();
        tampered[10] ^= 1;

        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA256withECDSA", NOW, List.of(ecDevice)), BODY)).contains(ecDevice);
        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA256withECDSA", NOW, List.of(ecDevice)), tampered)).isEmpty();
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA224withRSA", NOW, List.of(device)), BODY)).contains(device);
        assertThat(signatures.verify(sign(BODY, device, rsa, "SHA224withRSA", NOW, List.of(device)), tampered)).isEmpty();
    }

    @Test
    void anEllipticCurveSignerSeenBeforeIsHeldToItsOwnKeyAndValidity() throws Exception {
        KeyPair ec = keys("EC", 256);
        KeyPair other = keys("EC", 256);
        X509Certificate ecDevice = certificate("ec", BigInteger.valueOf(11), ec, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)));
        byte[] tampered = BODY.clone();
        tampered[BODY.length - 1] ^= 1;
        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA256withECDSA", NOW, List.of(ecDevice)), BODY)).contains(ecDevice);

        // The device's point is now kept: the checks stay whole for its later messages.
        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA384withECDSA", NOW, List.of(ecDevice)), BODY)).contains(ecDevice);
        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA512withECDSA", NOW, List.of(ecDevice)), tampered)).isEmpty();
        assertThat(signatures.verify(sign(BODY, ecDevice, other, "SHA256withECDSA", NOW, List.of(ecDevice)), BODY)).isEmpty();
        assertThat(signatures.verify(sign(BODY, ecDevice, ec, "SHA256withECDSA", NOW.plus(Duration.ofDays(2)), List.of(ecDevice)), BODY)).isEmpty();
        // An RSA signature algorithm claimed for an EC key is refused, not mistaken for ECDSA.
        assertThat(signatures.verify(sign(BODY, ecDevice, rsa, "SHA256withRSA", NOW, List.of(ecDevice)), BODY)).isEmpty();
    }

    @Test
    void malformedHeadersAreRefused() {
        assertThat(signatures.verify("", BODY)).isEmpty();
        assertThat(signatures.verify("not base64 at all!", BODY)).isEmpty();
        assertThat(signatures.verify(Base64.getEncoder().encodeToString(BODY), BODY)).isEmpty();
        assertThat(signatures.verify("A".repeat(MdmSignature.MAX_HEADER_CHARS + 4), BODY)).isEmpty();
    }

    static String sign(byte[] body, X509Certificate signer, KeyPair keys, String algorithm, Instant at,
                               List<X509Certificate> carried) throws Exception {
        return sign(body, signer, keys, algorithm, List.of(signingTime(new Time(Date.from(at)))), carried);
    }

    /** Signed with exactly these signed attributes besides the content type and message digest BouncyCastle adds. */
    private static String sign(byte[] body, X509Certificate signer, KeyPair keys, String algorithm, List<Attribute> attributes,
                               List<X509Certificate> carried) throws Exception {
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(signerInfo(signer, keys, algorithm, attributes));
        generator.addCertificates(new JcaCertStore(carried));
        return Base64.getEncoder().encodeToString(generator.generate(new CMSProcessableByteArray(body), false).getEncoded());
    }

    private static Attribute signingTime(ASN1Encodable time) {
        return new Attribute(CMSAttributes.signingTime, new DERSet(time));
    }

    private static SignerInfoGenerator signerInfo(X509Certificate signer, KeyPair keys, String algorithm, Instant at) throws Exception {
        return signerInfo(signer, keys, algorithm, List.of(signingTime(new Time(Date.from(at)))));
    }

    private static SignerInfoGenerator signerInfo(X509Certificate signer, KeyPair keys, String algorithm, List<Attribute> signed) throws Exception {
        Hashtable<ASN1ObjectIdentifier, Attribute> attributes = new Hashtable<>();
        signed.forEach(attribute -> attributes.put(attribute.getAttrType(), attribute));
        return new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attributes)))
                .build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate()), signer);
    }

    private static KeyPair keys(String algorithm, int size) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            generator.initialize(size);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static X509Certificate certificate(String commonName, BigInteger serial, KeyPair subject, Instant notBefore, Instant notAfter) {
        try {
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=Test CA"), serial,
                    Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + commonName), subject.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(ISSUER.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
