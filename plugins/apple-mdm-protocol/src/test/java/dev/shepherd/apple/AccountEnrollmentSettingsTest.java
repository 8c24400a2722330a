package dev.shepherd.apple;

import dev.shepherd.apple.AccountEnrollmentSettings.Choice;
import dev.shepherd.apple.AccountEnrollmentSettings.Mode;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Account-driven enrollment's settings: per mode (user enrollment, device enrollment), domains in lower case and the
 * link taken from its URL or as a secret, sealed; each domain served in one mode.
 */
class AccountEnrollmentSettingsTest {

    private static final String SECRET = "wKdpmWqW5hD3Q6vpFqfZLQwAttABzuWx8bB3XT8kLAg";
    private static final String DEVICE_SECRET = "Zq3TnV8xR2bLm5Kc7Hd9Wf4Jp6Ys1Ag0Ue-Ni_Bo3Cr";

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final AccountEnrollmentSettings settings = new AccountEnrollmentSettings(storage, new TestSealer());

    @Test
    void nothingIsSetUntilAnAdminSetsIt() {
        assertThat(settings.domains(Mode.USER)).isEmpty();
        assertThat(settings.link(Mode.DEVICE)).isEmpty();
        assertThat(settings.modeOf("corp.example")).isEmpty();
        assertThat(settings.clear()).isFalse();
    }

    @Test
    void theLinkIsTakenFromItsUrlOrAsItsSecretAndKeptSealed() {
        settings.set(Map.of(Mode.USER, new Choice(List.of("Corp.Example", " corp.example", "staff.corp.example"),
                "https://mdm.example.com/enroll/" + SECRET + "?platform=ios")));
        assertThat(settings.domains(Mode.USER)).containsExactlyInAnyOrder("corp.example", "staff.corp.example");
        assertThat(settings.link(Mode.USER)).hasValue(SECRET);
        assertThat(storage.keys("")).allSatisfy(key -> assertThat(new String(storage.get(key).orElseThrow(), StandardCharsets.UTF_8))
                .doesNotContain(SECRET));

        settings.set(Map.of(Mode.USER, new Choice(List.of("other.example"), SECRET)));
        assertThat(settings.domains(Mode.USER)).containsExactly("other.example");
        assertThat(settings.link(Mode.USER)).hasValue(SECRET);
        assertThat(settings.clear()).isTrue();
        assertThat(settings.link(Mode.USER)).isEmpty();
    }

    @Test
    void eachDomainIsServedInTheModeItIsSetForAndAModeLeftOutIsTurnedOff() {
        settings.set(Map.of(Mode.USER, new Choice(List.of("byod.example"), SECRET),
                Mode.DEVICE, new Choice(List.of("corp.example"), DEVICE_SECRET)));
        assertThat(settings.modeOf("byod.example")).hasValue(Mode.USER);
        assertThat(settings.modeOf("corp.example")).hasValue(Mode.DEVICE);
        assertThat(settings.link(Mode.DEVICE)).hasValue(DEVICE_SECRET);
        assertThat(settings.modeOf("other.example")).isEmpty();

        settings.set(Map.of(Mode.DEVICE, new Choice(List.of("corp.example"), DEVICE_SECRET)));
        assertThat(settings.modeOf("byod.example")).isEmpty();
        assertThat(settings.link(Mode.USER)).isEmpty();
        assertThat(settings.modeOf("corp.example")).hasValue(Mode.DEVICE);
    }

    @Test
    void malformedSettingsAreRefusedAndChangeNothing() {
        settings.set(Map.of(Mode.USER, new Choice(List.of("corp.example"), SECRET)));
        assertThatThrownBy(() -> settings.set(Map.of())).hasMessageContaining("user enrollment, device enrollment or both");
        assertThatThrownBy(() -> settings.set(Map.of(Mode.USER, new Choice(List.of(), SECRET)))).hasMessageContaining("domains");
        assertThatThrownBy(() -> settings.set(Map.of(Mode.USER, new Choice(List.of("localhost"), SECRET)))).hasMessageContaining("not a domain name");
        assertThatThrownBy(() -> settings.set(Map.of(Mode.USER, new Choice(List.of("corp example"), SECRET)))).hasMessageContaining("not a domain name");
        assertThatThrownBy(() -> settings.set(Map.of(Mode.USER, new Choice(List.of("corp.example"), "https://mdm.example.com/enroll/short"))))
                .hasMessageContaining("link");
        assertThatThrownBy(() -> settings.set(Map.of(Mode.USER, new Choice(List.of("corp.example"), SECRET),
                Mode.DEVICE, new Choice(List.of("Corp.Example"), DEVICE_SECRET)))).hasMessageContaining("a domain is served in one mode");
        assertThat(settings.domains(Mode.USER)).containsExactly("corp.example");
        assertThat(settings.link(Mode.USER)).hasValue(SECRET);
        assertThat(settings.link(Mode.DEVICE)).isEmpty();
    }
}
