package dev.shepherd.plugins.windows.csp;

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
    }

    @Test
    void removingAPasscodeDeletesExactlyTheNodesItSet() {
        Map<String, Object> installed = Map.of("required", true, "minLength", 6);
        assertThat(SettingCsps.remove("passcode", "passcode", installed)).containsExactly(
                CspOperation.delete(DEVICE_LOCK + "DevicePasswordEnabled"), CspOperation.delete(DEVICE_LOCK + "MinDevicePasswordLength"));
    }

    @Test
    void whatWindowsCannotExpressIsRefusedWithAReason() {
        assertThatThrownBy(() -> SettingCsps.install("p", "passcode", Map.of("minComplexCharacters", 5)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("4 character classes");
        assertThatThrownBy(() -> SettingCsps.install("d", "dlp", Map.of()))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("dlp");
    }
}
