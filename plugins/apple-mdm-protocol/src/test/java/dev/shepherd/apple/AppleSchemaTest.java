package dev.shepherd.apple;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The table extracted from Apple's device-management schemas says what the schemas say. */
class AppleSchemaTest {

    @Test
    void eachOsKnowsItsOwnRequestTypes() {
        assertThat(AppleSchema.knownRequestTypes(SettingProfiles.Os.IOS))
                .contains("DeviceLock", "EraseDevice", "EnableLostMode", "InstallProfile", "DeclarativeManagement")
                .doesNotContain("BrewCoffee");
        assertThat(AppleSchema.knownRequestTypes(SettingProfiles.Os.MACOS))
                .contains("DeviceLock", "EraseDevice", "InstallProfile").doesNotContain("EnableLostMode");
    }

    @Test
    void whatAppleMarksSupervisedOnlyOnIosIsListed() {
        assertThat(AppleSchema.supervisedCommands()).contains("EnableLostMode", "RestartDevice", "ShutDownDevice", "DeviceLocation")
                .doesNotContain("DeviceLock", "EraseDevice", "InstallProfile");
        assertThat(AppleSchema.supervisedSettings()).contains("DeviceName", "Bluetooth").doesNotContain("DataRoaming");
        assertThat(AppleSchema.supervisedPayloadKeys("com.apple.applicationaccess"))
                .contains("allowAirDrop", "allowAccountModification", "allowEraseContentAndSettings").doesNotContain("allowCamera");
        assertThat(AppleSchema.supervisedPayloadKeys("com.apple.wifi.managed")).isEmpty();
    }
}
