package dev.shepherd.apple;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device's prepared EC key gives the same verdict as the JDK's ECDSA and as BouncyCastle's own
 * {@link ECDSASigner} on every signature: valid ones, forgeries and malformed encodings, for random keys and messages
 * on P-256, P-384 and P-521 with each SHA-2 digest, for a key verified many times over its cached tables and for
 * keys interleaved. A verifier that accepts what these refuse accepts forgeries, so every case compares verdicts.
 */
class PrecomputedEcdsaKeyTest {

    /** Fixed, so that a failure can be replayed; the keys and signatures come from the JDK's own randomness. */
    private final Random random = new Random(16);

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
            "secp256r1, SHA-256, 40",
            "secp256r1, SHA-384, 10",
            "secp256r1, SHA-512, 10",
            "secp384r1, SHA-256, 10",
            "secp384r1, SHA-384, 15",
            "secp521r1, SHA-512, 10"})
    void agreesWithTheJdkOnRandomKeysMessagesAndTamperedSignatures(String curve, String digest, int keys) throws Exception {
        KeyPair other = keys(curve);
        for (int k = 0; k < keys; k++) {
            KeyPair pair = keys(curve);
            PrecomputedEcdsaKey key = prepared(pair.getPublic());
            assertThat(key.precomputed()).isTrue();
            for (int m = 0; m < 4; m++) {
                byte[] message = message();
                byte[] signature = sign(pair, digest, message);
                byte[] tamperedMessage = flipOneBit(message, random.nextInt(message.length * 8));
                Der der = Der.of(signature);

                assertThat(verdict(key, pair.getPublic(), digest, message, signature)).as("a valid signature").isTrue();
                assertThat(verdict(key, pair.getPublic(), digest, tamperedMessage, signature)).as("a flipped bit in the body").isFalse();
                assertThat(verdict(key, pair.getPublic(), digest, message, der.withR(flipOneBit(der.r()))))
                        .as("a flipped bit in r").isFalse();
                assertThat(verdict(key, pair.getPublic(), digest, message, der.withS(flipOneBit(der.s()))))
                        .as("a flipped bit in s").isFalse();
                assertThat(verdict(key, pair.getPublic(), digest, message, sign(other, digest, message))).as("another key's signature").isFalse();
                assertThat(verdict(key, pair.getPublic(), digest, message, flipOneBit(signature, random.nextInt(signature.length * 8))))
                        .as("a flipped bit anywhere in the encoding").isFalse();
                // (r, n - s) verifies too: ECDSA signatures are malleable, and both verifiers must say so alike.
                assertThat(verdict(key, pair.getPublic(), digest, message, der.withS(n(pair).subtract(der.s()))))
                        .as("the other s of the same signature").isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"secp256r1, SHA-256", "secp384r1, SHA-384", "secp521r1, SHA-512"})
    void refusesValuesOutOfRangeAndEncodingsOtherThanDer(String curve, String digest) throws Exception {
        KeyPair pair = keys(curve);
        PrecomputedEcdsaKey key = prepared(pair.getPublic());
        byte[] message = message();
        byte[] signature = sign(pair, digest, message);
        Der der = Der.of(signature);
        BigInteger n = n(pair);

        for (BigInteger outOfRange : List.of(BigInteger.ZERO, n, n.add(BigInteger.ONE), n.add(der.r()), n.add(der.s()),
                BigInteger.ONE.shiftLeft(n.bitLength()).subtract(BigInteger.ONE))) {
            assertThat(verdict(key, pair.getPublic(), digest, message, der.withR(outOfRange))).as("r = %s", outOfRange).isFalse();
            assertThat(verdict(key, pair.getPublic(), digest, message, der.withS(outOfRange))).as("s = %s", outOfRange).isFalse();
        }
        byte[] trailing = Arrays.copyOf(signature, signature.length + 1);
        assertThat(verdict(key, pair.getPublic(), digest, message, trailing)).as("a trailing byte").isFalse();
        assertThat(verdict(key, pair.getPublic(), digest, message, Der.encode(padded(der.r()), integer(der.s()))))
                .as("r with a needless leading zero").isFalse();
        assertThat(verdict(key, pair.getPublic(), digest, message, Der.encode(integer(der.r()), padded(der.s()))))
                .as("s with a needless leading zero").isFalse();
        assertThat(verdict(key, pair.getPublic(), digest, message, Der.encode(integer(der.r()), integer(der.s()), integer(BigInteger.ONE))))
                .as("a third integer").isFalse();
        assertThat(verdict(key, pair.getPublic(), digest, message, Der.encode(integer(der.r())))).as("r alone").isFalse();
        assertThat(verdict(key, pair.getPublic(), digest, message, new byte[0])).as("no bytes").isFalse();
        // The JDK reads a negative integer as its magnitude's bits; BouncyCastle's DER refuses it, and so does the key.
        assertThat(key.verify(digest(digest, message), Der.encode(integer(der.r().negate()), integer(der.s())))).isFalse();
        assertThat(key.verify(digest(digest, message), Der.encode(integer(der.r()), integer(der.s().negate())))).isFalse();
        assertThat(key.verify(digest(digest, message), signature)).isTrue();
    }

    @Test
    void oneKeyVerifiedManyTimesOverItsCachedTablesKeepsItsVerdicts() throws Exception {
        KeyPair pair = keys("secp256r1");
        PrecomputedEcdsaKey key = prepared(pair.getPublic());
        for (int i = 0; i < 300; i++) {
            byte[] message = message();
            byte[] signature = sign(pair, "SHA-256", message);
            assertThat(verdict(key, pair.getPublic(), "SHA-256", message, signature)).isTrue();
            assertThat(verdict(key, pair.getPublic(), "SHA-256", flipOneBit(message, i % (message.length * 8)), signature)).isFalse();
        }
    }

    @Test
    void interleavedKeysEachVerifyOnlyTheirOwnSignatures() throws Exception {
        List<KeyPair> pairs = new ArrayList<>();
        List<PrecomputedEcdsaKey> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pairs.add(keys(i % 3 == 2 ? "secp384r1" : "secp256r1"));
            keys.add(prepared(pairs.get(i).getPublic()));
        }
        for (int round = 0; round < 40; round++) {
            int signer = random.nextInt(pairs.size());
            byte[] message = message();
            byte[] signature = sign(pairs.get(signer), "SHA-256", message);
            for (int i = 0; i < keys.size(); i++) {
                assertThat(verdict(keys.get(i), pairs.get(i).getPublic(), "SHA-256", message, signature))
                        .as("key %d on a signature by key %d", i, signer).isEqualTo(i == signer);
            }
        }
    }

    /**
     * R.x lies in [n, p) for about one R in 2^128 on P-256, so no random signature takes the branch that compares
     * R.x with r + n; this builds one (from R and u1, u2 chosen first, then the key that makes them so), and one whose
     * R is the point at infinity. The digest is given as such, so the JDK checks it with NONEwithECDSA. The JDK (17)
     * refuses the signature whose R.x is r + n, which SEC 1 §4.1.4 (v = R.x mod n) and BouncyCastle accept: a refusal
     * of a valid signature no honest signer meets, so for that one the key is held to BouncyCastle's verdict alone.
     */
    @Test
    void theRareCasesAgreeToo() throws Exception {
        KeyPair anyP256Key = keys("secp256r1");
        ECDomainParameters domain = bouncyCastle(anyP256Key.getPublic()).getParameters();
        ECCurve curve = domain.getCurve();
        BigInteger n = domain.getN();
        BigInteger u1 = BigIntegers.createRandomInRange(BigInteger.ONE, n.subtract(BigInteger.ONE), new SecureRandom());
        BigInteger u2 = BigIntegers.createRandomInRange(BigInteger.ONE, n.subtract(BigInteger.ONE), new SecureRandom());

        ECPoint bigX = pointWithXAtLeast(curve, n.add(BigInteger.ONE));
        BigInteger r = bigX.getAffineXCoord().toBigInteger().mod(n);
        ECPoint q = bigX.subtract(domain.getG().multiply(u1)).multiply(u2.modInverse(n)).normalize();
        Forged forged = Forged.of(n, r, u1, u2);
        assertThat(bigX.getAffineXCoord().toBigInteger()).isGreaterThanOrEqualTo(n);
        assertThat(rawVerdict(domain, q, forged.digest(), r, forged.s(), false)).as("R.x = r + n").isTrue();
        assertThat(rawVerdict(domain, q, forged.digest(), r.add(BigInteger.ONE), forged.s(), true)).as("R.x = r + n, another r").isFalse();
        assertThat(rawVerdict(domain, q, forged.digest(), r.add(n), forged.s(), true)).as("R.x itself as r").isFalse();

        // u1·G + u2·Q is the point at infinity when Q = -(u1/u2)·G.
        ECPoint cancelling = domain.getG().multiply(u1.multiply(u2.modInverse(n)).mod(n)).negate().normalize();
        BigInteger anyR = BigIntegers.createRandomInRange(BigInteger.ONE, n.subtract(BigInteger.ONE), new SecureRandom());
        Forged atInfinity = Forged.of(n, anyR, u1, u2);
        assertThat(rawVerdict(domain, cancelling, atInfinity.digest(), anyR, atInfinity.s(), true)).as("R at infinity").isFalse();
    }

    /** The prepared key's verdict, after checking that the JDK and BouncyCastle's ECDSASigner give the same one. */
    private static boolean verdict(PrecomputedEcdsaKey key, PublicKey publicKey, String digest, byte[] message, byte[] signature)
            throws Exception {
        boolean prepared = key.verify(digest(digest, message), signature);
        Signature jdk = Signature.getInstance(digest.replace("-", "") + "withECDSA");
        jdk.initVerify(publicKey);
        jdk.update(message);
        boolean jdkVerdict;
        try {
            jdkVerdict = jdk.verify(signature);
        } catch (SignatureException malformed) {
            jdkVerdict = false;
        }
        assertThat(prepared).as("the prepared key's verdict against the JDK's").isEqualTo(jdkVerdict);
        assertThat(prepared).as("the prepared key's verdict against BouncyCastle's ECDSASigner")
                .isEqualTo(bouncyCastleVerdict(bouncyCastle(publicKey), digest(digest, message), signature));
        return prepared;
    }

    /**
     * The verdict on a digest given as such, checked against BouncyCastle's ECDSASigner and, when {@code againstTheJdk},
     * the JDK's NONEwithECDSA.
     */
    private static boolean rawVerdict(ECDomainParameters domain, ECPoint q, byte[] digest, BigInteger r, BigInteger s,
                                      boolean againstTheJdk) throws Exception {
        ECPublicKeyParameters parameters = new ECPublicKeyParameters(q, domain);
        boolean prepared = PrecomputedEcdsaKey.of(parameters).verify(digest, Der.encode(integer(r), integer(s)));
        assertThat(PrecomputedEcdsaKey.of(parameters).verify(digest, r, s)).isEqualTo(prepared);
        ECDSASigner ecdsa = new ECDSASigner();
        ecdsa.init(false, parameters);
        assertThat(prepared).as("against BouncyCastle's ECDSASigner").isEqualTo(ecdsa.verifySignature(digest, r, s));

        if (!againstTheJdk) {
            return prepared;
        }
        PublicKey jdkKey = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(
                SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(parameters).getEncoded()));
        Signature jdk = Signature.getInstance("NONEwithECDSA");
        jdk.initVerify(jdkKey);
        jdk.update(digest);
        assertThat(prepared).as("against the JDK's NONEwithECDSA").isEqualTo(jdk.verify(Der.encode(integer(r), integer(s))));
        return prepared;
    }

    private static boolean bouncyCastleVerdict(ECPublicKeyParameters key, byte[] digest, byte[] signature) {
        try {
            BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(key.getParameters().getN(), signature);
            ECDSASigner ecdsa = new ECDSASigner();
            ecdsa.init(false, key);
            return ecdsa.verifySignature(digest, rs[0], rs[1]);
        } catch (Exception malformed) {
            return false;
        }
    }

    /** A point whose affine x is at least n (a field element below p): tries x = n, n + 1, ... until one is on the curve. */
    private static ECPoint pointWithXAtLeast(ECCurve curve, BigInteger n) {
        for (BigInteger x = n; ; x = x.add(BigInteger.ONE)) {
            byte[] compressed = new byte[1 + (curve.getFieldSize() + 7) / 8];
            compressed[0] = 0x02;
            byte[] bytes = BigIntegers.asUnsignedByteArray(compressed.length - 1, x);
            System.arraycopy(bytes, 0, compressed, 1, bytes.length);
            try {
                return curve.decodePoint(compressed).normalize();
            } catch (IllegalArgumentException notOnTheCurve) {
                // about half of all x are; the next one then
            }
        }
    }

    /** A signature (r, s) and the digest that make a verifier compute u1 and u2: s = r/u2, e = u1·s. */
    private record Forged(byte[] digest, BigInteger s) {
        static Forged of(BigInteger n, BigInteger r, BigInteger u1, BigInteger u2) {
            BigInteger w = u2.multiply(r.modInverse(n)).mod(n);
            BigInteger s = w.modInverse(n);
            BigInteger e = u1.multiply(s).mod(n);
            return new Forged(BigIntegers.asUnsignedByteArray((n.bitLength() + 7) / 8, e), s);
        }
    }

    /** A DER ECDSA signature's two integers, and encodings of other pairs. */
    private record Der(BigInteger r, BigInteger s) {
        static Der of(byte[] signature) {
            ASN1Sequence sequence = ASN1Sequence.getInstance(signature);
            return new Der(ASN1Integer.getInstance(sequence.getObjectAt(0)).getValue(), ASN1Integer.getInstance(sequence.getObjectAt(1)).getValue());
        }

        byte[] withR(BigInteger other) throws IOException {
            return encode(integer(other), integer(s));
        }

        byte[] withS(BigInteger other) throws IOException {
            return encode(integer(r), integer(other));
        }

        /** A DER SEQUENCE of the given TLV-encoded elements, written by hand so that they can be malformed. */
        static byte[] encode(byte[]... elements) throws IOException {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] element : elements) {
                content.write(element);
            }
            ByteArrayOutputStream sequence = new ByteArrayOutputStream();
            sequence.write(0x30);
            writeLength(sequence, content.size());
            content.writeTo(sequence);
            return sequence.toByteArray();
        }
    }

    /** The minimal DER INTEGER, as BouncyCastle writes it. */
    private static byte[] integer(BigInteger value) throws IOException {
        return new ASN1Integer(value).getEncoded();
    }

    /** A DER INTEGER with one leading zero byte more than it needs: the same value, not DER. */
    private static byte[] padded(BigInteger value) {
        byte[] minimal = value.toByteArray();
        byte[] content = new byte[minimal.length + 1];
        System.arraycopy(minimal, 0, content, 1, minimal.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x02);
        writeLength(out, content.length);
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        }
    }

    private BigInteger flipOneBit(BigInteger value) {
        return value.flipBit(random.nextInt(value.bitLength()));
    }

    private static byte[] flipOneBit(byte[] bytes, int bit) {
        byte[] flipped = bytes.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        return flipped;
    }

    private byte[] message() {
        byte[] message = new byte[1 + random.nextInt(600)];
        random.nextBytes(message);
        return message;
    }

    private static byte[] sign(KeyPair pair, String digest, byte[] message) throws GeneralSecurityException {
        Signature signature = Signature.getInstance(digest.replace("-", "") + "withECDSA");
        signature.initSign(pair.getPrivate());
        signature.update(message);
        return signature.sign();
    }

    private static byte[] digest(String algorithm, byte[] message) throws GeneralSecurityException {
        return MessageDigest.getInstance(algorithm).digest(message);
    }

    private static BigInteger n(KeyPair pair) {
        return ((ECPublicKey) pair.getPublic()).getParams().getOrder();
    }

    private static PrecomputedEcdsaKey prepared(PublicKey key) throws IOException {
        return PrecomputedEcdsaKey.of(bouncyCastle(key));
    }

    private static ECPublicKeyParameters bouncyCastle(PublicKey key) {
        try {
            return (ECPublicKeyParameters) PublicKeyFactory.createKey(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keys(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }
}
