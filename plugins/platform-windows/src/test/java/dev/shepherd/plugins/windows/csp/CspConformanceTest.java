package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.CspContract;
import dev.shepherd.plugins.windows.CspContract.Edition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every setting type Windows applies, installed, changed and removed, becomes only operations Microsoft's CSP
 * reference allows (csp/windows-csp-contract.json): known nodes, operations they take, their formats and values.
 */
class CspConformanceTest {

    static Stream<Arguments> values() {
        return Stream.of(
                Arguments.of("passcode", Map.of("required", true, "minLength", 12, "requireAlphanumeric", true, "minComplexCharacters", 3,
                        "maxFailedAttempts", 8, "maxInactivityMinutes", 15, "maxAgeDays", 365, "historyCount", 24)),
                Arguments.of("passcode", Map.of("required", false)),
                Arguments.of("screen_lock", Map.of("timeoutMinutes", 60, "lockOnSleep", true)),
                Arguments.of("restrictions", Map.of("allowCamera", false, "allowBluetooth", false, "allowUsbStorage", false,
                        "allowAppInstallation", false, "allowDeveloperMode", false, "allowAccountChanges", false,
                        "allowCloudBackup", false, "allowFactoryReset", false)),
                Arguments.of("os_update", Map.of("automatic", true, "deferralDays", 90, "installWindowStart", "22:00",
                        "installWindowEnd", "04:00")),
                Arguments.of("encryption", Map.of("required", true, "escrowRecoveryKey", false)),
                Arguments.of("encryption", Map.of("required", false, "escrowRecoveryKey", false)),
                Arguments.of("wifi", Map.of("ssid", "Café Gäste", "security", "WPA3_PERSONAL", "password", "a <secret> & more")),
                Arguments.of("wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS", "certificate", "id")),
                Arguments.of("vpn", Map.of("name", "Office VPN", "type", "IKEV2", "server", "vpn.example.com", "alwaysOn", true,
                        "onDemandDomains", List.of("corp.example.com"))),
                Arguments.of("vpn", Map.of("name", "L2TP", "type", "L2TP", "server", "l2tp.example.com", "sharedSecret", "psk")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("values")
    void installingChangingAndRemovingConformToMicrosoftsCspReference(String type, Map<String, Object> value) {
        CspContract contract = CspContract.microsoft();
        List<CspOperation> install = SettingCsps.install(type, type, value);
        assertThat(contract.violations(install, Edition.ENTERPRISE, false)).as("install").isEmpty();
        // A change is sent to a PC holding the installed value; a removal too.
        List<CspOperation> changed = SettingCsps.change(type, type, value, value, url -> Optional.empty());
        assertThat(contract.violations(concat(install, changed), Edition.ENTERPRISE, false)).as("change").isEmpty();
        assertThat(contract.violations(concat(install, SettingCsps.remove(type, type, value)), Edition.ENTERPRISE, false))
                .as("remove").isEmpty();
    }

    private static List<CspOperation> concat(List<CspOperation> first, List<CspOperation> second) {
        return Stream.concat(first.stream(), second.stream()).toList();
    }
}
