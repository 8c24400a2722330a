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
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceFilter;
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

/**
 * Retiring and wiping through a real Derby store: status at once, open work cancelled, the final command alone handed
 * out; and however a WIPE or ENTERPRISE_WIPE is issued (one device, a fan-out, a remediation) it ends management so.
 */
class ManagementEndingsTest {

    @TempDir
    Path home;
    private TestKernel test;
    private CommandService commands;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
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

        ManagementEnding ended = commands.endManagement(ADMIN, device, false, "returned").orElseThrow();

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
        commands.setFinalCommands((device, wipe) -> Optional.of(new ManagementEnd(CommandType.RAW, Map.of("wipe", wipe))));
        DeviceId device = test.enrollId(Platform.ANDROID, "WIPE");

        assertThat(commands.endManagement(ADMIN, device, true, "stolen").orElseThrow().finalCommand().orElseThrow().command().parameters())
                .containsEntry("wipe", true);
        assertThat(commands.endManagement(ADMIN, device, true, "again").orElseThrow().finalCommand()).isEmpty();
        assertThat(commands.take(device, 10)).singleElement().satisfies(command -> assertThat(command.type()).isEqualTo(CommandType.RAW));
        assertThatThrownBy(() -> commands.endManagement(ADMIN, device, false, "retire instead")).isInstanceOf(DeviceConflictException.class);
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
    }

    @Test
    void aPersonalDeviceCannotBeWipedAndANeverEnrolledOneIsRetiredWithoutACommand() {
        DeviceId personal = test.enroll(Platform.IOS, "BYOD", Ownership.PERSONAL).device().id();
        assertThatThrownBy(() -> commands.endManagement(ADMIN, personal, true, "wipe")).isInstanceOf(DeviceConflictException.class)
                .hasMessageContaining("retire");
        assertThat(test.kernel().devices().get(personal).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);

        DeviceId pending = test.kernel().devices().importDevices(ADMIN, List.of(new DeviceImport(Platform.IOS, "SERIAL-P", "iPhone", "",
                Ownership.CORPORATE, Map.of("serial", "SERIAL-P"), Set.of()))).get(0);
        assertThat(commands.endManagement(ADMIN, pending, false, "never arrived").orElseThrow().finalCommand()).isEmpty();
        assertThat(commands.endManagement(ADMIN, DeviceId.random(), false, "nobody")).isEmpty();
    }

    @Test
    void aWipeCommandToOneDeviceWipesItAndReturnsItsFinalCommandWithTheAdminsParameters() {
        DeviceId device = test.enrollId(Platform.MACOS, "ERASE");
        CommandRecord lock = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));

        CommandRecord erase = commands.issue(ADMIN, device, new CommandRequest(CommandType.WIPE, Map.of("pin", "123456"), 0, Optional.empty()));

        assertThat(erase.command().type()).isEqualTo(CommandType.WIPE);
        assertThat(erase.command().parameters()).containsEntry("pin", "123456");
        assertThat(erase.command().priority()).isEqualTo(100);
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(commands.get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        // A wiped device is handed only what is marked as ending its management.
        assertThat(commands.take(device, 10)).extracting(Command::id).containsExactly(erase.command().id());
        assertThat(endingsAudited(device)).extracting(AuditEntry::action).containsExactly("device.wipe");
        assertThatThrownBy(() -> commands.issue(ADMIN, device, CommandRequest.of(CommandType.WIPE)))
                .isInstanceOf(CommandRefusedException.class).hasMessageContaining("wiped");
    }

    @Test
    void anEnterpriseWipeCommandRetiresAndThePlatformMayEndWithAnotherCommand() {
        commands.setFinalCommands((device, wipe) -> Optional.of(new ManagementEnd(CommandType.RAW, Map.of("action", "deprovision"))));
        DeviceId personal = test.enroll(Platform.CHROMEOS, "BYOD-CHROME", Ownership.PERSONAL).device().id();

        CommandRecord deprovision = commands.issue(ADMIN, personal, new CommandRequest(CommandType.ENTERPRISE_WIPE, Map.of("ignored", true), 0,
                Optional.empty()));

        assertThat(deprovision.command().type()).isEqualTo(CommandType.RAW);
        assertThat(deprovision.command().parameters()).isEqualTo(Map.of("action", "deprovision"));
        assertThat(test.kernel().devices().get(personal).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(endingsAudited(personal)).extracting(AuditEntry::action).containsExactly("device.retire");
    }

    @Test
    void anEnterpriseWipeFanOutOverAGroupRetiresEachMemberAsItsRowIsWritten() {
        DeviceId corporate = test.enrollId(Platform.IOS, "GROUP-1");
        DeviceId personal = test.enroll(Platform.IOS, "GROUP-2", Ownership.PERSONAL).device().id();
        DeviceId outsider = test.enrollId(Platform.IOS, "OUTSIDE");
        String group = test.kernel().groups().create(ADMIN, "Leavers", "", Optional.empty()).id();
        test.kernel().groups().addMembers(ADMIN, group, List.of(corporate, personal));
        CommandRecord corporateLock = commands.issue(ADMIN, corporate, CommandRequest.of(CommandType.LOCK));
        CommandRecord personalLock = commands.issue(ADMIN, personal, CommandRequest.of(CommandType.LOCK));
        CommandRecord outsiderLock = commands.issue(ADMIN, outsider, CommandRequest.of(CommandType.LOCK));

        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Matching(DeviceFilter.builder().groupId(group).build()),
                CommandRequest.of(CommandType.ENTERPRISE_WIPE), "group Leavers");
        // Nothing has ended before the batch's rows are written.
        assertThat(test.kernel().devices().get(corporate).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(commands.materializePending()).isEqualTo(2);

        for (DeviceId member : List.of(corporate, personal)) {
            assertThat(test.kernel().devices().get(member).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
            assertThat(endingsAudited(member)).extracting(AuditEntry::action).containsExactly("device.retire");
            assertThat(commands.take(member, 10)).singleElement().satisfies(last -> {
                assertThat(last.type()).isEqualTo(CommandType.ENTERPRISE_WIPE);
                assertThat(commands.get(last.id()).orElseThrow().batchId()).contains(batch.id());
            });
        }
        assertThat(commands.get(corporateLock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        assertThat(commands.get(personalLock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        assertThat(commands.batch(batch.id()).orElseThrow().states()).containsEntry(CommandState.SENT, 2);
        assertThat(test.kernel().devices().get(outsider).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(commands.take(outsider, 10)).extracting(Command::id).containsExactly(outsiderLock.command().id());
    }

    @Test
    void aWipeFanOutTargetThatCannotBeWipedAnyMoreIsRecordedFailedWithTheReason() {
        DeviceId kept = test.enrollId(Platform.IOS, "WIPE-1");
        DeviceId retiredMeanwhile = test.enrollId(Platform.IOS, "WIPE-2");
        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(kept, retiredMeanwhile)),
                CommandRequest.of(CommandType.WIPE), "two");
        commands.endManagement(ADMIN, retiredMeanwhile, false, "returned before the fan-out reached it");

        commands.materializePending();

        assertThat(test.kernel().devices().get(kept).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(test.kernel().devices().get(retiredMeanwhile).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(commands.history(retiredMeanwhile, Optional.empty(), 10)).filteredOn(record -> record.batchId().isPresent())
                .singleElement().satisfies(refused -> {
                    assertThat(refused.command().state()).isEqualTo(CommandState.FAILED);
                    assertThat(refused.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("already retired"));
                });
        assertThat(commands.batch(batch.id()).orElseThrow().states())
                .containsEntry(CommandState.QUEUED, 1).containsEntry(CommandState.FAILED, 1);
        assertThat(commands.take(retiredMeanwhile, 10)).extracting(Command::type).containsExactly(CommandType.ENTERPRISE_WIPE);
    }

    @Test
    void aDeviceAskingForWorkBeforeTheBackgroundWriterIsWipedThenAndHandedTheErase() {
        DeviceId device = test.enrollId(Platform.IOS, "EAGER");
        commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(device)), CommandRequest.of(CommandType.WIPE), "one");

        assertThat(commands.take(device, 10)).extracting(Command::type).containsExactly(CommandType.WIPE);
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(commands.materializePending()).isZero();
    }

    private List<AuditEntry> endingsAudited(DeviceId device) {
        return test.kernel().audit().read(AuditFilter.ALL, 0, 1000).stream()
                .filter(entry -> entry.targetId().equals(device.toString()))
                .filter(entry -> entry.action().equals("device.wipe") || entry.action().equals("device.retire")).toList();
    }
}
