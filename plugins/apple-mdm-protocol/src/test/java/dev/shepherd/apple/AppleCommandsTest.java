package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
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

    private static NSDictionary plist(CommandType type, Map<String, Object> parameters) {
        Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0,
                CommandState.QUEUED, Instant.now(), Optional.empty());
        return AppleCommands.toPlist(command, Optional.empty(), SettingProfiles.Os.IOS).orElseThrow();
    }
}
