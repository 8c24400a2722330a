package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.CspContract;
import dev.shepherd.plugins.windows.CspContract.Edition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingCspsTest {

    private static final String DEVICE_LOCK = "./Device/Vendor/MSFT/Policy/Config/DeviceLock/";

    @Test
    void aPasscodeBecomesDeviceLockPolicies() {
        List<CspOperation> operations = SettingCsps.install("passcode", "passcode", Map.of("required", true, "minLength", 8,
                "requireAlphanumeric", true, "minComplexCharacters", 3, "maxFailedAttempts", 10, "maxInactivityMinutes", 5,
                "maxAgeDays", 90, "historyCount", 5));
        assertThat(operations).extracting(CspOperation::verb).containsOnly("Replace");
        assertThat(operations).extracting(operation -> operation.locUri().substring(DEVICE_LOCK.length()) + "=" + operation.data().orElseThrow())
                .containsExactly("DevicePasswordEnabled=0", "MinDevicePasswordLength=8", "AlphanumericDevicePasswordRequired=0",
                        "MinDevicePasswordComplexCharacters=3", "MaxDevicePasswordFailedAttempts=10", "MaxInactivityTimeDeviceLock=5",
                        "DevicePasswordExpiration=90", "DevicePasswordHistory=5");
        assertThat(operations).allSatisfy(operation -> assertThat(operation.format()).hasValue("int"));
        assertThat(CspContract.microsoft().violations(operations, Edition.ENTERPRISE, false)).isEmpty();
    }

    @Test
    void removingAPasscodeDeletesExactlyTheNodesItSet() {
        Map<String, Object> installed = Map.of("required", true, "minLength", 6);
        assertThat(SettingCsps.remove("passcode", "passcode", installed)).containsExactly(
                CspOperation.delete(DEVICE_LOCK + "DevicePasswordEnabled"), CspOperation.delete(DEVICE_LOCK + "MinDevicePasswordLength"));
    }

    @Test
    void minimumSymbolsIsTheNumberOfCharacterClassesWindowsAppliesToAnAlphanumericPassword() {
        // Windows counts classes (digits, lowercase, uppercase, special characters), only for an alphanumeric password.
        List<CspOperation> classes = SettingCsps.install("passcode", "passcode", Map.of("required", true, "requireAlphanumeric", true,
                "minComplexCharacters", 2));
        assertThat(classes).contains(CspOperation.replace(DEVICE_LOCK + "AlphanumericDevicePasswordRequired", "int", "0"),
                CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordComplexCharacters", "int", "2"));
        assertThat(CspContract.microsoft().violations(classes, Edition.PRO, false)).isEmpty();

        // No minimum is no class count at all, not "digits only".
        assertThat(SettingCsps.install("passcode", "passcode", Map.of("required", true, "minComplexCharacters", 0)))
                .extracting(CspOperation::locUri).doesNotContain(DEVICE_LOCK + "MinDevicePasswordComplexCharacters");
        // Without an alphanumeric password Windows ignores the count: refused, not sent to be ignored.
        assertThatThrownBy(() -> SettingCsps.install("passcode", "passcode", Map.of("required", true, "minComplexCharacters", 1)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("requireAlphanumeric");
        // 4 (special characters required) is not supported on desktop editions.
        assertThatThrownBy(() -> SettingCsps.install("passcode", "passcode", Map.of("requireAlphanumeric", true, "minComplexCharacters", 4)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("not supported on desktop editions");
    }

    @Test
    void passcodeValuesStayWithinWhatWindowsDesktopsTake() {
        assertThat(SettingCsps.install("passcode", "passcode", Map.of("required", true, "minLength", 0)))
                .contains(CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordLength", "int", "4"));
        assertThatThrownBy(() -> SettingCsps.install("passcode", "passcode", Map.of("minLength", 20)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("at most 16");
        assertThatThrownBy(() -> SettingCsps.install("passcode", "passcode", Map.of("maxFailedAttempts", 3)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("4 to 16");
        assertThatThrownBy(() -> SettingCsps.install("passcode", "passcode", Map.of("maxFailedAttempts", 30)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("4 to 16");
    }

    @Test
    void whatWindowsCannotExpressIsRefusedWithAReason() {
        assertThatThrownBy(() -> SettingCsps.install("p", "passcode", Map.of("requireAlphanumeric", true, "minComplexCharacters", 5)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("at most 3 character classes");
        assertThatThrownBy(() -> SettingCsps.install("d", "dlp", Map.of()))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("dlp");
    }
}
