package dev.shepherd.apple;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which markers the MDM endpoint looks up when a device answers a command: only those the command can have left, told
 * by the command as the kernel recorded it (the same on every node and after a restart), so that most answers cost no
 * plugin storage read at all.
 */
class AnswerMarkersTest {

    private static final UUID ID = UUID.fromString("0190f4c2-7a1b-7000-8000-00000000abcd");

    @Test
    void anAnswerToAProfileALockOrAQueryCanHaveLeftNoMarker() {
        assertThat(possible(command(CommandType.INSTALL_PROFILE, Map.of("settingKey", "wifi-office", "settingType", "wifi",
                "value", Map.of("ssid", "Office"))), false)).isEmpty();
        assertThat(possible(command(CommandType.INSTALL_PROFILE, Map.of("payload", "PD94bWw=")), false)).isEmpty();
        assertThat(possible(command(CommandType.LOCK, Map.of("message", "Call IT")), false)).isEmpty();
        assertThat(possible(command(CommandType.REFRESH_INVENTORY, Map.of("query", "InstalledApplicationList")), false)).isEmpty();
        assertThat(possible(command(CommandType.REMOVE_PROFILE, Map.of("identifier", "com.example.profile")), false)).isEmpty();
    }

    @Test
    void aSettingThatCanBeDeclaredOrItsRemovalMayHaveLeftASyncMarker() {
        // A passcode is declared only when the plugin is set so, and may have been when the command went out.
        assertThat(possible(command(CommandType.INSTALL_PROFILE, Map.of("settingKey", "passcode", "settingType", "passcode")), false))
                .containsExactly(AppleMdmEndpoint.SYNC_COMMAND + ID);
        assertThat(possible(command(CommandType.INSTALL_PROFILE, Map.of("settingKey", "updates", "settingType", "os_update")), false))
                .containsExactly(AppleMdmEndpoint.SYNC_COMMAND + ID);
        assertThat(possible(command(CommandType.REMOVE_PROFILE, Map.of("settingKey", "updates")), false))
                .containsExactly(AppleMdmEndpoint.SYNC_COMMAND + ID);
    }

    @Test
    void theCommandsThatEndManagementOrAnyCommandOfAnEndedDeviceMayHaveLeftTheFinalMarker() {
        assertThat(possible(command(CommandType.WIPE, Map.of()), false)).containsExactly(AppleMdmEndpoint.FINAL_COMMAND + ID);
        assertThat(possible(command(CommandType.ENTERPRISE_WIPE, Map.of()), false)).containsExactly(AppleMdmEndpoint.FINAL_COMMAND + ID);
        assertThat(possible(command(CommandType.LOCK, Map.of()), true)).containsExactly(AppleMdmEndpoint.FINAL_COMMAND + ID);
    }

    @Test
    void onlyARawCommandCanAskForPartOfTheInstalledApps() {
        assertThat(possible(command(CommandType.RAW, Map.of("plist", "<plist/>")), false)).containsExactly(AppleMdmEndpoint.PARTIAL_LIST + ID);
    }

    @Test
    void whatTheKernelDoesNotSayCountsAsAnything() {
        assertThat(AppleMdmEndpoint.markersPossible(Optional.empty(), ID, false)).containsExactlyInAnyOrder(
                AppleMdmEndpoint.SYNC_COMMAND + ID, AppleMdmEndpoint.FINAL_COMMAND + ID, AppleMdmEndpoint.PARTIAL_LIST + ID);
        // A fan-out whose batch row is already gone is recorded without its parameters: they may have been a declaration's.
        assertThat(possible(command(CommandType.INSTALL_PROFILE, Map.of()), false)).containsExactly(AppleMdmEndpoint.SYNC_COMMAND + ID);
    }

    private static List<String> possible(Command command, boolean ended) {
        return AppleMdmEndpoint.markersPossible(Optional.of(command), ID, ended);
    }

    private static Command command(CommandType type, Map<String, Object> parameters) {
        return new Command(ID, DeviceId.random(), type, parameters, 0, CommandState.ACKNOWLEDGED, Instant.parse("2026-12-04T05:00:00Z"),
                Optional.empty());
    }
}
