package dev.shepherd.plugins.chromeos;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the kernel's settings become Chrome policy values: only the fields the admin set, each in its schema. */
class ChromePoliciesTest {

    @Test
    void aScreenLockSetsTheLockDelaysOnPowerAndBatteryAndLockingOnSleep() {
        assertThat(ChromePolicies.compile("screen_lock", Map.of("timeoutMinutes", 5, "lockOnSleep", false))).containsExactly(
                new ChromePolicies.ChromePolicy("chrome.users.IdleSettingsExtended", Map.of(
                        "screenLockDelayAc", Map.of("duration", 300L), "screenLockDelayBattery", Map.of("duration", 300L),
                        "lockOnSleepOrLidClose", "FALSE")));
    }

    @Test
    void restrictionsSetOnlyTheSchemasOfTheFieldsGivenWithChromesPolarity() {
        assertThat(ChromePolicies.compile("restrictions", Map.of("allowScreenCapture", true, "allowFactoryReset", false,
                "allowAirDrop", false))).containsExactlyInAnyOrder(
                new ChromePolicies.ChromePolicy("chrome.users.Screenshot", Map.of("disableScreenshots", false)),
                new ChromePolicies.ChromePolicy("chrome.devices.DevicePowerwashAllowed", Map.of("devicePowerwashAllowed", false)));
    }

    @Test
    void automaticUpdatesOffDisablesAutoUpdate() {
        assertThat(ChromePolicies.compile("os_update", Map.of("automatic", false)))
                .containsExactly(new ChromePolicies.ChromePolicy("chrome.devices.AutoUpdateSettings", Map.of("updateDisabled", true)));
    }

    @Test
    void aSettingWithNothingChromeCanExpressIsRefusedRatherThanReportedApplied() {
        assertThatThrownBy(() -> ChromePolicies.compile("restrictions", Map.of("allowAirDrop", false)))
                .hasMessageContaining("none of the fields set in this restrictions setting has a ChromeOS equivalent");
        assertThatThrownBy(() -> ChromePolicies.compile("passcode", Map.of("required", true)))
                .hasMessageContaining("ChromeOS has no equivalent of the setting type passcode");
    }

    @Test
    void removingASettingHandsBackEverySchemaItsTypeMaySet() {
        assertThat(ChromePolicies.schemas("restrictions")).hasSize(4).contains("chrome.users.VideoCaptureAllowed");
        assertThat(ChromePolicies.schemas("wifi")).isEqualTo(List.of());
    }
}
