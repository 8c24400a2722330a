package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.StoreUse;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPostgres;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel's share of a device message, in thread CPU time and statements: what {@link CommandService#reportAndTake}
 * (a device's answer recorded and its next command handed out, one transaction) costs per call, driven in-process on
 * the test's store (embedded Derby, whose work is in this thread's CPU; or PostgreSQL, whose backends' CPU is given
 * beside it). Contention on a shared machine stretches wall time, but a thread's CPU time far less, and the statement
 * counts not at all, so this measures what the loop benchmark cannot on a busy machine.
 *
 * <p>{@code devices} devices are imported and each given {@code commands} commands (DeviceLock and an inventory
 * refresh alternately, as the Apple loop benchmark sends them); then, device after device, an Idle ({@code take}) and
 * an answer for each command that returns the next ({@code reportAndTake}, Acknowledged, the inventory refresh with a
 * response of 12 items). One round warms the JIT compiler and the store's pages, then {@code rounds} rounds are
 * measured, each on fresh devices. Runs only when asked:
 *
 * <pre>
 * mvn -B test-compile -pl framework
 * mvn -B surefire:test -pl framework -Dtest=DeviceLoopCpuBenchmarkTest -Dshepherd.benchmark=true \
 *     [-Dshepherd.benchmark.devices=200] [-Dshepherd.benchmark.commands=10] [-Dshepherd.benchmark.rounds=12] \
 *     [-Dshepherd.test.store=postgresql]
 * </pre>
 *
 * The figures go to standard output and to {@code target/device-loop-cpu-<engine>.txt}; nothing is asserted about
 * them but that every command was answered. The statements are counted by the test kit's {@link StoreUse} around the
 * pool (its counting, map updates and a regular expression over each statement's SQL, is in the CPU figure too: about
 * 5 % of it on Derby). Compare the later rounds: the first ones still carry the JIT compiler's work.
 */
class DeviceLoopCpuBenchmarkTest {

    @TempDir
    Path home;

    @Test
    void reportAndTakeCpuPerCall() throws Exception {
        assumeTrue(Boolean.getBoolean("shepherd.benchmark"), "a benchmark: run with -Dshepherd.benchmark=true");
        int devices = Integer.getInteger("shepherd.benchmark.devices", 200);
        int commands = Integer.getInteger("shepherd.benchmark.commands", 10);
        int rounds = Integer.getInteger("shepherd.benchmark.rounds", 12);
        Dialect engine = TestStore.engine();
        StringBuilder report = new StringBuilder(String.format("Device loop CPU benchmark (%s): %d devices x %d commands a round, "
                + "1 warm-up round, %d measured%n", engine.displayName(), devices, commands, rounds));
        try (TestKernel test = TestKernel.open(home)) {
            Kernel kernel = test.kernel();
            String thread = Thread.currentThread().getName();
            Predicate<String> thisThread = thread::equals;
            for (int round = 0; round <= rounds; round++) {
                List<DeviceId> loop = CommandIndexBenchmarkTest.importDevices(kernel, "LOOP" + round + "-", devices);
                queue(kernel, loop, commands);
                StoreUse.Counts before = test.storeUse().of(thisThread);
                Optional<Duration> databaseBefore = databaseCpu(engine);
                Loop done = run(kernel, loop);
                StoreUse.Counts used = test.storeUse().of(thisThread).since(before);
                Optional<Duration> database = databaseCpu(engine).flatMap(after -> databaseBefore.map(after::minus));
                assertThat(done.answers()).isEqualTo(devices * commands);
                long calls = done.answers();
                String line = String.format("%s: reportAndTake %.1f µs thread CPU per call%s (%d calls, %.1f µs wall); Idle take %.1f µs;"
                                + " per call with the Idle's share: %.2f statements, %.2f commits%n",
                        round == 0 ? "warm-up" : "round " + round, done.answerCpuNanos() / 1e3 / calls,
                        database.map(cpu -> String.format(" + %.1f µs PostgreSQL (all its processes)", cpu.toNanos() / 1e3 / calls)).orElse(""),
                        calls, done.answerWallNanos() / 1e3 / calls, done.idleCpuNanos() / 1e3 / loop.size(),
                        (double) used.statements() / calls, (double) used.commits() / calls);
                CommandIndexBenchmarkTest.note(report, line);
            }
            if (engine == Dialect.DERBY) {
                CommandIndexBenchmarkTest.note(report, String.format("Derby's statement cache holds %d statements after the loop%n", derbyCachedStatements(kernel)));
            }
            CommandIndexBenchmarkTest.note(report, String.format("The statements of all rounds, by SQL, the 12 most frequent:%n"));
            test.storeUse().statementsBySql(thisThread).entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                    .forEach(entry -> CommandIndexBenchmarkTest.note(report, String.format("  %8d  %s%n", entry.getValue(), entry.getKey())));
        }
        Files.writeString(Path.of("target", "device-loop-cpu-" + engine.migrationFolder() + ".txt"), report.toString());
    }

