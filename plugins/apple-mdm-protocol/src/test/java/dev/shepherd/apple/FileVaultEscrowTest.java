package dev.shepherd.apple;

import dev.shepherd.testing.MemoryPluginStorage;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The FileVault escrow identity: created once and kept, the private key sealed; it opens what Macs encrypt to it only. */
class FileVaultEscrowTest {

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final FileVaultEscrow escrow = new FileVaultEscrow(storage, new TestSealer());

    @Test
    void opensARecoveryKeyEncryptedToItsCertificateAsAMacDoes() throws Exception {
        byte[] envelope = envelope("ABCD-EFGH-IJKL-MNOP-QRST-UVWX", escrow.certificate());

        assertThat(escrow.open(envelope)).isEqualTo("ABCD-EFGH-IJKL-MNOP-QRST-UVWX");
    }

    @Test
    void isCreatedOnceTheSameForAnotherInstanceAndItsPrivateKeyIsNeverStoredInTheClear() throws Exception {
        X509Certificate certificate = escrow.certificate();
        FileVaultEscrow again = new FileVaultEscrow(storage, new TestSealer());

        assertThat(again.certificate()).isEqualTo(certificate);
        assertThat(again.open(envelope("KEY-1", certificate))).isEqualTo("KEY-1");
        byte[] stored = storage.get("filevault-escrow/identity").orElseThrow();
        assertThat(contains(stored, PKCS8_RSA_KEY_START)).as("no private key in the clear").isFalse();
    }

    @Test
    void nodesCreatingItAtTheSameMomentAgreeOnOneAndEachOpensWhatTheOthersCertificateReceived() throws Exception {
        int nodes = 6;
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<FileVaultEscrow> escrows = new ArrayList<>();
            List<Future<X509Certificate>> handedOut = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                FileVaultEscrow node = new FileVaultEscrow(storage, new TestSealer());
                escrows.add(node);
                handedOut.add(pool.submit(() -> {
                    start.await();
                    return node.certificate();
                }));
            }
            start.countDown();
            Set<X509Certificate> certificates = new HashSet<>();
            for (Future<X509Certificate> certificate : handedOut) {
                certificates.add(certificate.get(60, TimeUnit.SECONDS));
            }
            assertThat(certificates).hasSize(1);
            byte[] envelope = envelope("RACED-KEY", certificates.iterator().next());
            for (FileVaultEscrow node : escrows) {
                assertThat(node.open(envelope)).isEqualTo("RACED-KEY");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesAnEnvelopeForAnotherCertificateAndBytesThatAreNoEnvelope() throws Exception {
        X509Certificate someoneElse = new FileVaultEscrow(new MemoryPluginStorage(), new TestSealer()).certificate();

        assertThatThrownBy(() -> escrow.open(envelope("KEY", someoneElse))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("escrow certificate");
        assertThatThrownBy(() -> escrow.open("not CMS".getBytes(StandardCharsets.US_ASCII))).isInstanceOf(IllegalArgumentException.class);
    }

    /** How a PKCS#8 RSA private key begins: version 0, the rsaEncryption algorithm, then the key as an OCTET STRING. */
    private static final byte[] PKCS8_RSA_KEY_START = HexFormat.of().parseHex("020100300d06092a864886f70d0101010500");

    private static boolean contains(byte[] bytes, byte[] run) {
        for (int from = 0; from + run.length <= bytes.length; from++) {
            if (Arrays.equals(bytes, from, from + run.length, run, 0, run.length)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] envelope(String key, X509Certificate recipient) throws Exception {
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient));
        return generator.generate(new CMSProcessableByteArray(key.getBytes(StandardCharsets.UTF_8)),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    }
}
