package dev.shepherd.command;

import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash safety of the command queue: a process queuing commands is killed with SIGKILL in the middle of writing;
 * every command it had acknowledged is in the store afterwards, queued, and the audit chain is intact.
 */
class CommandQueueCrashTest {

    private static final int ACKNOWLEDGED_BEFORE_KILL = 300;

    @TempDir
    Path home;

    @Test
    void aProcessKilledMidWriteLosesNothingItAcknowledged() throws Exception {
        DeviceId device;
        try (TestKernel setup = TestKernel.open(home)) {
            device = setup.enrollId(Platform.IOS, "CRASH");
        }

        // The child's output goes to a file, which outlives the child: every line in it was acknowledged.
        Path output = home.resolve("acknowledged.txt");
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashingCommandWriter.class.getName(),
                home.toString(), device.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(output.toFile());
        // The child writes to this test's store: on PostgreSQL, the same database, named as the server reads it.
        child.environment().putAll(TestStore.environment(home));
        Process writer = child.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (acknowledgedIn(output).size() < ACKNOWLEDGED_BEFORE_KILL && System.nanoTime() < deadline && writer.isAlive()) {
            Thread.sleep(20);
        }
        writer.destroyForcibly(); // SIGKILL in the middle of writing: no shutdown hooks, no clean database close
        assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<UUID> acknowledged = acknowledgedIn(output);
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED_BEFORE_KILL);

        try (TestKernel recovered = TestKernel.open(home)) {
            for (UUID id : acknowledged) {
                assertThat(recovered.kernel().commands().get(id)).as("command " + id)
                        .hasValueSatisfying(record -> assertThat(record.command().state()).isEqualTo(CommandState.QUEUED));
            }
            assertThat(recovered.kernel().audit().verify().intact()).isTrue();
        }
    }

    private static List<UUID> acknowledgedIn(Path output) throws IOException {
        List<UUID> ids = new ArrayList<>();
        if (!Files.exists(output)) {
            return ids;
        }
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
            // A line cut short by the kill was never completely written, so it was never seen as acknowledged.
            if (line.startsWith("ACK ") && line.length() == 40) {
                ids.add(UUID.fromString(line.substring(4)));
            }
        }
        return ids;
    }
}
