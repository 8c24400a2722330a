package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retiring and wiping through a real Derby store: status at once, open work cancelled, the final command alone handed out. */
class ManagementEndingsTest {

    @TempDir
    Path home;
    private TestKernel test;
    private ManagementEndings endings;
    private CommandService commands;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        endings = test.kernel().managementEndings();
        commands = test.kernel().commands();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aRetiredDeviceIsHandedItsFinalCommandAndNothingElse() {
        DeviceId device = test.enrollId(Platform.IOS, "RETIRE");
        CommandRecord lock = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));

        ManagementEndings.Ended ended = endings.end(ADMIN, device, false, "returned").orElseThrow();

        assertThat(ended.device().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(commands.get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        List<Command> handed = commands.take(device, 10);
        assertThat(handed).extracting(Command::type).containsExactly(CommandType.ENTERPRISE_WIPE);
        assertThat(handed.get(0).id()).isEqualTo(ended.finalCommand().orElseThrow().command().id());
        commands.report(device, new CommandResult(handed.get(0).id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        assertThat(commands.take(device, 10)).isEmpty();
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
    }

    @Test
    void thePlatformChoosesTheFinalCommandAndAskingTwiceChangesNothing() {
        endings.setPlatforms((device, wipe) -> Optional.of(new ManagementEnd(CommandType.RAW, Map.of("wipe", wipe))));
        DeviceId device = test.enrollId(Platform.ANDROID, "WIPE");

        assertThat(endings.end(ADMIN, device, true, "stolen").orElseThrow().finalCommand().orElseThrow().command().parameters())
                .containsEntry("wipe", true);
        assertThat(endings.end(ADMIN, device, true, "again").orElseThrow().finalCommand()).isEmpty();
        assertThat(commands.take(device, 10)).singleElement().satisfies(command -> assertThat(command.type()).isEqualTo(CommandType.RAW));
        assertThatThrownBy(() -> endings.end(ADMIN, device, false, "retire instead")).isInstanceOf(DeviceConflictException.class);
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
    }

    @Test
    void aPersonalDeviceCannotBeWipedAndANeverEnrolledOneIsRetiredWithoutACommand() {
        DeviceId personal = test.enroll(Platform.IOS, "BYOD", Ownership.PERSONAL).device().id();
        assertThatThrownBy(() -> endings.end(ADMIN, personal, true, "wipe")).isInstanceOf(DeviceConflictException.class)
                .hasMessageContaining("retire");
        assertThat(test.kernel().devices().get(personal).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);

        DeviceId pending = test.kernel().devices().importDevices(ADMIN, List.of(new DeviceImport(Platform.IOS, "SERIAL-P", "iPhone", "",
                Ownership.CORPORATE, Map.of("serial", "SERIAL-P"), Set.of()))).get(0);
        assertThat(endings.end(ADMIN, pending, false, "never arrived").orElseThrow().finalCommand()).isEmpty();
        assertThat(endings.end(ADMIN, DeviceId.random(), false, "nobody")).isEmpty();
    }
}
