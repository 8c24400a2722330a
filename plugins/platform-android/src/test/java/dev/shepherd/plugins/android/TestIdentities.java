package dev.shepherd.plugins.android;

import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagFactory;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.bc.BcPKCS12MacCalculatorBuilderProvider;
import org.bouncycastle.pkcs.bc.BcPKCS12PBEInputDecryptorProviderBuilder;
import org.bouncycastle.operator.bc.BcDefaultDigestProvider;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Client identities for tests: made as an admin's tools make them, and read back as Android reads an ONC client certificate. */
final class TestIdentities {

    private TestIdentities() {
    }

    /** A PKCS#12 file (the JDK's current defaults: PBES2 with AES) holding a key and its self-signed certificate, base64. */
    static String pkcs12(String commonName, String password) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=" + commonName), BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.DAYS)),
                Date.from(now.plus(365, ChronoUnit.DAYS)), new X500Name("CN=" + commonName), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(commonName, pair.getPrivate(), password.toCharArray(), new Certificate[] {certificate});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.store(out, password.toCharArray());
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /**
     * Reads the file as Android's PKCS#12 reader does with ONC's missing password (empty): the MAC holds, the
     * certificates are encrypted with pbeWithSHAAnd40BitRC2-CBC and the key with pbeWithSHAAnd3-KeyTripleDES-CBC (the
     * legacy encryption Android Device Policy imports), and both decrypt to the identity.
     */
    static void assertAndroidImportable(String base64, String commonName) throws Exception {
        char[] none = new char[0];
        PKCS12PfxPdu pfx = new PKCS12PfxPdu(Base64.getDecoder().decode(base64));
        assertThat(pfx.hasMac()).isTrue();
        assertThat(pfx.isMacValid(new BcPKCS12MacCalculatorBuilderProvider(BcDefaultDigestProvider.INSTANCE), none)).isTrue();
        List<X509CertificateHolder> certificates = new ArrayList<>();
        List<PKCS8EncryptedPrivateKeyInfo> keys = new ArrayList<>();
        for (ContentInfo info : pfx.getContentInfos()) {
            PKCS12SafeBagFactory bags;
            if (info.getContentType().equals(PKCSObjectIdentifiers.encryptedData)) {
                assertThat(EncryptedData.getInstance(info.getContent()).getEncryptionAlgorithm().getAlgorithm())
                        .isEqualTo(PKCSObjectIdentifiers.pbeWithSHAAnd40BitRC2_CBC);
                bags = new PKCS12SafeBagFactory(info, new BcPKCS12PBEInputDecryptorProviderBuilder().build(none));
            } else {
                bags = new PKCS12SafeBagFactory(info);
            }
            for (PKCS12SafeBag bag : bags.getSafeBags()) {
                if (bag.getBagValue() instanceof X509CertificateHolder certificate) {
                    certificates.add(certificate);
                } else if (bag.getBagValue() instanceof PKCS8EncryptedPrivateKeyInfo key) {
                    keys.add(key);
                }
            }
        }
        assertThat(certificates).singleElement().satisfies(certificate -> assertThat(certificate.getSubject().toString()).isEqualTo("CN=" + commonName));
        assertThat(keys).singleElement().satisfies(key -> {
            assertThat(key.getEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC);
            assertThat(key.decryptPrivateKeyInfo(new BcPKCS12PBEInputDecryptorProviderBuilder().build(none)).getPrivateKeyAlgorithm()).isNotNull();
        });
    }
}
