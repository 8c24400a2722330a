package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A fan-out outlives the node it was issued on: two kernels over one store, as two nodes over one database. Which
 * batches are still being written is read from the store, not remembered by the node that issued them.
 */
class FanOutAcrossNodesTest {

    @TempDir
    Path home;
    private TestKernel nodeA;
    private TestKernel nodeB;
    private final List<DeviceId> targets = new ArrayList<>();

    @BeforeEach
    void open() {
        nodeA = TestKernel.open(home);
        nodeB = TestKernel.open(home);
        for (int i = 0; i < 25; i++) {
            targets.add(nodeA.enrollId(Platform.IOS, "FLEET-" + i));
        }
    }

    @AfterEach
    void close() {
        nodeB.close();
        if (nodeA != null) {
            nodeA.close();
        }
    }

    @Test
    void aFanOutIssuedOnANodeThatStopsIsFinishedByAnother() {
        CommandBatch batch = nodeA.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets),
                CommandRequest.of(CommandType.RESTART), "every iPhone");
        stopNodeA();

        assertThat(nodeB.kernel().commands().materializePending()).isEqualTo(25);
        assertThat(nodeB.kernel().commands().materializePending()).isZero();

        CommandBatch finished = nodeB.kernel().commands().batch(batch.id()).orElseThrow();
        assertThat(finished.state()).isEqualTo("COMPLETE");
        assertThat(finished.materialized()).isEqualTo(25);
        assertThat(finished.states()).containsEntry(CommandState.QUEUED, 25);
        for (DeviceId target : targets) {
            assertThat(nodeB.kernel().commands().take(target, 5)).extracting(Command::type).containsExactly(CommandType.RESTART);
        }
    }

    @Test
    void aFanOutHalfWrittenBeforeItsNodeStoppedIsFinishedWithoutCopies() {
        CommandBatch batch = nodeA.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets),
                CommandRequest.of(CommandType.LOCATE), "every iPhone");
        // Node A wrote some rows on demand (its devices asked for work) before it stopped.
        List<DeviceId> servedByA = targets.subList(0, 7);
        List<Command> handedByA = new ArrayList<>();
        for (DeviceId target : servedByA) {
            handedByA.addAll(nodeA.kernel().commands().take(target, 5));
        }
        assertThat(handedByA).hasSize(7);
        stopNodeA();

        assertThat(nodeB.kernel().commands().materializePending()).isEqualTo(18);

        CommandBatch finished = nodeB.kernel().commands().batch(batch.id()).orElseThrow();
        assertThat(finished.state()).isEqualTo("COMPLETE");
        assertThat(finished.materialized()).isEqualTo(25);
        assertThat(finished.states()).containsEntry(CommandState.SENT, 7).containsEntry(CommandState.QUEUED, 18);
        for (int i = 0; i < servedByA.size(); i++) {
            // Exactly one copy: the device is handed again the command node A handed it, unanswered, and no other.
            assertThat(nodeB.kernel().commands().take(servedByA.get(i), 5)).extracting(Command::id)
                    .containsExactly(handedByA.get(i).id());
        }
    }

    @Test
    void aDeviceAskingAnotherNodeGetsItsRowOfAFanOutStillBeingWritten() {
        nodeA.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets), CommandRequest.of(CommandType.RESTART), "all");

        nodeB.kernel().commands().refreshMaterializing();

        List<Command> handed = nodeB.kernel().commands().take(targets.get(3), 5);
        assertThat(handed).extracting(Command::type).containsExactly(CommandType.RESTART);
        assertThat(nodeA.kernel().commands().materializePending()).isEqualTo(24);
        assertThat(nodeB.kernel().commands().take(targets.get(3), 5)).extracting(Command::id).containsExactly(handed.get(0).id());
    }

    @Test
    void aFanOutCancelledOnOneNodeIsNoLongerWrittenByTheOther() {
        CommandBatch batch = nodeA.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets),
                CommandRequest.of(CommandType.RESTART), "all");

        assertThat(nodeA.kernel().commands().cancelBatch(ADMIN, batch.id())).isPresent();

        assertThat(nodeB.kernel().commands().materializePending()).isZero();
        assertThat(nodeB.kernel().commands().batch(batch.id()).orElseThrow().materialized()).isZero();
        assertThat(nodeB.kernel().commands().take(targets.get(0), 5)).isEmpty();
    }

    /**
     * Node A is gone: on PostgreSQL its pool is closed. Embedded Derby belongs to the JVM, and closing a store shuts it
     * down for every pool, so there node A is simply never called again (it runs no background work of its own).
     */
    private void stopNodeA() {
        if (TestStore.engine() == Dialect.POSTGRESQL) {
            nodeA.close();
            nodeA = null;
        }
    }
    @Test
    void anAnswerToACommandAnotherNodeHandedOutAgainIsRecordedAsStored() {
        DeviceId device = targets.get(0);
        CommandService commandsOfA = nodeA.kernel().commands();
        List<CommandRecord> heard = new ArrayList<>();
        commandsOfA.addResultListener((tx, command) -> heard.add(command));
        UUID id = commandsOfA.issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        commandsOfA.take(device, 1);
        // The device asked node B for work before answering: B hands the command out again.
        assertThat(nodeB.kernel().commands().take(device, 1)).extracting(Command::id).containsExactly(id);

        CommandRecord done = commandsOfA.report(device, new CommandResult(id, CommandState.ACKNOWLEDGED, Map.of("found", true), Optional.empty()));

        assertThat(done).isEqualTo(commandsOfA.get(id).orElseThrow());
        assertThat(done.attempts()).isEqualTo(2);
        assertThat(heard).containsExactly(done);
    }

    @Test
    void anAnswerToACommandHandedOutByAnotherNodeIsRecorded() {
        DeviceId device = targets.get(0);
        UUID id = nodeA.kernel().commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCATE)).command().id();
        nodeB.kernel().commands().take(device, 1);

        CommandRecord done = nodeA.kernel().commands().report(device, new CommandResult(id, CommandState.FAILED, Map.of(), Optional.of("no fix")));

        assertThat(done).isEqualTo(nodeB.kernel().commands().get(id).orElseThrow());
        assertThat(done.errorReason()).hasValue("no fix");
    }

    @Test
    void aPluginIsToldWhichCommandADeviceAnsweredWhicheverNodeHandedItOut() {
        DeviceId device = targets.get(0);
        nodeA.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets),
                new CommandRequest(CommandType.LOCK, Map.of("message", "Call IT"), 0, Optional.empty()), "lock them all");
        Command handed = nodeA.kernel().commands().take(device, 1).get(0);
        // Node B never handed it out, as after a restart: the fan-out's parameters are the batch's, read from the store.
        CommandBus busOfB = new PluginCommandBus(nodeB.kernel().commands(), UnaryOperator.identity());

        Optional<Command> answered = busOfB.recordAnswer(device, new CommandResult(handed.id(), CommandState.ACKNOWLEDGED, Map.of(),
                Optional.empty()));

        assertThat(answered).hasValueSatisfying(command -> {
            assertThat(command.id()).isEqualTo(handed.id());
            assertThat(command.type()).isEqualTo(CommandType.LOCK);
            assertThat(command.parameters()).containsEntry("message", "Call IT");
            assertThat(command.state()).isEqualTo(CommandState.ACKNOWLEDGED);
        });
        // A command the kernel does not hold for the device is refused, as by report.
        assertThatThrownBy(() -> busOfB.recordAnswer(targets.get(1), new CommandResult(handed.id(), CommandState.ACKNOWLEDGED, Map.of(),
                Optional.empty()))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> busOfB.recordAnswer(device, new CommandResult(UUID.randomUUID(), CommandState.ACKNOWLEDGED, Map.of(),
                Optional.empty()))).isInstanceOf(IllegalArgumentException.class);
    }
}
