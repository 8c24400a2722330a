package dev.shepherd.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.StoreUse;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The command queue through a real Derby store, driven as a platform plugin drives it. */
class CommandServiceTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private TestKernel test;
    private CommandService commands;
    private final List<DeviceId> woken = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        test = TestKernel.open(home, clock);
        commands = test.kernel().commands();
        commands.setWaker((devices, batch) -> woken.addAll(devices));
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aCommandIsQueuedHandedOutAndAcknowledgedAndTheDeviceIsWoken() {
        DeviceId device = test.enrollId(Platform.IOS, "A");

        CommandRecord issued = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCK,
                Map.of("message", "Call IT", "phoneNumber", "+1 555 0100"), 0, Optional.empty()));

        assertThat(issued.command().state()).isEqualTo(CommandState.QUEUED);
        assertThat(woken).containsExactly(device);
        List<Command> handed = commands.take(device, 10);
        assertThat(handed).singleElement().satisfies(command -> {
            assertThat(command.id()).isEqualTo(issued.command().id());
            assertThat(command.state()).isEqualTo(CommandState.SENT);
            assertThat(command.parameters()).containsEntry("message", "Call IT");
        });

        CommandRecord done = commands.report(device, new CommandResult(issued.command().id(), CommandState.ACKNOWLEDGED,
                Map.of("locked", true), Optional.empty()));

        assertThat(done.command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(done.completedAt()).isPresent();
        assertThat(done.result()).containsEntry("locked", true);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(commands.take(device, 10)).isEmpty();
        assertThat(test.kernel().audit().read(AuditFilter.ALL.withTarget("device", device.toString()), 0, 10))
                .extracting(AuditEntry::action).contains("command.issue");
    }

    @Test
    void aTakeReadsItsDevicesStatusByTheDevicesKeyNotByReadingEveryDevice() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.DERBY, "the plan of embedded Derby, which chose a hash join here");
        List<DeviceId> fleet = new ArrayList<>();
        for (int index = 0; index < 200; index++) {
            fleet.add(test.enrollId(Platform.IOS, "plan-" + index));
        }
        // Queues of 50 commands each: the command table is large beside the device table, as in a fleet at work.
        for (int round = 0; round < 50; round++) {
            commands.issueToMany(ADMIN, new CommandTargets.Listed(fleet), CommandRequest.of(CommandType.REFRESH_INVENTORY), "round " + round);
        }
        while (commands.materializePending() > 0) {
            // the background writer's work, done here
        }
        DeviceId device = fleet.get(100);

        String plan;
        int offered = 0;
        try (Connection connection = test.kernel().transactions().dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statistics = connection.createStatement()) {
                statistics.execute("CALL SYSCS_UTIL.SYSCS_SET_RUNTIMESTATISTICS(1)");
                try (PreparedStatement probe = connection.prepareStatement(CommandService.probeStatement(Dialect.DERBY, 10))) {
                    probe.setString(1, device.toString());
                    probe.setString(2, device.toString());
                    probe.setTimestamp(3, Timestamp.from(clock.instant()));
                    try (ResultSet rows = probe.executeQuery()) {
                        while (rows.next()) {
                            offered++;
                        }
                    }
                }
                try (ResultSet rows = statistics.executeQuery("VALUES SYSCS_UTIL.SYSCS_GET_RUNTIMESTATISTICS()")) {
                    rows.next();
                    plan = rows.getString(1);
                }
                statistics.execute("CALL SYSCS_UTIL.SYSCS_SET_RUNTIMESTATISTICS(0)");
            } finally {
                connection.rollback();
            }
        }

        assertThat(offered).isEqualTo(10);
        // One probe of the device's primary key per offered command, never a hash table built from all 200 devices.
        assertThat(plan).doesNotContain("Hash Scan ResultSet for DEVICE").contains("Index Scan ResultSet for DEVICE using constraint PK_DEVICE");
    }

    @Test
    void anAnswerAndTheNextCommandHandedOutWithItAreOneCommit() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID first = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();
        UUID second = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        commands.take(device, 1);
        List<CommandRecord> seen = new CopyOnWriteArrayList<>();
        String thisThread = Thread.currentThread().getName();
        StoreUse.Counts before = test.storeUse().of(thisThread::equals);

        CommandService.AnswerAndNext done = commands.reportAndTake(device, new CommandResult(first, CommandState.ACKNOWLEDGED,
                Map.of("locked", true), Optional.empty()), answered -> seen.add(answered), 1);

        assertThat(test.storeUse().of(thisThread::equals).since(before).commits()).isEqualTo(1);
        assertThat(seen).singleElement().satisfies(answered -> {
            assertThat(answered.command().id()).isEqualTo(first);
            assertThat(answered.command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        });
        assertThat(done.answered().result()).containsEntry("locked", true);
        assertThat(done.next()).hasValueSatisfying(next -> assertThat(next).singleElement().satisfies(command -> {
            assertThat(command.id()).isEqualTo(second);
            assertThat(command.state()).isEqualTo(CommandState.SENT);
        }));
        assertThat(commands.get(first).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(commands.get(second).orElseThrow().command().state()).isEqualTo(CommandState.SENT);
        assertThat(commands.get(second).orElseThrow().attempts()).isEqualTo(1);
    }

    @Test
    void anAnswerWhoseCommandSaysNotToGoOnHandsOutNothing() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID first = commands.issue(ADMIN, device, CommandRequest.of(CommandType.RESTART)).command().id();
        UUID second = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();
        commands.take(device, 1);

        CommandService.AnswerAndNext done = commands.reportAndTake(device, new CommandResult(first, CommandState.ACKNOWLEDGED,
                Map.of(), Optional.empty()), answered -> answered.command().type() != CommandType.RESTART, 1);

        assertThat(done.answered().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(done.next()).isEmpty();
        assertThat(commands.get(second).orElseThrow().command().state()).isEqualTo(CommandState.QUEUED);
        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(second);
    }

    @Test
    void anAnswerForAnotherDevicesCommandRecordsAndHandsOutNothing() {
        DeviceId owner = test.enrollId(Platform.IOS, "OWNER");
        DeviceId other = test.enrollId(Platform.IOS, "OTHER");
        UUID owners = commands.issue(ADMIN, owner, CommandRequest.of(CommandType.LOCK)).command().id();
        UUID others = commands.issue(ADMIN, other, CommandRequest.of(CommandType.LOCK)).command().id();
        commands.take(owner, 1);

        assertThatThrownBy(() -> commands.reportAndTake(other, new CommandResult(owners, CommandState.ACKNOWLEDGED, Map.of(),
                Optional.empty()), answered -> true, 1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(commands.get(owners).orElseThrow().command().state()).isEqualTo(CommandState.SENT);
        assertThat(commands.get(others).orElseThrow().command().state()).isEqualTo(CommandState.QUEUED);
    }

    @Test
    void aRetiredDeviceAnsweringIsHandedOnlyTheCommandThatEndsItsManagement() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID lock = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();
        commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        commands.take(device, 1);
        UUID last = commands.endManagement(ADMIN, device, true, "lost").orElseThrow().finalCommand().orElseThrow().command().id();

        CommandService.AnswerAndNext done = commands.reportAndTake(device, new CommandResult(lock, CommandState.ACKNOWLEDGED,
                Map.of(), Optional.empty()), answered -> true, 5);

        assertThat(done.next()).hasValueSatisfying(next -> assertThat(next).extracting(Command::id).containsExactly(last));
    }

    @Test
    void answersAreIdempotentAndAFinalStateNeverChanges() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID id = commands.issue(ADMIN, device, CommandRequest.of(CommandType.RESTART)).command().id();
        commands.take(device, 1);

        commands.report(device, new CommandResult(id, CommandState.FAILED, Map.of(), Optional.of("MDM is busy")));
        CommandRecord repeated = commands.report(device, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));

        assertThat(repeated.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(repeated.errorReason()).hasValue("MDM is busy");
    }

    @Test
    void onlyTheCommandsOwnDeviceMayAnswerIt() {
        DeviceId owner = test.enrollId(Platform.IOS, "OWNER");
        DeviceId other = test.enrollId(Platform.IOS, "OTHER");
        UUID id = commands.issue(ADMIN, owner, CommandRequest.of(CommandType.WIPE)).command().id();

        assertThat(commands.take(other, 10)).isEmpty();
        assertThatThrownBy(() -> commands.report(other, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> commands.report(owner, new CommandResult(UUID.randomUUID(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(commands.get(id).orElseThrow().command().state()).isEqualTo(CommandState.QUEUED);
    }

    @Test
    void higherPriorityGoesFirstThenQueueOrder() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID first = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        UUID second = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        UUID urgent = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCK, Map.of(), 50, Optional.empty())).command().id();

        assertThat(commands.take(device, 10)).extracting(Command::id).containsExactly(urgent, first, second);
    }

    @Test
    void commandsHandedOutButUnansweredAndQueuedOnesAreHandedOutTogetherInPriorityThenQueueOrder() throws Exception {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID deferred = commands.issue(ADMIN, device, new CommandRequest(CommandType.OS_UPDATE, Map.of(), 90, Optional.empty())).command().id();
        UUID unanswered = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(deferred);
        commands.report(device, new CommandResult(deferred, CommandState.NOT_NOW, Map.of(), Optional.empty()));
        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(unanswered);
        UUID queued = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        UUID urgent = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCK, Map.of(), 50, Optional.empty())).command().id();
        UUID expiring = commands.issue(ADMIN, device, new CommandRequest(CommandType.RESTART, Map.of(), 60, Optional.of(Duration.ofMinutes(1))))
                .command().id();
        UUID last = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        clock.advance(Duration.ofMinutes(2));

        // The limit applies to both states together: the unanswered command keeps its place before younger ones.
        assertThat(commands.take(device, 2)).extracting(Command::id).containsExactly(urgent, unanswered);
        assertThat(commands.take(device, 10)).extracting(Command::id).containsExactly(urgent, unanswered, queued, last);

        assertThat(commands.get(deferred).orElseThrow().command().state()).isEqualTo(CommandState.NOT_NOW);
        assertThat(commands.get(expiring).orElseThrow().command().state()).isEqualTo(CommandState.QUEUED);
        assertThat(commands.get(urgent).orElseThrow().attempts()).isEqualTo(2);
        // Webhooks hear of each command being sent once, however often it is handed out again.
        assertThat(sentEvents()).containsEntry(urgent.toString(), 1).containsEntry(unanswered.toString(), 1)
                .containsEntry(queued.toString(), 1).containsEntry(last.toString(), 1).doesNotContainKey(expiring.toString());
    }

    @Test
    void anExpiredCommandAtTheHeadOfTheQueueDoesNotHideTheOneBehindIt() {
        DeviceId device = test.enrollId(Platform.IOS, "B");
        UUID expiring = commands.issue(ADMIN, device, new CommandRequest(CommandType.RESTART, Map.of(), 90, Optional.of(Duration.ofMinutes(1))))
                .command().id();
        UUID waiting = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        clock.advance(Duration.ofMinutes(2));

        // Before the expiry job has run: one command asked for, the live one handed out.
        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(waiting);
        assertThat(commands.get(expiring).orElseThrow().command().state()).isEqualTo(CommandState.QUEUED);
    }

    @Test
    void severalCommandsForOneDeviceAreQueuedTogetherEachCheckedWithThePlatformAndTheDeviceIsWokenOnce() throws Exception {
        DeviceId device = test.enrollId(Platform.IOS, "BULK");
        commands.setPlatformCheck((target, command) -> "unsupported".equals(command.parameters().get("payload"))
                ? Optional.of("iOS has no such payload") : Optional.empty());
        // A time with nanoseconds, which neither engine keeps all of.
        clock.advance(Duration.ofNanos(123_456_789));
        Map<String, Object> nested = new HashMap<>();
        nested.put("count", 3L);
        nested.put("ratio", 0.5);
        nested.put("names", List.of("a", "b"));
        List<CommandRequest> requests = List.of(
                new CommandRequest(CommandType.INSTALL_PROFILE, Map.of("payload", "wifi", "value", nested), 0, Optional.empty()),
                new CommandRequest(CommandType.INSTALL_PROFILE, Map.of("payload", "unsupported"), 0, Optional.empty()),
                new CommandRequest(CommandType.RESTART, Map.of(), 5, Optional.of(Duration.ofNanos(3_600_000_000_001L))));

        List<IssueOutcome> outcomes = test.kernel().transactions().inTransaction("queue several", tx ->
                commands.issueAll(tx, ADMIN, test.kernel().devices().get(tx, device).orElseThrow(), requests));

        assertThat(outcomes).hasSize(3);
        assertThat(outcomes.get(1)).isEqualTo(new IssueOutcome.Refused(requests.get(1), "iOS has no such payload"));
        List<CommandRecord> queued = List.of(((IssueOutcome.Queued) outcomes.get(0)).command(), ((IssueOutcome.Queued) outcomes.get(2)).command());
        for (CommandRecord record : queued) {
            assertThat(record).as("the record built without reading the row back is the row as read")
                    .isEqualTo(commands.get(record.command().id()).orElseThrow());
            assertThat(record.command().state()).isEqualTo(CommandState.QUEUED);
        }
        assertThat(commands.history(device, Optional.empty(), 10)).hasSize(2);
        assertThat(stateEvents(CommandState.QUEUED)).containsExactlyInAnyOrderElementsOf(queued.stream().map(record -> record.command().id().toString()).toList());
        assertThat(woken).as("one wake for the device").containsExactly(device);
        assertThat(commands.take(device, 10)).extracting(Command::type).containsExactly(CommandType.RESTART, CommandType.INSTALL_PROFILE);
    }

    @Test
    void issuingOneCommandInATransactionRefusesWhatThePlatformCannotDoAndAnUnknownDevice() {
        DeviceId device = test.enrollId(Platform.WINDOWS, "PC-TX");
        commands.setPlatformCheck((target, command) -> command.type() == CommandType.LOST_MODE_ON
                ? Optional.of("LOST_MODE_ON has no equivalent on " + target.platform()) : Optional.empty());

        assertThatThrownBy(() -> test.kernel().transactions().inTransaction("queue one", tx ->
                commands.issue(tx, ADMIN, device, CommandRequest.of(CommandType.LOST_MODE_ON))))
                .isInstanceOf(CommandNotSupportedException.class).hasMessage("LOST_MODE_ON has no equivalent on windows");
        assertThatThrownBy(() -> test.kernel().transactions().inTransaction("queue one", tx ->
                commands.issue(tx, ADMIN, DeviceId.random(), CommandRequest.of(CommandType.LOCK))))
                .isInstanceOf(CommandRefusedException.class).hasMessageStartingWith("no device");
        CommandRecord lock = test.kernel().transactions().inTransaction("queue one", tx ->
                commands.issue(tx, ADMIN, device, CommandRequest.of(CommandType.LOCK)));
        assertThat(lock).isEqualTo(commands.get(lock.command().id()).orElseThrow());
        assertThat(woken).containsExactly(device);
    }

    /** The command ids of the {@code command.state_changed} events with this state, one per event. */
    private List<String> stateEvents(CommandState state) throws Exception {
        List<String> commandIds = new ArrayList<>();
        try (Connection connection = test.kernel().transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT data FROM event_log WHERE event_type = ?")) {
            select.setString(1, EventTypes.COMMAND_STATE_CHANGED);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    JsonNode data = new ObjectMapper().readTree(rows.getString(1));
                    if (data.path("state").asText().equals(state.name())) {
                        commandIds.add(data.path("commandId").asText());
                    }
                }
            }
        }
        return commandIds;
    }

    /** How many {@code command.state_changed} events with state SENT each command has. */
    private Map<String, Integer> sentEvents() throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (String commandId : stateEvents(CommandState.SENT)) {
            counts.merge(commandId, 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void onPostgresqlTwoNodesTakingForOneDeviceAtOnceNeverHandOutTheSameCommand() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL, "the claim skips locked rows on PostgreSQL; embedded Derby serves one node");
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID first = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();
        UUID second = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService otherNode = Executors.newSingleThreadExecutor();
        try {
            // One node is in the middle of handing out the device's next command: its transaction holds the claim.
            Future<List<Command>> handedThere = otherNode.submit(() -> test.kernel().transactions().inTransaction("take", tx -> {
                List<Command> handed = commands.take(tx, device, 1);
                claimed.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return handed;
            }));
            assertThat(claimed.await(30, TimeUnit.SECONDS)).isTrue();

            List<Command> handedHere = commands.take(device, 1);
            release.countDown();

            assertThat(handedThere.get(30, TimeUnit.SECONDS)).extracting(Command::id).containsExactly(first);
            assertThat(handedHere).extracting(Command::id).containsExactly(second);
        } finally {
            release.countDown();
            otherNode.shutdownNow();
        }
    }

    @Test
    void anUnansweredCommandIsHandedOutAgainAtLeastOnce() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID id = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();

        commands.take(device, 1);
        List<Command> again = commands.take(device, 1);

        assertThat(again).extracting(Command::id).containsExactly(id);
        assertThat(commands.get(id).orElseThrow().attempts()).isEqualTo(2);
    }

    @Test
    void aDeferredCommandWaitsUntilThePlatformRequeuesIt() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID deferred = commands.issue(ADMIN, device, CommandRequest.of(CommandType.OS_UPDATE)).command().id();
        UUID other = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();

        commands.take(device, 1);
        commands.report(device, new CommandResult(deferred, CommandState.NOT_NOW, Map.of(), Optional.empty()));

        assertThat(commands.take(device, 10)).extracting(Command::id).containsExactly(other);
        assertThat(commands.requeueDeferred(device)).isEqualTo(1);
        assertThat(commands.take(device, 10)).extracting(Command::id).contains(deferred);
    }

    @Test
    void aCommandPastItsTimeToLiveIsNotDeliveredAndExpires() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID id = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCATE, Map.of(), 0, Optional.of(Duration.ofHours(1))))
                .command().id();

        clock.advance(Duration.ofHours(2));

        assertThat(commands.take(device, 10)).isEmpty();
        assertThat(commands.expireDue()).isEqualTo(1);
        assertThat(commands.get(id).orElseThrow().command().state()).isEqualTo(CommandState.EXPIRED);
    }

    @Test
    void aCancelledCommandIsNeverDeliveredAndAFinishedOneCannotBeCancelled() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        UUID id = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();

        assertThat(commands.cancel(ADMIN, id).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        assertThat(commands.take(device, 10)).isEmpty();
        assertThatThrownBy(() -> commands.cancel(ADMIN, id)).isInstanceOf(CommandRefusedException.class);
        assertThat(commands.cancel(ADMIN, UUID.randomUUID())).isEmpty();
    }

    @Test
    void commandsThatDoNotFitTheDeviceAreRefused() {
        DeviceId personal = test.enroll(Platform.IOS, "BYOD", Ownership.PERSONAL).device().id();
        DeviceId retired = test.enrollId(Platform.IOS, "GONE");
        test.kernel().devices().changeStatus(ADMIN, retired, DeviceStatus.RETIRED, "returned");

        assertThatThrownBy(() -> commands.issue(ADMIN, personal, CommandRequest.of(CommandType.WIPE)))
                .isInstanceOf(CommandRefusedException.class).hasMessageContaining("enterprise wipe");
        assertThat(commands.issue(ADMIN, personal, CommandRequest.of(CommandType.ENTERPRISE_WIPE)).command().state())
                .isEqualTo(CommandState.QUEUED);
        assertThatThrownBy(() -> commands.issue(ADMIN, retired, CommandRequest.of(CommandType.LOCK)))
                .isInstanceOf(CommandRefusedException.class).hasMessageContaining("retired");
        assertThatThrownBy(() -> commands.issue(ADMIN, DeviceId.random(), CommandRequest.of(CommandType.LOCK)))
                .isInstanceOf(CommandRefusedException.class);
    }

    @Test
    void fanOutsAreListedNewestFirstPageByPage() {
        DeviceId device = test.enroll(Platform.IOS, "LIST-1", Ownership.CORPORATE).device().id();
        List<String> issued = new ArrayList<>();
        for (String what : List.of("first", "second", "third")) {
            issued.add(commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(device)), CommandRequest.of(CommandType.REFRESH_INVENTORY),
                    what).id());
            clock.advance(Duration.ofMinutes(1));
        }

        assertThat(commands.recentBatches(Optional.empty(), 2)).extracting(CommandBatch::description).containsExactly("third", "second");
        assertThat(commands.recentBatches(Optional.of(issued.get(1)), 2)).extracting(CommandBatch::description).containsExactly("first");
        assertThat(commands.recentBatches(Optional.empty(), 10).get(0).total()).isEqualTo(1);
    }

    @Test
    void aFanOutQueuesOneCommandPerEligibleDeviceAndReportsProgress() {
        List<DeviceId> targets = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            targets.add(test.enroll(Platform.ANDROID, "FLEET-" + i, i < 3 ? Ownership.PERSONAL : Ownership.CORPORATE).device().id());
        }

        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(targets),
                new CommandRequest(CommandType.WIPE, Map.of("preserveDataPlan", true), 0, Optional.empty()), "all Android");

        assertThat(batch.total()).isEqualTo(27);
        assertThat(batch.states()).containsEntry(CommandState.QUEUED, 27);
        assertThat(woken).hasSize(27);
        // A target asking for work before the background writer reached it gets its command at once.
        List<Command> taken = commands.take(targets.get(10), 5);
        assertThat(taken).singleElement().satisfies(command -> {
            assertThat(command.type()).isEqualTo(CommandType.WIPE);
            assertThat(command.parameters()).containsEntry("preserveDataPlan", true);
        });
        commands.report(targets.get(10), new CommandResult(taken.get(0).id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        commands.recordReach(batch.id(), 27, 0, 0);

        assertThat(commands.materializePending()).isEqualTo(26);
        assertThat(commands.materializePending()).isZero();

        CommandBatch progress = commands.batch(batch.id()).orElseThrow();
        assertThat(progress.state()).isEqualTo("COMPLETE");
        assertThat(progress.materialized()).isEqualTo(27);
        assertThat(progress.states()).containsEntry(CommandState.QUEUED, 26).containsEntry(CommandState.ACKNOWLEDGED, 1);
        assertThat(progress.pushed()).isEqualTo(27);
        assertThat(commands.take(targets.get(0), 5)).isEmpty(); // personal: not fully wiped
        assertThat(commands.take(targets.get(10), 5)).isEmpty(); // exactly one copy
        assertThat(commands.take(targets.get(20), 5)).hasSize(1);
    }

    @Test
    void aFanOutTargetRetiredBeforeItsRowIsWrittenHasItCancelledSoTheFanOutCompletes() {
        DeviceId staying = test.enrollId(Platform.IOS, "STAY");
        DeviceId leaving = test.enrollId(Platform.IOS, "LEAVE");
        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(staying, leaving)),
                CommandRequest.of(CommandType.REFRESH_INVENTORY), "two");
        test.kernel().devices().changeStatus(ADMIN, leaving, DeviceStatus.RETIRED, "returned");

        assertThat(commands.materializePending()).isEqualTo(2);

        CommandBatch progress = commands.batch(batch.id()).orElseThrow();
        assertThat(progress.state()).isEqualTo("COMPLETE");
        assertThat(progress.states()).containsEntry(CommandState.QUEUED, 1).containsEntry(CommandState.CANCELLED, 1);
        assertThat(commands.take(leaving, 5)).isEmpty();
        assertThat(commands.take(staying, 5)).extracting(Command::type).containsExactly(CommandType.REFRESH_INVENTORY);
    }

    @Test
    void aFanOutToAQueryReachesTheDevicesMatchingItNow() {
        DeviceId ios = test.enrollId(Platform.IOS, "Q1");
        test.enrollId(Platform.ANDROID, "Q2");
        DeviceId retiredIos = test.enrollId(Platform.IOS, "Q3");
        test.kernel().devices().changeStatus(ADMIN, retiredIos, DeviceStatus.RETIRED, "gone");

        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Matching(
                DeviceFilter.builder().platform(Platform.IOS).build()), CommandRequest.of(CommandType.RESTART), "iOS");

        assertThat(batch.total()).isEqualTo(1);
        assertThat(commands.take(ios, 5)).extracting(Command::type).containsExactly(CommandType.RESTART);
        assertThat(commands.take(retiredIos, 5)).isEmpty();
    }

    @Test
    void aFanOutToAGroupReachesItsMembers() {
        DeviceId member = test.enrollId(Platform.IOS, "G1");
        DeviceId outsider = test.enrollId(Platform.IOS, "G2");
        String group = test.kernel().groups().create(ADMIN, "Sales", "", Optional.empty()).id();
        test.kernel().groups().addMembers(ADMIN, group, List.of(member));

        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Matching(
                DeviceFilter.builder().groupId(group).build()), CommandRequest.of(CommandType.LOCATE), "group Sales");

        assertThat(batch.total()).isEqualTo(1);
        assertThat(commands.take(member, 5)).hasSize(1);
        assertThat(commands.take(outsider, 5)).isEmpty();
    }

    @Test
    void fanOutCommandsKeepTheirPlaceInADevicesQueue() {
        DeviceId device = test.enrollId(Platform.IOS, "ORDER");
        UUID before = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(device)), CommandRequest.of(CommandType.REFRESH_INVENTORY), "one");
        UUID after = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();

        List<Command> queue = commands.take(device, 10);

        assertThat(queue).extracting(Command::type)
                .containsExactly(CommandType.LOCATE, CommandType.REFRESH_INVENTORY, CommandType.LOCK);
        assertThat(queue.get(0).id()).isEqualTo(before);
        assertThat(queue.get(2).id()).isEqualTo(after);
    }

    @Test
    void aCancelledFanOutReachesNoFurtherDevice() {
        DeviceId first = test.enrollId(Platform.IOS, "C1");
        DeviceId second = test.enrollId(Platform.IOS, "C2");
        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(first, second)),
                CommandRequest.of(CommandType.LOCK), "two");
        assertThat(commands.take(first, 5)).hasSize(1);

        CommandBatch cancelled = commands.cancelBatch(ADMIN, batch.id()).orElseThrow();

        assertThat(cancelled.state()).isEqualTo("CANCELLED");
        assertThat(cancelled.states()).containsEntry(CommandState.CANCELLED, 2);
        assertThat(commands.take(second, 5)).isEmpty();
        assertThat(commands.take(first, 5)).isEmpty();
        assertThat(commands.materializePending()).isZero();
    }

    @Test
    void anInterruptedFanOutIsResumedAfterARestart() {
        List<DeviceId> targets = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            targets.add(test.enrollId(Platform.IOS, "RESUME-" + i));
        }
        String batchId = commands.issueToMany(ADMIN, new CommandTargets.Listed(targets), CommandRequest.of(CommandType.LOCK), "five").id();
        test.close();

        test = TestKernel.open(home);
        CommandService restarted = test.kernel().commands();

        assertThat(restarted.materializePending()).isEqualTo(5);
        assertThat(restarted.batch(batchId).orElseThrow().state()).isEqualTo("COMPLETE");
        assertThat(restarted.take(targets.get(3), 5)).hasSize(1);
    }

    @Test
    void secretsInParametersStayOutOfTheAuditLog() {
        DeviceId device = test.enrollId(Platform.ANDROID, "PW");
        commands.issue(ADMIN, device, new CommandRequest(CommandType.RESET_PASSCODE, Map.of("newPasscode", "123456"), 0, Optional.empty()));

        assertThat(test.kernel().audit().read(AuditFilter.ALL, 0, 100))
                .allSatisfy(entry -> assertThat(entry.after().orElse("")).doesNotContain("123456"));
        assertThat(commands.take(device, 1).get(0).parameters()).containsEntry("newPasscode", "123456");
    }

    @Test
    void historyListsADevicesCommandsNewestFirst() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));
        commands.issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));

        assertThat(commands.history(device, Optional.empty(), 10)).extracting(record -> record.command().type())
                .containsExactly(CommandType.RESTART, CommandType.LOCK);
    }

    @Test
    void aCommandTheDevicesPlatformRefusesIsNotQueuedAndTheReasonIsGiven() {
        DeviceId device = test.enrollId(Platform.WINDOWS, "PC");
        commands.setPlatformCheck((target, command) -> command.type() == CommandType.LOST_MODE_ON
                ? Optional.of("LOST_MODE_ON has no equivalent on " + target.platform()) : Optional.empty());

        assertThatThrownBy(() -> commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOST_MODE_ON)))
                .isInstanceOf(CommandNotSupportedException.class).hasMessage("LOST_MODE_ON has no equivalent on windows");

        assertThat(commands.history(device, Optional.empty(), 10)).isEmpty();
        assertThat(woken).isEmpty();
        assertThat(commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().state()).isEqualTo(CommandState.QUEUED);
    }

    @Test
    void aFanOutRecordsTheTargetsThatCannotTakeTheCommandAsFailedWithTheReason() {
        DeviceId phone = test.enrollId(Platform.IOS, "PHONE");
        DeviceId pc = test.enrollId(Platform.WINDOWS, "PC");
        commands.setPlatformCheck((target, command) -> target.platform().equals(Platform.WINDOWS)
                ? Optional.of(command.type() + " has no equivalent on Windows") : Optional.empty());

        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(phone, pc)),
                CommandRequest.of(CommandType.LOST_MODE_ON), "both");
        commands.materializePending();

        assertThat(commands.batch(batch.id()).orElseThrow().states())
                .containsEntry(CommandState.QUEUED, 1).containsEntry(CommandState.FAILED, 1);
        assertThat(commands.history(pc, Optional.empty(), 10)).singleElement().satisfies(refused -> {
            assertThat(refused.command().state()).isEqualTo(CommandState.FAILED);
            assertThat(refused.errorReason()).contains("LOST_MODE_ON has no equivalent on Windows");
        });
        assertThat(commands.take(pc, 5)).isEmpty();
        assertThat(commands.take(phone, 5)).extracting(Command::type).containsExactly(CommandType.LOST_MODE_ON);
    }

    @Test
    void aCommandHandedOutMaxAttemptsTimesWithoutAnAnswerFailsAndTheNextOneIsDelivered() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        commands.setMaxAttempts(3);
        UUID poison = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCK, Map.of(), 10, Optional.empty())).command().id();
        UUID next = commands.issue(ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY)).command().id();

        for (int offer = 0; offer < 3; offer++) {
            assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(poison);
        }

        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(next);
        CommandRecord failed = commands.get(poison).orElseThrow();
        assertThat(failed.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(failed.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("3 times without an answer"));
    }

    @Test
    void deferralsAreAnswersAndDoNotCountTowardsTheBound() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        commands.setMaxAttempts(2);
        UUID update = commands.issue(ADMIN, device, CommandRequest.of(CommandType.OS_UPDATE)).command().id();

        for (int deferral = 0; deferral < 5; deferral++) {
            assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(update);
            commands.report(device, new CommandResult(update, CommandState.NOT_NOW, Map.of(), Optional.empty()));
            commands.requeueDeferred(device);
        }

        assertThat(commands.take(device, 1)).extracting(Command::id).containsExactly(update);
        assertThat(commands.get(update).orElseThrow().command().state()).isEqualTo(CommandState.SENT);
        commands.report(device, new CommandResult(update, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        assertThat(commands.get(update).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
    }

    @Test
    void aCommandItsPlatformIsStillCarryingOutIsNotFailedForBeingHandedOutAgain() {
        DeviceId device = test.enrollId(Platform.ANDROID, "A");
        commands.setMaxAttempts(2);
        UUID lock = commands.issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)).command().id();

        for (int poll = 0; poll < 5; poll++) {
            assertThat(commands.take(device, 5)).extracting(Command::id).containsExactly(lock);
            commands.inProgress(device, lock);
        }

        assertThat(commands.get(lock).orElseThrow().command().state()).isEqualTo(CommandState.SENT);
        // Without the platform vouching for it, the bound applies again.
        assertThat(commands.take(device, 5)).hasSize(1);
        assertThat(commands.take(device, 5)).hasSize(1);
        assertThat(commands.take(device, 5)).isEmpty();
        assertThat(commands.get(lock).orElseThrow().command().state()).isEqualTo(CommandState.FAILED);
    }
    @Test
    void theListenersAndTheCallerGetTheAnsweredCommandExactlyAsStored() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        List<CommandRecord> heard = new CopyOnWriteArrayList<>();
        commands.addResultListener((tx, command) -> heard.add(command));
        UUID id = commands.issue(ADMIN, device, new CommandRequest(CommandType.LOCK,
                Map.of("message", "Call IT", "nested", Map.of("list", List.of(1, 2))), 5, Optional.of(Duration.ofDays(1)))).command().id();
        // Times finer than a microsecond, which PostgreSQL does not keep.
        clock.advance(Duration.ofNanos(123_456_789));

        commands.take(device, 1);
        clock.advance(Duration.ofNanos(987_654_321));
        CommandRecord deferred = commands.report(device, new CommandResult(id, CommandState.NOT_NOW,
                Map.of("why", "busy", "detail", Map.of("count", 3, "ratio", 1.5)), Optional.empty()));

        assertThat(deferred).isEqualTo(commands.get(id).orElseThrow());
        assertThat(heard).containsExactly(deferred);

        commands.requeueDeferred(device);
        commands.take(device, 1);
        clock.advance(Duration.ofNanos(1_001));
        CommandRecord failed = commands.report(device, new CommandResult(id, CommandState.FAILED, Map.of(), Optional.of("x".repeat(2500))));

        assertThat(failed).isEqualTo(commands.get(id).orElseThrow());
        assertThat(failed.attempts()).isEqualTo(2);
        assertThat(failed.errorReason().orElseThrow()).hasSize(2000);
        assertThat(heard).containsExactly(deferred, failed);
        // A repeated answer changes nothing and is not heard.
        assertThat(commands.report(device, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()))).isEqualTo(failed);
        assertThat(heard).hasSize(2);
    }

    @Test
    void aFanOutsCommandIsAnsweredWithTheBatchsParameters() {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        List<CommandRecord> heard = new CopyOnWriteArrayList<>();
        commands.addResultListener((tx, command) -> heard.add(command));
        CommandBatch batch = commands.issueToMany(ADMIN, new CommandTargets.Listed(List.of(device)),
                new CommandRequest(CommandType.LOCK, Map.of("message", "Fleet lock"), 0, Optional.empty()), "one device");
        UUID id = commands.take(device, 1).get(0).id();

        CommandRecord done = commands.report(device, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of("locked", true), Optional.empty()));

        assertThat(done).isEqualTo(commands.get(id).orElseThrow());
        assertThat(done.batchId()).hasValue(batch.id());
        assertThat(done.command().parameters()).containsEntry("message", "Fleet lock");
        assertThat(heard).containsExactly(done);
    }

    @Test
    void anotherDeviceCannotAnswerACommandHandedOutToItsOwner() {
        DeviceId owner = test.enrollId(Platform.IOS, "OWNER");
        DeviceId other = test.enrollId(Platform.IOS, "OTHER");
        UUID id = commands.issue(ADMIN, owner, CommandRequest.of(CommandType.RESTART)).command().id();
        commands.take(owner, 1);

        assertThatThrownBy(() -> commands.report(other, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(commands.get(id).orElseThrow().command().state()).isEqualTo(CommandState.SENT);
        assertThat(commands.report(owner, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty())).command().state())
                .isEqualTo(CommandState.ACKNOWLEDGED);
    }

    @Test
    void twoAnswersToOneCommandAtOnceAreAppliedOneAfterTheOther() throws Exception {
        DeviceId device = test.enrollId(Platform.IOS, "A");
        List<CommandRecord> heard = new CopyOnWriteArrayList<>();
        commands.addResultListener((tx, command) -> heard.add(command));
        UUID id = commands.issue(ADMIN, device, CommandRequest.of(CommandType.RESTART)).command().id();
        commands.take(device, 1);
        ExecutorService answering = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<CommandRecord>> answers = new ArrayList<>();
            for (CommandState state : List.of(CommandState.ACKNOWLEDGED, CommandState.FAILED)) {
                answers.add(answering.submit(() -> {
                    start.await();
                    return commands.report(device, new CommandResult(id, state, Map.of(), Optional.empty()));
                }));
            }
            start.countDown();
            CommandRecord first = answers.get(0).get(30, TimeUnit.SECONDS);
            CommandRecord second = answers.get(1).get(30, TimeUnit.SECONDS);

            CommandRecord stored = commands.get(id).orElseThrow();
            // One answer won; the other found the command ended and changed nothing.
            assertThat(first).isEqualTo(stored);
            assertThat(second).isEqualTo(stored);
            assertThat(heard).containsExactly(stored);
        } finally {
            answering.shutdownNow();
        }
    }
}
