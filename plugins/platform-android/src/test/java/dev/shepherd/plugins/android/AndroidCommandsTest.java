package dev.shepherd.plugins.android;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.google.discovery.DiscoveryContract;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernel commands as the Android Management API carries them out. */
class AndroidCommandsTest {

    private final AndroidCommands commands = new AndroidCommands();

    @Test
    void deviceCommandsBecomeAmapiCommands() {
        assertThat(issued(CommandType.LOCK, Map.of(), false)).isEqualTo("{\"type\":\"LOCK\"}");
        assertThat(issued(CommandType.RESTART, Map.of(), false)).isEqualTo("{\"type\":\"REBOOT\"}");
        assertThat(issued(CommandType.RESET_PASSCODE, Map.of("passcode", "135790"), false))
                .isEqualTo("{\"type\":\"RESET_PASSWORD\",\"newPassword\":\"135790\",\"resetPasswordFlags\":[\"REQUIRE_ENTRY\"]}");
        assertThat(issued(CommandType.CLEAR_PASSCODE, Map.of(), false)).isEqualTo("{\"type\":\"RESET_PASSWORD\"}");
        assertThat(issued(CommandType.LOST_MODE_ON, Map.of("message", "Lost", "phoneNumber", "+44 20 7946 0000"), false))
                .isEqualTo("{\"type\":\"START_LOST_MODE\",\"startLostModeParams\":{\"lostMessage\":{\"defaultMessage\":\"Lost\"},"
                        + "\"lostPhoneNumber\":{\"defaultMessage\":\"+44 20 7946 0000\"}}}");
        assertThat(issued(CommandType.LOST_MODE_OFF, Map.of(), false)).isEqualTo("{\"type\":\"STOP_LOST_MODE\",\"stopLostModeParams\":{}}");
        assertThat(issued(CommandType.RAW, Map.of("command", Map.of("type", "CLEAR_APP_DATA",
                "clearAppsDataParams", Map.of("packageNames", List.of("com.example.mail")))), false))
                .contains("\"CLEAR_APP_DATA\"").contains("com.example.mail");
        assertThat(issued(CommandType.RAW, Map.of("command", Map.of("type", "RELINQUISH_OWNERSHIP")), false)).contains("RELINQUISH_OWNERSHIP");
    }

    @Test
    void aCommandsDurationIsSentInGooglesDurationFormat() {
        assertThat(issued(CommandType.LOCK, Map.of("duration", "PT10M"), false)).isEqualTo("{\"type\":\"LOCK\",\"duration\":\"600s\"}");
        assertThat(issued(CommandType.LOCK, Map.of("duration", 90), false)).isEqualTo("{\"type\":\"LOCK\",\"duration\":\"90s\"}");
        assertThat(issued(CommandType.LOCK, Map.of("duration", "600s"), false)).isEqualTo("{\"type\":\"LOCK\",\"duration\":\"600s\"}");
        assertThat(issued(CommandType.RESTART, Map.of("duration", "PT1H30M"), false)).isEqualTo("{\"type\":\"REBOOT\",\"duration\":\"5400s\"}");
        assertThat(commands.translate(command(CommandType.LOCK, Map.of("duration", "ten minutes")), false))
                .isInstanceOf(AndroidCommands.Refuse.class)
                .satisfies(refuse -> assertThat(((AndroidCommands.Refuse) refuse).reason()).contains("duration"));
        assertThat(commands.translate(command(CommandType.LOCK, Map.of("duration", "-PT1M")), false)).isInstanceOf(AndroidCommands.Refuse.class);
    }

