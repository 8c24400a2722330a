package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AppleCommandsTest {

    @Test
    void settingsBecomeTheSettingsCommandWithTheItemsTheOsHas() {
        Map<String, Object> parameters = Map.of("deviceName", "Front desk iPad", "hostName", "front-desk", "timeZone", "Europe/Paris",
                "dataRoaming", false, "bluetooth", true);

        NSDictionary ios = command(CommandType.SETTINGS, parameters, SettingProfiles.Os.IOS).orElseThrow();
        assertThat(Plists.string(ios, "RequestType")).isEqualTo("Settings");
        NSArray iosItems = (NSArray) ios.objectForKey("Settings");
        assertThat(iosItems.getArray()).extracting(item -> Plists.string((NSDictionary) item, "Item"))
                .containsExactly("DeviceName", "TimeZone", "Bluetooth", "DataRoaming");
        NSDictionary roaming = (NSDictionary) iosItems.objectAtIndex(3);
        assertThat(((NSNumber) roaming.objectForKey("Enabled")).boolValue()).isFalse();
        assertThat(Plists.string((NSDictionary) iosItems.objectAtIndex(0), "DeviceName")).isEqualTo("Front desk iPad");

        NSArray macItems = (NSArray) command(CommandType.SETTINGS, parameters, SettingProfiles.Os.MACOS).orElseThrow().objectForKey("Settings");
        assertThat(macItems.getArray()).extracting(item -> Plists.string((NSDictionary) item, "Item"))
                .as("a Mac has a host name but no cellular radios").containsExactly("DeviceName", "HostName", "TimeZone", "Bluetooth");
    }

    @Test
    void settingsWithNothingTheOsCanApplyHaveNoEquivalent() {
        assertThat(command(CommandType.SETTINGS, Map.of("personalHotspot", true), SettingProfiles.Os.MACOS)).isEmpty();
        assertThat(command(CommandType.SETTINGS, Map.of(), SettingProfiles.Os.IOS)).isEmpty();
    }

    @Test
    void anEnterpriseWipeRemovesTheEnrollmentProfileAndWithItEverythingManaged() {
        NSDictionary wipe = command(CommandType.ENTERPRISE_WIPE, Map.of(), SettingProfiles.Os.IOS).orElseThrow();
        assertThat(Plists.string(wipe, "RequestType")).isEqualTo("RemoveProfile");
        assertThat(Plists.string(wipe, "Identifier")).isEqualTo(EnrollmentProfile.IDENTIFIER);
    }

    @Test
    void anAppStoreIdThatIsNotANumberIsRefusedNotSent() {
        assertThat(command(CommandType.INSTALL_APP, Map.of("appStoreId", "com.example.app"), SettingProfiles.Os.IOS)).isEmpty();
        assertThat(command(CommandType.INSTALL_APP, Map.of("appStoreId", "361309726"), SettingProfiles.Os.IOS)).isPresent();
    }

    @Test
    void onlyAnAppListAskingForSomeAppsOrManagedOnesIsPartial() {
        assertThat(AppleCommands.partialAppList(plist(CommandType.REFRESH_INVENTORY, Map.of("query", "InstalledApplicationList"))))
                .as("every app, managed or not").isFalse();
        assertThat(AppleCommands.partialAppList(raw("<key>Identifiers</key><array><string>com.example.app</string></array>"))).isTrue();
        assertThat(AppleCommands.partialAppList(raw("<key>ManagedAppsOnly</key><true/>"))).isTrue();
        assertThat(AppleCommands.partialAppList(raw("<key>Identifiers</key><array/>"))).as("no identifiers: every app").isFalse();
        assertThat(AppleCommands.partialAppList(plist(CommandType.REFRESH_INVENTORY, Map.of()))).isFalse();
    }

    @Test
    void userEnrollmentForbidsWhatApplesSchemasForbidPerOs() {
        NSDictionary restart = plist(CommandType.RESTART, Map.of());
        NSDictionary lock = plist(CommandType.LOCK, Map.of());
        assertThat(AppleCommands.allowedInUserEnrollment(restart, SettingProfiles.Os.IOS)).isFalse();
        assertThat(AppleCommands.allowedInUserEnrollment(lock, SettingProfiles.Os.IOS)).isTrue();
        assertThat(AppleCommands.allowedInUserEnrollment(lock, SettingProfiles.Os.MACOS)).isFalse();
        assertThat(AppleCommands.allowedInUserEnrollment(plist(CommandType.REFRESH_INVENTORY, Map.of()), SettingProfiles.Os.MACOS)).isTrue();
    }

    private static NSDictionary raw(String keys) {
        return plist(CommandType.RAW, Map.of("plist", "<plist version=\"1.0\"><dict><key>Command</key><dict>"
                + "<key>RequestType</key><string>InstalledApplicationList</string>" + keys + "</dict></dict></plist>"));
    }

    /** The whole command envelope, as sent. */
    private static NSDictionary plist(CommandType type, Map<String, Object> parameters) {
        Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0,
                CommandState.QUEUED, Instant.now(), Optional.empty());
        return AppleCommands.toPlist(command, Optional.empty(), SettingProfiles.Os.IOS, name -> Optional.empty()).orElseThrow();
    }

    private static Optional<NSDictionary> command(CommandType type, Map<String, Object> parameters, SettingProfiles.Os os) {
        Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0, CommandState.QUEUED, Instant.now(),
                Optional.empty());
        return AppleCommands.toPlist(command, Optional.empty(), os, name -> Optional.empty()).map(envelope -> (NSDictionary) envelope.objectForKey("Command"));
    }
}
