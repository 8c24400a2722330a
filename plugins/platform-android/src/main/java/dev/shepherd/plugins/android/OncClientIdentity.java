package dev.shepherd.plugins.android;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.bc.BcPKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A PKCS#12 client identity as Android takes it from a policy's Open Network Configuration: an ONC
 * {@code Certificates} entry of {@code Type: Client} carries it in {@code PKCS12}, which has no password field, so the
 * file is re-encoded without a password; and Android Device Policy imports only the legacy PKCS#12 encryption
 * (the key bag with pbeWithSHAAnd3-KeyTripleDES-CBC, the certificates with pbeWithSHAAnd40BitRC2-CBC, a SHA-1 MAC),
 * reporting a modern (PBES2/AES) file as {@code INVALID_VALUE}. The admin's file may use any encryption the JDK reads.
 */
final class OncClientIdentity {

    private static final char[] NO_PASSWORD = new char[0];

    private OncClientIdentity() {
    }

    /**
     * @param base64 the PKCS#12 file as the certificate setting holds it
     * @param password its password (empty when it has none)
     * @return the identity re-encoded for ONC, base64
     * @throws IllegalArgumentException with the reason when the file cannot be read with that password or holds no
     *         private key
     */
    static String reencode(String base64, String password) {
        requireNonNull(base64, "base64 is null");
        requireNonNull(password, "password is null");
        PrivateKey key;
        List<X509Certificate> chain = new ArrayList<>();
        String alias;
        try {
            KeyStore source = KeyStore.getInstance("PKCS12");
            source.load(new ByteArrayInputStream(Base64.getMimeDecoder().decode(base64)), password.toCharArray());
            alias = Collections.list(source.aliases()).stream().filter(name -> isKey(source, name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the PKCS#12 file holds no private key"));
            key = (PrivateKey) source.getKey(alias, password.toCharArray());
            for (Certificate certificate : source.getCertificateChain(alias)) {
                chain.add((X509Certificate) certificate);
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("the PKCS#12 file cannot be read with its password"
                    + (e instanceof IllegalArgumentException && e.getMessage() != null ? ": " + e.getMessage() : ""));
        }
        try {
            Provider bouncyCastle = new BouncyCastleProvider();
            byte[] localKeyId = new JcaX509ExtensionUtils().createSubjectKeyIdentifier(chain.get(0).getPublicKey()).getEncoded();
            List<PKCS12SafeBag> certificates = new ArrayList<>();
            for (int i = 0; i < chain.size(); i++) {
                PKCS12SafeBagBuilder bag = new JcaPKCS12SafeBagBuilder(chain.get(i));
                if (i == 0) {
                    bag.addBagAttribute(PKCS12SafeBag.friendlyNameAttribute, new DERBMPString(alias));
                    bag.addBagAttribute(PKCS12SafeBag.localKeyIdAttribute, new DEROctetString(localKeyId));
                }
                certificates.add(bag.build());
            }
            PKCS12SafeBagBuilder keyBag = new JcaPKCS12SafeBagBuilder(key, new JcePKCSPBEOutputEncryptorBuilder(
                    PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC).setProvider(bouncyCastle).build(NO_PASSWORD));
            keyBag.addBagAttribute(PKCS12SafeBag.friendlyNameAttribute, new DERBMPString(alias));
            keyBag.addBagAttribute(PKCS12SafeBag.localKeyIdAttribute, new DEROctetString(localKeyId));
            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            pfx.addEncryptedData(new JcePKCSPBEOutputEncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd40BitRC2_CBC)
                    .setProvider(bouncyCastle).build(NO_PASSWORD), certificates.toArray(PKCS12SafeBag[]::new));
            pfx.addData(keyBag.build());
            return Base64.getEncoder().encodeToString(pfx.build(new BcPKCS12MacCalculatorBuilder(), NO_PASSWORD).getEncoded(ASN1Encoding.DER));
        } catch (IOException | GeneralSecurityException | OperatorCreationException | PKCSException e) {
            throw new IllegalStateException("re-encoding a PKCS#12 identity failed", e);
        }
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias) && store.getCertificateChain(alias) != null && store.getCertificateChain(alias).length > 0;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
