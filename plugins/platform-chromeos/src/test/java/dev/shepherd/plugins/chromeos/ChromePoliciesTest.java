package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.policy.Setting;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the kernel's settings become Chrome policy values: only the fields the admin set, each in its schema. */
class ChromePoliciesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ChromePolicySchemas GOOGLE = ChromePolicySchemas.published();

    @Test
    void everySchemaAndFieldASettingCompilesToIsOneGooglePublishes() {
        Map<String, Map<String, Object>> everyField = Map.of(
                "screen_lock", Map.of("timeoutMinutes", 5, "lockOnSleep", true),
                "passcode", Map.of("required", true, "minLength", 6, "maxInactivityMinutes", 3),
                "os_update", Map.of("automatic", false, "minimumVersion", "15823.51.0"),
                "restrictions", Map.of("allowCamera", false, "allowScreenCapture", false, "allowBluetooth", false, "allowFactoryReset", false),
                "chromeos.app", Map.of("appId", "chrome:mkaakpdehdafacodkgkpghoibnmamcme", "installType", "FORCED_AND_PIN_TO_TOOLBAR"));
        assertThat(everyField.keySet()).isEqualTo(ChromePolicies.POLICY_TYPES);
        everyField.forEach((type, value) -> {
            for (ChromePolicies.ChromePolicy policy : ChromePolicies.compile(type, value).policies()) {
                assertThat(GOOGLE.check(policy.schema(), JSON.valueToTree(policy.value()), type)).as(type + " → " + policy.schema()).isEmpty();
            }
            assertThat(ChromePolicies.schemas(type)).as(type).allSatisfy(schema -> assertThat(GOOGLE.exists(schema)).as(schema).isTrue());
        });
    }

    @Test
    void aPinsMinimumLengthIsInThePinSettingsAndTheCameraIsTheVideoInputPolicy() {
        assertThat(ChromePolicies.compile("passcode", Map.of("minLength", 6)).policies())
                .containsExactly(new ChromePolicies.ChromePolicy("chrome.users.PinSettings", Map.of("pinUnlockMinimumLength", 6L)));
        assertThat(ChromePolicies.compile("restrictions", Map.of("allowCamera", true)).policies())
                .containsExactly(new ChromePolicies.ChromePolicy("chrome.users.VideoInput", Map.of("videoCaptureAllowed", true)));
    }

    @Test
    void aScreenLockSetsTheLockDelaysOnPowerAndBatteryAndLockingOnSleep() {
        assertThat(ChromePolicies.compile("screen_lock", Map.of("timeoutMinutes", 5, "lockOnSleep", false)).policies()).containsExactly(
                new ChromePolicies.ChromePolicy("chrome.users.IdleSettingsExtended", Map.of(
                        "screenLockDelayAc", Map.of("duration", 300L), "screenLockDelayBattery", Map.of("duration", 300L),
                        "lockOnSleepOrLidClose", "FALSE")));
    }

    @Test
    void restrictionsSetOnlyTheSchemasOfTheFieldsGivenWithChromesPolarity() {
        assertThat(ChromePolicies.compile("restrictions", Map.of("allowScreenCapture", true, "allowFactoryReset", false,
                "allowAirDrop", false)).policies()).containsExactlyInAnyOrder(
                new ChromePolicies.ChromePolicy("chrome.users.Screenshot", Map.of("disableScreenshots", false)),
                new ChromePolicies.ChromePolicy("chrome.devices.DevicePowerwashAllowed", Map.of("devicePowerwashAllowed", false)));
    }

    @Test
    void automaticUpdatesOffDisablesAutoUpdateAndAMinimumVersionIsEnforced() {
        ChromePolicies.Compiled compiled = ChromePolicies.compile("os_update", Map.of("automatic", false, "minimumVersion", "15823.51.0"));
        assertThat(compiled.policies()).containsExactly(new ChromePolicies.ChromePolicy("chrome.devices.AutoUpdateSettings",
                Map.of("updateDisabled", true, "deviceMinimumVersion", Map.of("chromeosVersion", "15823.51.0"))));
        assertThat(compiled.unsupported()).isEmpty();
    }

    @Test
    void updateFieldsChromeOsSchedulesDifferentlyAreNamedAsUnsupported() {
        ChromePolicies.Compiled compiled = ChromePolicies.compile("os_update", Map.of("automatic", true, "deferralDays", 7,
                "enforceBy", "2024-06-01T00:00:00Z", "installWindowStart", "02:00", "installWindowEnd", "04:00"));
        assertThat(compiled.policies()).containsExactly(new ChromePolicies.ChromePolicy("chrome.devices.AutoUpdateSettings", Map.of("updateDisabled", false)));
        assertThat(compiled.unsupported()).hasSize(3);
        assertThat(String.join("\n", compiled.unsupported())).contains("enforceBy: ChromeOS gives a minimum version a warning period in days")
                .contains("deferralDays: ChromeOS can scatter updates").contains("installWindowStart/installWindowEnd");
        assertThat(ChromePolicies.compile("os_update", Map.of("automatic", true, "deferralDays", 0)).unsupported())
                .as("no deferral is no deferral").isEmpty();
    }

    @Test
    void aPasscodeRulesThePinLengthAndTheLockDelayAndNamesWhatOnlyGoogleWorkspaceOrNothingRules() {
        ChromePolicies.Compiled compiled = ChromePolicies.compile("passcode", Map.of("required", true, "minLength", 8,
                "maxInactivityMinutes", 3, "maxFailedAttempts", 10, "maxAgeDays", 0));
        assertThat(compiled.policies()).containsExactly(
                new ChromePolicies.ChromePolicy("chrome.users.PinSettings", Map.of("pinUnlockMinimumLength", 8L)),
                new ChromePolicies.ChromePolicy("chrome.users.IdleSettingsExtended", Map.of(
                        "screenLockDelayAc", Map.of("duration", 180L), "screenLockDelayBattery", Map.of("duration", 180L))));
        assertThat(compiled.unsupported()).containsExactly("maxFailedAttempts: ChromeOS has no wipe after failed unlock attempts");
    }

    @Test
    void anAppIsItsInstallTypeUnderItsAppIdTargetKey() {
        assertThat(ChromePolicies.compile("chromeos.app", Map.of("appId", "chrome:mkaakpdehdafacodkgkpghoibnmamcme", "installType", "FORCED")).policies())
                .containsExactly(new ChromePolicies.ChromePolicy("chrome.users.apps.InstallType",
                        Map.of("app_id", "chrome:mkaakpdehdafacodkgkpghoibnmamcme"), Map.of("appInstallType", "FORCED")));
        assertThat(ChromePolicies.targetKeys("chromeos.app", "chromeos.app/android:com.google.android.apps.translate"))
                .isEqualTo(Map.of("app_id", "android:com.google.android.apps.translate"));
    }

    @Test
    void aSettingWithNothingChromeCanExpressIsRefusedRatherThanReportedApplied() {
        assertThatThrownBy(() -> ChromePolicies.compile("restrictions", Map.of("allowAirDrop", false)))
                .hasMessageContaining("none of the fields set in this restrictions setting has a ChromeOS equivalent");
        assertThatThrownBy(() -> ChromePolicies.compile("passcode", Map.of("required", true, "requireAlphanumeric", true)))
                .hasMessageContaining("none of the fields set in this passcode setting has a ChromeOS equivalent")
                .hasMessageContaining("requireAlphanumeric: a ChromeOS PIN is digits");
        assertThatThrownBy(() -> ChromePolicies.compile("encryption", Map.of()))
                .hasMessageContaining("ChromeOS has no equivalent of the setting type encryption");
    }

    @Test
    void userAndDevicePoliciesGoToGoogleInSeparateBatchesAsEveryBatchTakesOneNamespace() {
        List<ChromePolicies.ChromePolicy> policies = ChromePolicies.compile("restrictions", Map.of("allowCamera", false, "allowScreenCapture", false,
                "allowBluetooth", true, "allowFactoryReset", false)).policies();
        assertThat(ChromePolicies.batches(policies)).extracting(batch -> batch.stream().map(ChromePolicies.ChromePolicy::schema).toList())
                .containsExactly(List.of("chrome.users.VideoInput", "chrome.users.Screenshot"),
                        List.of("chrome.devices.Bluetooth", "chrome.devices.DevicePowerwashAllowed"));
    }

    @Test
    void removingASettingSetsAgainWhatAnotherSettingStillWritesInASharedSchemaAndHandsBackTheRest() {
        Map<String, Object> delays = Map.of("duration", 600L);
        ChromePolicies.Removal passcodeGone = ChromePolicies.removal("passcode", "passcode",
                List.of(new Setting("screen_lock", "screen_lock", Map.of("timeoutMinutes", 10, "lockOnSleep", true))));
        assertThat(passcodeGone.inherit()).extracting(ChromePolicies.ChromePolicy::schema).containsExactly("chrome.users.PinSettings");
        assertThat(passcodeGone.modify()).containsExactly(new ChromePolicies.ChromePolicy("chrome.users.IdleSettingsExtended",
                Map.of("screenLockDelayAc", delays, "screenLockDelayBattery", delays, "lockOnSleepOrLidClose", "TRUE")));

        // The screen lock also set lockOnSleepOrLidClose, which the passcode does not: Google inherits whole schemas, so the
        // schema is handed back first and the passcode's delays set again after.
        ChromePolicies.Removal lockGone = ChromePolicies.removal("screen_lock", "screen_lock",
                List.of(new Setting("passcode", "passcode", Map.of("maxInactivityMinutes", 10))));
        assertThat(lockGone.inherit()).extracting(ChromePolicies.ChromePolicy::schema).containsExactly("chrome.users.IdleSettingsExtended");
        assertThat(lockGone.modify()).containsExactly(new ChromePolicies.ChromePolicy("chrome.users.IdleSettingsExtended",
                Map.of("screenLockDelayAc", delays, "screenLockDelayBattery", delays)));

        ChromePolicies.Removal alone = ChromePolicies.removal("passcode", "passcode", List.of());
        assertThat(alone.inherit()).extracting(ChromePolicies.ChromePolicy::schema)
                .containsExactly("chrome.users.PinSettings", "chrome.users.IdleSettingsExtended");
        assertThat(alone.modify()).isEmpty();
        ChromePolicies.Removal otherApp = ChromePolicies.removal("chromeos.app", "chromeos.app/chrome:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                List.of(new Setting("chromeos.app", "chromeos.app/chrome:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                        Map.of("appId", "chrome:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "installType", "FORCED"))));
        assertThat(otherApp.inherit()).as("another app's policy is under another app_id")
                .containsExactly(new ChromePolicies.ChromePolicy("chrome.users.apps.InstallType", Map.of("app_id", "chrome:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Map.of()));
        assertThat(otherApp.modify()).isEmpty();
    }

    @Test
    void removingASettingHandsBackEverySchemaItsTypeMaySet() {
        assertThat(ChromePolicies.schemas("restrictions")).hasSize(4).contains("chrome.users.VideoInput");
        assertThat(ChromePolicies.schemas("wifi")).isEqualTo(List.of());
    }
}
