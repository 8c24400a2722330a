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
        byte[] storedKey = storage.get("filevault-escrow/private-key").orElseThrow();
        assertThat(new TestSealer().open(storedKey)).isNotEqualTo(storedKey);
    }

    @Test
    void refusesAnEnvelopeForAnotherCertificateAndBytesThatAreNoEnvelope() throws Exception {
        X509Certificate someoneElse = new FileVaultEscrow(new MemoryPluginStorage(), new TestSealer()).certificate();

        assertThatThrownBy(() -> escrow.open(envelope("KEY", someoneElse))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("escrow certificate");
        assertThatThrownBy(() -> escrow.open("not CMS".getBytes(StandardCharsets.US_ASCII))).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] envelope(String key, X509Certificate recipient) throws Exception {
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient));
        return generator.generate(new CMSProcessableByteArray(key.getBytes(StandardCharsets.UTF_8)),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    }
}
