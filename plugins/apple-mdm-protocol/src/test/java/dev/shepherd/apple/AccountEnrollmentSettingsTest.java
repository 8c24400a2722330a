package dev.shepherd.apple;

import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Account-driven enrollment's settings: domains in lower case, the link taken from its URL or as a secret, sealed. */
class AccountEnrollmentSettingsTest {

    private static final String SECRET = "wKdpmWqW5hD3Q6vpFqfZLQwAttABzuWx8bB3XT8kLAg";

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final AccountEnrollmentSettings settings = new AccountEnrollmentSettings(storage, new TestSealer());

    @Test
    void nothingIsSetUntilAnAdminSetsBoth() {
        assertThat(settings.domains()).isEmpty();
        assertThat(settings.link()).isEmpty();
        assertThat(settings.clear()).isFalse();
    }

    @Test
    void theLinkIsTakenFromItsUrlOrAsItsSecretAndKeptSealed() {
        settings.set(List.of("Corp.Example", " corp.example", "staff.corp.example"), "https://mdm.example.com/enroll/" + SECRET + "?platform=ios");
        assertThat(settings.domains()).containsExactlyInAnyOrder("corp.example", "staff.corp.example");
        assertThat(settings.link()).hasValue(SECRET);
        assertThat(storage.keys("")).allSatisfy(key -> assertThat(new String(storage.get(key).orElseThrow(), StandardCharsets.UTF_8))
                .doesNotContain(SECRET));

        settings.set(List.of("other.example"), SECRET);
        assertThat(settings.domains()).containsExactly("other.example");
        assertThat(settings.link()).hasValue(SECRET);
        assertThat(settings.clear()).isTrue();
        assertThat(settings.link()).isEmpty();
    }

    @Test
    void malformedSettingsAreRefusedAndChangeNothing() {
        settings.set(List.of("corp.example"), SECRET);
        assertThatThrownBy(() -> settings.set(List.of(), SECRET)).hasMessageContaining("domains");
        assertThatThrownBy(() -> settings.set(List.of("localhost"), SECRET)).hasMessageContaining("not a domain name");
        assertThatThrownBy(() -> settings.set(List.of("corp example"), SECRET)).hasMessageContaining("not a domain name");
        assertThatThrownBy(() -> settings.set(List.of("corp.example"), "https://mdm.example.com/enroll/short")).hasMessageContaining("link");
        assertThat(settings.domains()).containsExactly("corp.example");
        assertThat(settings.link()).hasValue(SECRET);
    }
}
