package dev.shepherd.apple;

import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CPU time of one ECDSA verification of a device's message signature, on this thread (ThreadMXBean), after a
 * warm-up: BouncyCastle's {@code DSADigestSigner(ECDSASigner)} as {@link MdmSignature} used it before (the device's
 * {@code ECPublicKeyParameters} cached, so its wNAF tables are kept on the point) against {@link PrecomputedEcdsaKey},
 * each with the key cached and on a cache miss (the key parsed from the certificate's SubjectPublicKeyInfo, and for
 * the prepared key its comb table built, for every message), then a whole {@link MdmSignature#verify} of a CMS
 * signature over a body with the signer's certificate cached. A benchmark, not a test; runs only when asked:
 *
 * <pre>mvn -B verify -pl plugins/apple-mdm-protocol -Dtest=EcdsaVerificationBenchmarkTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dshepherd.benchmark=true [-Dshepherd.benchmark.verifications=20000]</pre>
 *
 * Prints the figures and writes them to {@code target/ecdsa-verification-benchmark.txt}.
 */
@EnabledIfSystemProperty(named = "shepherd.benchmark", matches = "true")
class EcdsaVerificationBenchmarkTest {

    private static final int MESSAGES = 256;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final int verifications = Integer.getInteger("shepherd.benchmark.verifications", 10_000);
    private final StringBuilder report = new StringBuilder();

    @Test
    void cpuPerVerification() throws Exception {
        report.append(String.format("ECDSA verification, CPU per verification on one thread (%d verifications after as many"
                + " of warm-up; cache misses a quarter as many), %s, %d cores%n", verifications, System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors()));
        compare("P-256 SHA-256", "secp256r1", "SHA256withECDSA", SHA256Digest::new);
        compare("P-384 SHA-384", "secp384r1", "SHA384withECDSA", SHA384Digest::new);
        wholeMessage();
        System.out.print(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "ecdsa-verification-benchmark.txt"), report);
    }

    private void compare(String name, String curve, String algorithm, Supplier<Digest> digests) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        KeyPair pair = generator.generateKeyPair();
        SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
        byte[][] messages = new byte[MESSAGES][];
        byte[][] signatures = new byte[MESSAGES][];
        Random random = new Random(16);
        for (int i = 0; i < MESSAGES; i++) {
            messages[i] = new byte[400];
            random.nextBytes(messages[i]);
            Signature signature = Signature.getInstance(algorithm);
            signature.initSign(pair.getPrivate());
            signature.update(messages[i]);
            signatures[i] = signature.sign();
        }

        ECPublicKeyParameters cachedParameters = parse(publicKey);
        double bouncyCastle = measure(verifications,
                i -> bouncyCastleVerifies(cachedParameters, digests.get(), messages[i % MESSAGES], signatures[i % MESSAGES]));
        PrecomputedEcdsaKey cachedKey = PrecomputedEcdsaKey.of(parse(publicKey));
        assertThat(cachedKey.precomputed()).isTrue();
        double precomputed = measure(verifications, i -> cachedKey.verify(digest(digests.get(), messages[i % MESSAGES]), signatures[i % MESSAGES]));
        double bouncyCastleMiss = measure(verifications / 4,
                i -> bouncyCastleVerifies(parse(publicKey), digests.get(), messages[i % MESSAGES], signatures[i % MESSAGES]));
        double precomputedMiss = measure(verifications / 4, i ->
                PrecomputedEcdsaKey.of(parse(publicKey)).verify(digest(digests.get(), messages[i % MESSAGES]), signatures[i % MESSAGES]));

        // A device's first messages: the key parsed at the first, then verified 11 times (the fleet benchmark's Idle and
        // 10 Acknowledged), a fresh key for each device.
        int session = 11;
        double bouncyCastleSession = measure(verifications / session, device -> {
            ECPublicKeyParameters parameters = parse(publicKey);
            boolean all = true;
            for (int m = 0; m < session; m++) {
                all &= bouncyCastleVerifies(parameters, digests.get(), messages[m], signatures[m]);
            }
            return all;
        }) / session;
        double precomputedSession = measure(verifications / session, device -> {
            PrecomputedEcdsaKey key = PrecomputedEcdsaKey.of(parse(publicKey));
            boolean all = true;
            for (int m = 0; m < session; m++) {
                all &= key.verify(digest(digests.get(), messages[m]), signatures[m]);
            }
            return all;
        }) / session;
        long bouncyCastleBytes = heapPerKey(() -> {
            ECPublicKeyParameters parameters = parse(publicKey);
            for (int m = 0; m < session; m++) {
                assertThat(bouncyCastleVerifies(parameters, digests.get(), messages[m], signatures[m])).isTrue();
            }
            return parameters;
        });
        long precomputedBytes = heapPerKey(() -> {
            PrecomputedEcdsaKey key = PrecomputedEcdsaKey.of(parse(publicKey));
            for (int m = 0; m < session; m++) {
                assertThat(key.verify(digest(digests.get(), messages[m]), signatures[m])).isTrue();
            }
            return key;
        });

        report.append(String.format("%s, key cached:    BouncyCastle ECDSASigner %7.1f µs, PrecomputedEcdsaKey %7.1f µs (%.2fx)%n",
                name, bouncyCastle, precomputed, bouncyCastle / precomputed));
        report.append(String.format("%s, cache miss:    BouncyCastle ECDSASigner %7.1f µs, PrecomputedEcdsaKey %7.1f µs (%.2fx)"
                + " (the key parsed, and its comb table built, for every verification)%n",
                name, bouncyCastleMiss, precomputedMiss, bouncyCastleMiss / precomputedMiss));
        report.append(String.format("%s, a device's first %d messages: BouncyCastle ECDSASigner %7.1f µs, PrecomputedEcdsaKey %7.1f µs"
                + " (%.2fx) a message (the key parsed at the first)%n", name, session, bouncyCastleSession, precomputedSession,
                bouncyCastleSession / precomputedSession));
        report.append(String.format("%s, heap per cached key after %d verifications: BouncyCastle ECPublicKeyParameters (the tables"
                + " it keeps on Q) %,d bytes, PrecomputedEcdsaKey %,d bytes%n", name, session, bouncyCastleBytes, precomputedBytes));
    }

    /** A whole Mdm-Signature check: base64, CMS, signed attributes, signing time, ECDSA; the certificate cached. */
    private void wholeMessage() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate device = MdmSignatureTest.certificate("device", BigInteger.TEN, pair, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1)));
        byte[] body = """
                <?xml version="1.0" encoding="UTF-8"?>
                <plist version="1.0"><dict><key>Status</key><string>Acknowledged</string><key>UDID</key><string>00008030-001A2B3C4D5E6F70</string>\
                <key>CommandUUID</key><string>6f1d0f5e-5a52-4c56-9a8b-1c2d3e4f5a6b</string></dict></plist>
                """.getBytes(StandardCharsets.UTF_8);
        String header = MdmSignatureTest.sign(body, device, pair, "SHA256withECDSA", now, List.of(device));
        MdmSignature signatures = new MdmSignature();
        double perMessage = measure(verifications, i -> signatures.verify(header, body).isPresent());
        report.append(String.format("MdmSignature.verify, P-256 device, certificate cached: %7.1f µs a message%n", perMessage));

        // The signing-time check alone, BouncyCastle's way (SignerInformation.verify with a verifier that names the
        // certificate) and MdmSignature's, on the same signer.
        SignerInformation signer = new CMSSignedData(new CMSProcessableByteArray(body), Base64.getDecoder().decode(header))
                .getSignerInfos().getSigners().iterator().next();
        X509CertificateHolder holder = new X509CertificateHolder(device.getEncoded());
        double bouncyCastle = measure(verifications, i -> holder.isValidOn(Time.getInstance(
                signer.getSignedAttributes().get(CMSAttributes.signingTime).getAttrValues().getObjectAt(0)).getDate()));
        double mdmSignature = measure(verifications, i -> MdmSignature.validAtSigningTime(signer, device));
        report.append(String.format("signing time within the certificate's validity: BouncyCastle %5.1f µs, MdmSignature %5.1f µs%n",
                bouncyCastle, mdmSignature));
    }

    /** @return microseconds of this thread's CPU per call, after as many calls of warm-up; every call must verify */
    private static double measure(int calls, Verification verification) throws Exception {
        for (int i = 0; i < calls; i++) {
            assertThat(verification.verify(i)).isTrue();
        }
        long before = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < calls; i++) {
            if (!verification.verify(i)) {
                throw new AssertionError("verification " + i + " failed");
            }
        }
        return (THREADS.getCurrentThreadCpuTime() - before) / 1e3 / calls;
    }

    /** BouncyCastle's own verification, as MdmSignature made it before PrecomputedEcdsaKey. */
    private static boolean bouncyCastleVerifies(ECPublicKeyParameters key, Digest digest, byte[] message, byte[] signature) {
        DSADigestSigner ecdsa = new DSADigestSigner(new ECDSASigner(), digest);
        ecdsa.init(false, key);
        ecdsa.update(message, 0, message.length);
        return ecdsa.verifySignature(signature);
    }

    /** The heap a key holds, on average over 2,000 kept at once (used heap after a GC, with and without them). */
    private static long heapPerKey(Supplier<Object> key) throws InterruptedException {
        int keys = 2_000;
        long before = usedHeapAfterGc();
        List<Object> kept = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            kept.add(key.get());
        }
        long after = usedHeapAfterGc();
        assertThat(kept).hasSize(keys);
        return (after - before) / keys;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static byte[] digest(Digest digest, byte[] message) {
        digest.update(message, 0, message.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }

    private static ECPublicKeyParameters parse(SubjectPublicKeyInfo publicKey) {
        try {
            return (ECPublicKeyParameters) PublicKeyFactory.createKey(publicKey);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Verification {
        boolean verify(int index) throws Exception;
    }
}