    /** What one round cost this thread. */
    private record Loop(int answers, long answerCpuNanos, long answerWallNanos, long idleCpuNanos) {
    }

    /** Each device in turn: Idle, then an answer to each command, each answer handed the next (as an Apple device). */
    private static Loop run(Kernel kernel, List<DeviceId> devices) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int answers = 0;
        long answerCpu = 0;
        long answerWall = 0;
        long idleCpu = 0;
        for (DeviceId device : devices) {
            long idleStart = threads.getCurrentThreadCpuTime();
            List<Command> next = kernel.commands().take(device, 1);
            idleCpu += threads.getCurrentThreadCpuTime() - idleStart;
            while (!next.isEmpty()) {
                CommandResult answer = answerTo(next.get(0));
                long wallStart = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                CommandService.AnswerAndNext done = kernel.commands().reportAndTake(device, answer, answered -> true, 1);
                answerCpu += threads.getCurrentThreadCpuTime() - cpuStart;
                answerWall += System.nanoTime() - wallStart;
                answers++;
                next = done.next().orElseThrow();
            }
        }
        return new Loop(answers, answerCpu, answerWall, idleCpu);
    }

    /** Acknowledged; an inventory refresh answers with what a DeviceInformation answer carries, roughly. */
    private static CommandResult answerTo(Command command) {
        Map<String, Object> response = new LinkedHashMap<>();
        if (command.type() == CommandType.REFRESH_INVENTORY) {
            response.put("DeviceName", "iPhone " + command.deviceId());
            response.put("OSVersion", "17.5.1");
            response.put("BuildVersion", "21F90");
            response.put("ModelName", "iPhone");
            response.put("Model", "MQ9T3LL/A");
            response.put("ProductName", "iPhone15,2");
            response.put("SerialNumber", "F2LZK0XYZ123");
            response.put("DeviceCapacity", 128.0);
            response.put("AvailableDeviceCapacity", 87.25);
            response.put("BatteryLevel", 0.8);
            response.put("IsSupervised", true);
            response.put("WiFiMAC", "a4:83:e7:12:34:56");
        }
        return new CommandResult(command.id(), CommandState.ACKNOWLEDGED, response, Optional.empty());
    }

    /** {@code commands} commands per device, DeviceLock and an inventory refresh alternately, one transaction per device. */
    private static void queue(Kernel kernel, List<DeviceId> devices, int commands) {
        for (DeviceId device : devices) {
            kernel.transactions().inTransaction("queue", tx -> {
                DeviceRecord record = kernel.devices().get(tx, device).orElseThrow();
                List<CommandRequest> requests = new ArrayList<>();
                for (int i = 0; i < commands; i++) {
                    requests.add(i % 2 == 0
                            ? new CommandRequest(CommandType.LOCK, Map.of("message", "Lost", "phoneNumber", "+1 555 0100"), 0, Optional.empty())
                            : new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of(), 0, Optional.empty()));
                }
                return kernel.commands().issueAll(tx, ADMIN, record, requests);
            });
        }
    }

    /** On PostgreSQL, the CPU its processes have used so far; on Derby nothing (its work is this thread's). */
    private static Optional<Duration> databaseCpu(Dialect engine) {
        return engine == Dialect.POSTGRESQL ? TestPostgres.get().cpuTime() : Optional.empty();
    }

    private static long derbyCachedStatements(Kernel kernel) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM SYSCS_DIAG.STATEMENT_CACHE");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
