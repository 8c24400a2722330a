package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the indexes of {@code command} cost a command's state changes and what they give its readers, with the indexes
 * of V31 ("before": {@code ix_command_state (state)}, {@code ix_command_expiry (expires_at, state)}) and of V32 ("after",
 * the migration file itself) on one store filled to a realistic size: N finished commands kept for the record (most of
 * them acknowledged, some with an expiry), a few thousand waiting. For each layout, in turn and twice:
 * <ul>
 * <li>the plan of every reader of {@code command} that filters or groups by state (Derby:
 * {@code SYSCS_GET_RUNTIMESTATISTICS}, the access path and rows visited; PostgreSQL: {@code EXPLAIN (ANALYZE, BUFFERS)}),
 * with its wall time;</li>
 * <li>the CPU per command of queuing 10 commands per device the way the reconciler does ({@link CommandService#issueAll}),
 * and of handing each out and recording its answer ({@code take} + {@code report}), on one thread after a warm-up
 * (ThreadMXBean; with embedded Derby that includes the database's own work; on PostgreSQL the backends' CPU, read from
 * {@code /proc}, is reported beside it).</li>
 * </ul>
 * Runs only when asked:
 *
 * <pre>
 * mvn -B verify -pl framework -Dtest=CommandIndexBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false -DskipITs \
 *     -Dshepherd.benchmark=true [-Dshepherd.benchmark.commands=200000] [-Dshepherd.benchmark.loopDevices=300] \
 *     [-Dshepherd.test.store=postgresql]
 * </pre>
 *
 * The figures go to standard output and to {@code target/command-index-benchmark-<engine>.txt}; nothing is asserted
 * about them.
 */
class CommandIndexBenchmarkTest {

    private static final String WAITING = "('QUEUED', 'SENT', 'NOT_NOW')";
    private static final String FINISHED = Arrays.stream(CommandState.values()).filter(CommandState::isFinal)
            .map(state -> "'" + state.name() + "'").collect(Collectors.joining(", ", "(", ")"));
    private static final int COMMANDS_PER_DEVICE = 10;
    private static final int HISTORY_DEVICES = 1000;

    @TempDir
    Path home;

    /** A reader of {@code command}, as the code writes it, with the values it is run with. */
    private record Reader(String name, String sql, List<Object> parameters) {
    }

    /** One layout of the command indexes: the statements that bring the store to it from the other. */
    private record Layout(String name, List<String> statements) {
    }

    @Test
    void commandIndexesBeforeAndAfterV32() throws Exception {
        assumeTrue(Boolean.getBoolean("shepherd.benchmark"), "a benchmark: run with -Dshepherd.benchmark=true");
        int history = Integer.getInteger("shepherd.benchmark.commands", 200_000);
        int loopDevices = Integer.getInteger("shepherd.benchmark.loopDevices", 300);
        Dialect engine = TestStore.engine();
        StringBuilder report = new StringBuilder();
        try (TestKernel test = TestKernel.open(home)) {
            Kernel kernel = test.kernel();
            List<DeviceId> historyDevices = importDevices(kernel, "HIST", HISTORY_DEVICES);
            Instant now = Clock.systemUTC().instant();
            long fillStart = System.nanoTime();
            fill(kernel, historyDevices, history, now);
            note(report, String.format("Command indexes benchmark (%s): %,d commands in the store (%,d waiting), filled in %.0f s%n",
                    engine.displayName(), count(kernel, "SELECT COUNT(*) FROM command"),
                    count(kernel, "SELECT COUNT(*) FROM command WHERE state IN " + WAITING), (System.nanoTime() - fillStart) / 1e9));

            Layout before = before(engine);
            Layout after = new Layout("after (V32)", statementsOf("db/migration/kernel/" + engine.migrationFolder() + "/V32__command_indexes.sql"));
            List<Reader> readers = readers(historyDevices.get(7), now);
            // Warm-up: the code paths compiled, the store's pages read once, before anything is measured.
            List<DeviceId> warmUp = importDevices(kernel, "WARM", 50);
            queue(kernel, warmUp);
            takeAndReport(kernel, warmUp);
            for (int round = 1; round <= 2; round++) {
                for (Layout layout : List.of(before, after)) {
                    switchTo(kernel, engine, layout);
                    note(report, String.format("%n== round %d, %s: %s%n", round, layout.name(), indexes(kernel, engine)));
                    for (Reader reader : readers) {
                        note(report, plan(kernel, engine, reader));
                    }
                    List<DeviceId> loop = importDevices(kernel, "R" + round + layout.name().charAt(0), loopDevices);
                    int commands = loopDevices * COMMANDS_PER_DEVICE;
                    Cpu queued = measure(kernel, engine, () -> queue(kernel, loop));
                    Cpu answered = measure(kernel, engine, () -> assertThat(takeAndReport(kernel, loop)).isEqualTo(commands));
                    note(report, String.format("issueAll (reconciler, 10 per device per transaction): %s per command%n", queued.per(commands)));
                    note(report, String.format("take + report (one command per take): %s per command%n", answered.per(commands)));
                }
            }
        }
        Files.writeString(Path.of("target", "command-index-benchmark-" + engine.migrationFolder() + ".txt"), report.toString());
    }

    /** Adds to the report, and shows it at once: a run takes minutes. */
    static void note(StringBuilder report, String text) {
        report.append(text);
        System.out.print(text);
        System.out.flush();
    }

    /** What V31 left, undoing V32 (which the store was migrated to). */
    private static Layout before(Dialect engine) {
        List<String> statements = new ArrayList<>();
        statements.add("DROP INDEX ix_command_expiry");
        if (engine == Dialect.POSTGRESQL) {
            statements.add("DROP INDEX ix_command_waiting");
        }
        statements.add("CREATE INDEX ix_command_expiry ON command (expires_at, state)");
        statements.add("CREATE INDEX ix_command_state ON command (state)");
        return new Layout("before (V31)", statements);
    }

    private static List<Reader> readers(DeviceId device, Instant now) {
        Timestamp at = Timestamp.from(now);
        return List.of(
                new Reader("pendingCount", "SELECT COUNT(*) FROM command WHERE state IN " + WAITING, List.of()),
                new Reader("metrics: by state (V31 code)", "SELECT state, COUNT(*) FROM command GROUP BY state", List.of()),
                new Reader("metrics: oldest waiting (V31 code)", "SELECT MIN(created_at) FROM command WHERE state IN ('QUEUED', 'NOT_NOW')", List.of()),
                new Reader("metrics: one pass (V32 code)", "SELECT state, COUNT(*), MIN(created_at) FROM command GROUP BY state", List.of()),
                new Reader("expireDue", "UPDATE command SET state = 'EXPIRED', completed_at = ?, updated_at = ? WHERE expires_at <= ? AND state IN "
                        + WAITING, List.of(at, at, at)),
                new Reader("retention: count cutoff", "SELECT completed_at FROM command WHERE state IN " + FINISHED
                        + " AND completed_at IS NOT NULL ORDER BY completed_at DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY", List.of(100_000)),
                new Reader("retention: a chunk", "SELECT id FROM command WHERE state IN " + FINISHED + " AND completed_at < ? AND ends_management = 0"
                        + " FETCH FIRST 1000 ROWS ONLY", List.of(Timestamp.from(now.minus(Duration.ofDays(27))))),
                new Reader("take: queued probe", "SELECT c.id, c.parameters FROM command c WHERE c.device_id = ? AND c.state = 'QUEUED'"
                        + " AND (c.expires_at IS NULL OR c.expires_at > ?) ORDER BY c.priority DESC, c.id FETCH FIRST 1 ROWS ONLY",
                        List.of(device.toString(), at)),
                new Reader("take: sent probe", "SELECT c.id FROM command c WHERE c.device_id = ? AND c.state = 'SENT' ORDER BY c.priority DESC, c.id",
                        List.of(device.toString())),
                new Reader("requeueDeferred check", "SELECT 1 FROM command WHERE device_id = ? AND state = 'NOT_NOW' FETCH FIRST 1 ROWS ONLY",
                        List.of(device.toString())),
                new Reader("endManagement: a device's waiting", "SELECT id FROM command WHERE device_id = ? AND state IN " + WAITING,
                        List.of(device.toString())),
                new Reader("history", "SELECT c.id FROM command c WHERE c.device_id = ? ORDER BY c.id DESC FETCH FIRST 50 ROWS ONLY",
                        List.of(device.toString())));
    }

    static List<DeviceId> importDevices(Kernel kernel, String prefix, int count) {
        List<DeviceId> ids = new ArrayList<>();
        for (int from = 0; from < count; from += 1000) {
            List<DeviceImport> imports = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 1000); i++) {
                imports.add(new DeviceImport(Platform.IOS, prefix + i, "iPhone15,2", "", Ownership.CORPORATE,
                        Map.of("serialNumber", prefix + i), Set.of()));
            }
            ids.addAll(kernel.devices().importDevices(ADMIN, imports));
        }
        return ids;
    }

    /**
     * The commands kept for the record, written directly (the state they reached, not the way there): completed over
     * the last 30 days, 90% acknowledged, the rest failed, expired or cancelled; one in ten given an expiry (an admin's
     * time to live). Then the waiting ones: queued (a policy wave), a few sent, deferred, and some queued with an expiry.
     */
    private static void fill(Kernel kernel, List<DeviceId> devices, int history, Instant now) {
        CommandIds ids = new CommandIds(Clock.systemUTC());
        String parameters = "{\"payload\":\"" + "x".repeat(300) + "\"}";
        int waiting = Math.max(100, history / 40);
        int total = history + waiting;
        for (int from = 0; from < total; from += 1000) {
            int start = from;
            kernel.transactions().inTransaction("fill commands", tx -> {
                try (PreparedStatement insert = tx.connection().prepareStatement("""
                        INSERT INTO command (id, device_id, batch_id, command_type, parameters, priority, state, created_by, created_at,
                            expires_at, sent_at, completed_at, attempts, result, error_reason, updated_at, ends_management, unanswered_offers)
                        VALUES (?, ?, NULL, 'INSTALL_PROFILE', ?, 0, ?, 'benchmark', ?, ?, ?, ?, ?, NULL, NULL, ?, 0, 0)""")) {
                    for (int i = start; i < Math.min(total, start + 1000); i++) {
                        boolean finished = i < history;
                        Instant created = finished ? now.minus(Duration.ofMinutes(30L * 24 * 60 * (history - i) / history)) : now;
                        String state = finished ? finalState(i) : waitingState(i);
                        Timestamp expires = i % 10 == 3 ? Timestamp.from(created.plus(Duration.ofHours(finished ? 1 : 24))) : null;
                        insert.setString(1, ids.next().toString());
                        insert.setString(2, devices.get(i % devices.size()).toString());
                        insert.setString(3, parameters);
                        insert.setString(4, state);
                        insert.setTimestamp(5, Timestamp.from(created));
                        insert.setTimestamp(6, expires);
                        insert.setTimestamp(7, state.equals("QUEUED") ? null : Timestamp.from(created));
                        insert.setTimestamp(8, finished ? Timestamp.from(created.plusSeconds(5)) : null);
                        insert.setInt(9, state.equals("QUEUED") ? 0 : 1);
                        insert.setTimestamp(10, Timestamp.from(created));
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                return null;
            });
        }
    }

    private static String finalState(int i) {
        return switch (i % 20) {
            case 0 -> "FAILED";
            case 1 -> "CANCELLED";
            case 2 -> "EXPIRED";
            default -> "ACKNOWLEDGED";
        };
    }

    private static String waitingState(int i) {
        return switch (i % 10) {
            case 0 -> "SENT";
            case 1 -> "NOT_NOW";
            default -> "QUEUED";
        };
    }

    private static void switchTo(Kernel kernel, Dialect engine, Layout layout) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            for (String sql : layout.statements()) {
                statement.execute(sql);
            }
            // Fresh statistics for every index, as a long-running store has (Derby's istat daemon, autovacuum's ANALYZE).
            statement.execute(engine == Dialect.DERBY ? "CALL SYSCS_UTIL.SYSCS_UPDATE_STATISTICS('APP', 'COMMAND', NULL)" : "ANALYZE command");
        }
    }

    /** The statements of a migration file on the class path, comments left out. */
    private static List<String> statementsOf(String resource) throws IOException {
        try (InputStream in = CommandIndexBenchmarkTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.trim().startsWith("--")).collect(Collectors.joining("\n"));
            return Arrays.stream(text.split(";")).map(String::trim).filter(sql -> !sql.isEmpty()).toList();
        }
    }

    private static String indexes(Kernel kernel, Dialect engine) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             ResultSet rows = connection.getMetaData().getIndexInfo(null, null, engine == Dialect.DERBY ? "COMMAND" : "command", false, false)) {
            Map<String, List<String>> columns = new TreeMap<>();
            while (rows.next()) {
                if (rows.getString("INDEX_NAME") != null) {
                    columns.computeIfAbsent(rows.getString("INDEX_NAME").toLowerCase(Locale.ROOT), name -> new ArrayList<>())
                            .add(String.valueOf(rows.getString("COLUMN_NAME")).toLowerCase(Locale.ROOT));
                }
            }
            return columns.entrySet().stream().map(index -> index.getKey() + index.getValue()).collect(Collectors.joining(" "));
        }
    }

    /** The reader's plan and its wall time (the best of three runs, the first after a warm-up run). */
    private static String plan(Kernel kernel, Dialect engine, Reader reader) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                long best = Long.MAX_VALUE;
                String plan;
                if (engine == Dialect.DERBY) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("CALL SYSCS_UTIL.SYSCS_SET_RUNTIMESTATISTICS(1)");
                    }
                    for (int run = 0; run < 4; run++) {
                        long start = System.nanoTime();
                        run(connection, reader.sql(), reader.parameters());
                        best = run == 0 ? best : Math.min(best, System.nanoTime() - start);
                    }
                    try (Statement statement = connection.createStatement();
                         ResultSet rows = statement.executeQuery("VALUES SYSCS_UTIL.SYSCS_GET_RUNTIMESTATISTICS()")) {
                        rows.next();
                        plan = derbySummary(rows.getString(1));
                    }
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("CALL SYSCS_UTIL.SYSCS_SET_RUNTIMESTATISTICS(0)");
                    }
                } else {
                    for (int run = 0; run < 4; run++) {
                        long start = System.nanoTime();
                        run(connection, reader.sql(), reader.parameters());
                        best = run == 0 ? best : Math.min(best, System.nanoTime() - start);
                    }
                    StringBuilder lines = new StringBuilder();
                    try (PreparedStatement explain = connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + reader.sql())) {
                        bind(explain, reader.parameters());
                        try (ResultSet rows = explain.executeQuery()) {
                            while (rows.next()) {
                                lines.append("\n      ").append(rows.getString(1));
                            }
                        }
                    }
                    plan = lines.toString();
                }
                return String.format("  %-36s %8.2f ms  %s%n", reader.name(), best / 1e6, plan);
            } finally {
                connection.rollback();
            }
        }
    }

    private static void run(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            if (statement.execute()) {
                try (ResultSet rows = statement.getResultSet()) {
                    while (rows.next()) {
                        rows.getObject(1);
                    }
                }
            }
        }
    }

    private static void bind(PreparedStatement statement, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(i + 1, parameters.get(i));
        }
    }

    /** The access path of each result set on command and how many rows and pages it read, from Derby's statistics. */
    private static String derbySummary(String statistics) {
        List<String> kept = new ArrayList<>();
        for (String line : statistics.lines().map(String::trim).toList()) {
            if (line.matches("(Index Scan|Table Scan|Index Row to Base Row|Sort|Grouped Aggregate|Scalar Aggregate|Update|Distinct Scan).*")
                    || line.startsWith("Number of rows visited") || line.startsWith("Number of rows qualified")
                    || line.startsWith("Number of pages visited")) {
                kept.add(line.replaceAll(" at (read|serializable|repeatable).*", ""));
            }
        }
        return String.join("; ", kept);
    }

    private static long count(Kernel kernel, String sql) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             PreparedStatement count = connection.prepareStatement(sql);
             ResultSet rows = count.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Ten install commands per device, one reconciler-sized transaction per device. */
    private static void queue(Kernel kernel, List<DeviceId> devices) {
        String payload = "x".repeat(300);
        for (DeviceId device : devices) {
            kernel.transactions().inTransaction("queue", tx -> {
                DeviceRecord record = kernel.devices().get(tx, device).orElseThrow();
                List<CommandRequest> requests = new ArrayList<>();
                for (int i = 0; i < COMMANDS_PER_DEVICE; i++) {
                    requests.add(new CommandRequest(CommandType.INSTALL_PROFILE, Map.of("payload", payload, "n", i), 0, Optional.empty()));
                }
                return kernel.commands().issueAll(tx, ADMIN, record, requests);
            });
        }
    }

    /** Each device's commands one message at a time, as an Apple device answers: its answer, then its next command. */
    private static int takeAndReport(Kernel kernel, List<DeviceId> devices) {
        int answered = 0;
        for (DeviceId device : devices) {
            List<Command> next = kernel.commands().take(device, 1);
            while (!next.isEmpty()) {
                kernel.commands().report(device, new CommandResult(next.get(0).id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
                answered++;
                next = kernel.commands().take(device, 1);
            }
        }
        return answered;
    }

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    /** CPU of this thread, and on PostgreSQL of the database's backends, over some work. */
    private record Cpu(long threadNanos, long backendNanos, long wallNanos) {
        String per(int commands) {
            return String.format("%.3f ms thread CPU%s, %.3f ms wall", threadNanos / 1e6 / commands,
                    backendNanos < 0 ? "" : String.format(" + %.3f ms PostgreSQL backends' CPU", backendNanos / 1e6 / commands),
                    wallNanos / 1e6 / commands);
        }
    }

    private static Cpu measure(Kernel kernel, Dialect engine, Work work) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> backendsBefore = engine == Dialect.POSTGRESQL ? backendTicks(kernel) : Map.of();
        long cpuBefore = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        work.run();
        long wall = System.nanoTime() - start;
        long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
        long backends = -1;
        if (engine == Dialect.POSTGRESQL) {
            long ticks = 0;
            for (Map.Entry<Long, Long> backend : backendTicks(kernel).entrySet()) {
                ticks += backend.getValue() - backendsBefore.getOrDefault(backend.getKey(), 0L);
            }
            backends = ticks * 10_000_000L; // USER_HZ is 100 on Linux
        }
        return new Cpu(cpu, backends, wall);
    }

    /** utime + stime (clock ticks) of every backend connected to this test's database, by process id. */
    private static Map<Long, Long> backendTicks(Kernel kernel) throws SQLException, IOException {
        List<Long> pids = new ArrayList<>();
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                pids.add(rows.getLong(1));
            }
        }
        Map<Long, Long> ticks = new HashMap<>();
        for (long pid : pids) {
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            if (Files.isReadable(stat)) {
                String text = Files.readString(stat);
                // After the command name in parentheses: state is field 3, utime field 14, stime field 15.
                String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
                ticks.put(pid, Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
            }
        }
        return ticks;
    }
}
