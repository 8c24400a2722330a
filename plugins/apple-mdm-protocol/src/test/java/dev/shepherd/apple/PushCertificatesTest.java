package dev.shepherd.apple;

import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The push certificate is parsed and its key unsealed once, not at every push, yet an upload or a removal made through
 * another node (another instance over the same storage) counts from the next push on.
 */
class PushCertificatesTest {

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final CountingSealer sealer = new CountingSealer();
    /** The node that pushes. */
    private final PushCertificates pushing = new PushCertificates(storage, sealer);
    /** Another node, where an admin uploads. */
    private final PushCertificates admin = new PushCertificates(storage, sealer);

    @Test
    void theKeyIsUnsealedOnceForAsManyPushesAsTheCertificateStays() throws Exception {
        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.first", Duration.ofDays(365)));

        PushCertificates.Credentials first = pushing.credentials().orElseThrow();
        PushCertificates.Credentials again = pushing.credentials().orElseThrow();

        assertThat(again).isSameAs(first);
        assertThat(sealer.opened).isEqualTo(1);
        assertThat(first.topic()).isEqualTo("com.apple.mgmt.External.first");
    }

    @Test
    void aCertificateUploadedOnAnotherNodeIsUsedAtTheNextPush() throws Exception {
        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.first", Duration.ofDays(365)));
        PushCertificates.Credentials first = pushing.credentials().orElseThrow();

        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.second", Duration.ofDays(365)));
        PushCertificates.Credentials second = pushing.credentials().orElseThrow();

        assertThat(second.topic()).isEqualTo("com.apple.mgmt.External.second");
        assertThat(second.fingerprint()).isNotEqualTo(first.fingerprint());
        assertThat(second.privateKey()).isNotEqualTo(first.privateKey());
        assertThat(pushing.status().orElseThrow().topic()).isEqualTo("com.apple.mgmt.External.second");
    }

    @Test
    void aCertificateRemovedOnAnotherNodeNoLongerPushes() throws Exception {
        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.first", Duration.ofDays(365)));
        assertThat(pushing.credentials()).isPresent();

        assertThat(admin.remove()).isTrue();

        assertThat(pushing.credentials()).isEmpty();
        assertThat(pushing.status()).isEmpty();
    }

    @Test
    void aNewCertificateReadWithTheOldKeyIsOpenedAgainOnceTheKeyFollows() throws Exception {
        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.first", Duration.ofDays(365)));
        byte[] oldSealedKey = storage.get("apns/private-key").orElseThrow();
        admin.upload(LocalApns.pushCertificatePem("com.apple.mgmt.External.second", Duration.ofDays(365)));
        byte[] newSealedKey = storage.get("apns/private-key").orElseThrow();
        // As read between the two writes of an upload: the new certificate, still the old key.
        storage.put("apns/private-key", oldSealedKey);
        pushing.credentials().orElseThrow();

        storage.put("apns/private-key", newSealedKey);
        PushCertificates.Credentials settled = pushing.credentials().orElseThrow();

        assertThat(settled.topic()).isEqualTo("com.apple.mgmt.External.second");
        assertThat(settled.privateKey().getEncoded()).isEqualTo(sealer.open(newSealedKey));
    }

    /** The test sealer, counting how often a key is unsealed. */
    private static final class CountingSealer implements SecretSealer {
        private final TestSealer sealer = new TestSealer();
        private int opened;

        @Override
        public byte[] seal(byte[] secret) {
            return sealer.seal(secret);
        }

        @Override
        public byte[] open(byte[] sealed) {
            opened++;
            return sealer.open(sealed);
        }
    }
}
