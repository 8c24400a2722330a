package dev.shepherd.google;

import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.testing.TestSecrets;
import dev.shepherd.testing.MemoryPluginStorage;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceAccountKeysTest {

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final SecretSealer sealer = TestSecrets.sealer();
    private final ServiceAccountKeys keys = new ServiceAccountKeys(storage, sealer, "service-account", Set.of("project_id"));
    private final ObjectNode key = TestKeys.key(TestKeys.PAIR, "https://oauth2.googleapis.com/token");

    @Test
    void anUploadedKeyIsStoredSealedUnderTheGivenStorageKey() {
        ServiceAccount uploaded = keys.upload(TestKeys.bytes(key));

        assertThat(uploaded.clientEmail()).isEqualTo(TestKeys.CLIENT_EMAIL);
        assertThat(keys.current()).containsSame(uploaded);
        byte[] stored = storage.get("service-account").orElseThrow();
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("PRIVATE KEY").doesNotContain(TestKeys.CLIENT_EMAIL);
        assertThat(sealer.open(stored)).isEqualTo(TestKeys.bytes(key));
    }

    @Test
    void anotherGenerationOfThePluginReadsTheStoredKey() {
        keys.upload(TestKeys.bytes(key));

        ServiceAccountKeys later = new ServiceAccountKeys(storage, sealer, "service-account", Set.of("project_id"));

        assertThat(later.current()).hasValueSatisfying(account -> assertThat(account.projectId()).isEqualTo(TestKeys.PROJECT));
        assertThat(new ServiceAccountKeys(storage, sealer, "another-key", Set.of()).current()).isEmpty();
    }

    @Test
    void everyUploadIsANewAccountSoCachedTokensOfTheOldOneAreNotReused() {
        ServiceAccount first = keys.upload(TestKeys.bytes(key));
        ServiceAccount second = keys.upload(TestKeys.bytes(key));

        assertThat(second).isNotSameAs(first);
        assertThat(keys.current()).containsSame(second);
    }

    @Test
    void aRefusedKeyLeavesThePreviousOneInPlace() {
        ServiceAccount stored = keys.upload(TestKeys.bytes(key));
        key.remove("project_id");

        assertThatThrownBy(() -> keys.upload(TestKeys.bytes(key))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The service-account key has no project_id.");
        assertThat(keys.current()).containsSame(stored);
    }

    @Test
    void removingForgetsTheKey() {
        assertThat(keys.remove()).isFalse();
        keys.upload(TestKeys.bytes(key));

        assertThat(keys.remove()).isTrue();

        assertThat(keys.current()).isEmpty();
        assertThat(storage.get("service-account")).isEmpty();
        assertThat(keys.remove()).isFalse();
    }
}