    @Test
    void aNewPasswordMeetsAndroidsMinimumOrIsRefused() {
        assertThat(commands.translate(command(CommandType.RESET_PASSCODE, Map.of("passcode", "1357")), false))
                .as("Android 14 refuses numeric passwords shorter than 6").isInstanceOf(AndroidCommands.Refuse.class)
                .satisfies(refuse -> assertThat(((AndroidCommands.Refuse) refuse).reason()).contains("6"));
        assertThat(commands.translate(command(CommandType.RESET_PASSCODE, Map.of("passcode", "ab1")), false))
                .as("no Android accepts a password shorter than 4").isInstanceOf(AndroidCommands.Refuse.class);
        assertThat(issued(CommandType.RESET_PASSCODE, Map.of("passcode", "ab1c"), false)).contains("\"newPassword\":\"ab1c\"");
        assertThat(issued(CommandType.RESET_PASSCODE, Map.of("passcode", "135790"), false)).contains("\"newPassword\":\"135790\"");
        assertThat(commands.translate(command(CommandType.RAW, Map.of("command", Map.of("type", "RESET_PASSWORD", "newPassword", "12"))), false))
                .isInstanceOf(AndroidCommands.Refuse.class);
    }

    @Test
    void rawCommandsAreLimitedToTheTypesOfTheApiRevisionCheckedAgainst() {
        assertThat(commands.translate(command(CommandType.RAW, Map.of("command", Map.of("type", "REQUEST_DEVICE_INFO"))), false))
                .as("not a Command type of androidmanagement v1 rev 20240808").isInstanceOf(AndroidCommands.Refuse.class);
    }

    @Test
    void aWipeResetsAFullyManagedDeviceAndAnEnterpriseWipeRemovesOnlyAWorkProfile() {
        assertThat(commands.translate(command(CommandType.WIPE, Map.of("preserveResetProtection", true, "message", "Stolen")), false))
                .isEqualTo(new AndroidCommands.Delete(List.of("PRESERVE_RESET_PROTECTION_DATA"), Optional.of("Stolen")));
        assertThat(commands.translate(command(CommandType.WIPE, Map.of()), true)).isInstanceOf(AndroidCommands.Refuse.class);
        assertThat(commands.translate(command(CommandType.ENTERPRISE_WIPE, Map.of()), true))
                .isEqualTo(new AndroidCommands.Delete(List.of(), Optional.empty()));
        assertThat(commands.translate(command(CommandType.ENTERPRISE_WIPE, Map.of()), false)).isInstanceOf(AndroidCommands.Refuse.class);
    }

    @Test
    void whatAndroidCannotDoIsRefusedWithTheReason() {
        assertThat(commands.translate(command(CommandType.SHUT_DOWN, Map.of()), false))
                .isEqualTo(new AndroidCommands.Refuse("the Android Management API has no equivalent of SHUT_DOWN"));
        assertThat(commands.translate(command(CommandType.RESET_PASSCODE, Map.of()), false)).isInstanceOf(AndroidCommands.Refuse.class);
        assertThat(commands.translate(command(CommandType.LOST_MODE_ON, Map.of("organization", "ACME")), false))
                .isInstanceOf(AndroidCommands.Refuse.class);
        assertThat(commands.translate(command(CommandType.RAW, Map.of("command", Map.of("type", "WIPE"))), false))
                .isInstanceOf(AndroidCommands.Refuse.class);
        assertThat(commands.translate(command(CommandType.REFRESH_INVENTORY, Map.of()), false)).isInstanceOf(AndroidCommands.Refresh.class);
    }

    /** The command as issued, after checking it against Google's discovery document as Google would. */
    private String issued(CommandType type, Map<String, Object> parameters, boolean workProfile) {
        AndroidCommands.Action action = commands.translate(command(type, parameters), workProfile);
        assertThat(action).isInstanceOf(AndroidCommands.Issue.class);
        String body = ((AndroidCommands.Issue) action).command().toString();
        assertThat(GOOGLE.check("POST", "/v1/enterprises/LC01/devices/3a:issueCommand", body)).as(body).isEmpty();
        return body;
    }

    private static final DiscoveryContract GOOGLE = DiscoveryContract.androidManagement();

    private static Command command(CommandType type, Map<String, Object> parameters) {
        return new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0, CommandState.SENT, Instant.now(), Optional.empty());
    }
}
