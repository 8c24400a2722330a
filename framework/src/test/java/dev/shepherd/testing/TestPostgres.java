package dev.shepherd.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real PostgreSQL server for tests, started from the installed binaries ({@code initdb}, {@code pg_ctl}) once per
 * test JVM in a temporary directory on a free loopback port, and stopped when the JVM exits. Each test installation
 * gets a database of its own. Connections authenticate with a user and a password (SCRAM), as a production server
 * asks, so the credentials travel the way {@code database.username} and {@code database.password} configure them.
 *
 * <p>The binaries are looked for in {@code $SHEPHERD_TEST_POSTGRES_BIN}, then Debian's
 * {@code /usr/lib/postgresql/<version>/bin} (the newest), then the {@code PATH}. Without them a test that needs
 * PostgreSQL is skipped with a message saying so; a server that is installed but fails to start fails the test.
 * PostgreSQL refuses to run as root: as root, the server runs as the {@code postgres} user Debian's package creates.
 */
public final class TestPostgres {

    public static final String USER = "shepherd";
    private static final String BIN_ENVIRONMENT = "SHEPHERD_TEST_POSTGRES_BIN";
    private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
    private static final String SYSTEM_USER = "postgres";
    /**
     * Set to {@code true}, the server loads {@code pg_stat_statements}, so a benchmark can say which statements the
     * database spent its time on ({@link #statementCosts}); off by default, since it costs every statement a little.
     */
    public static final String STATEMENT_STATISTICS_PROPERTY = "shepherd.test.postgres.statements";

    private final Path binaries;
    private final Path directory;
    private final int port;
    private final String password;
    private final boolean asSystemUser;
    private final AtomicInteger created = new AtomicInteger();
    private final Map<Path, String> databaseOfHome = new ConcurrentHashMap<>();

    private TestPostgres(Path binaries, Path directory, int port, String password, boolean asSystemUser) {
        this.binaries = binaries;
        this.directory = directory;
        this.port = port;
        this.password = password;
        this.asSystemUser = asSystemUser;
    }

    /** The one server of this JVM, started lazily by the first test that asks for it. */
    private static final class Running {
        static final TestPostgres SERVER = start(binaries().orElseThrow());
    }

    /**
     * The running server, started at the first call.
     *
     * @throws org.opentest4j.TestAbortedException (the test is skipped) when PostgreSQL is not installed
     */
    public static TestPostgres get() {
        assumeTrue(installed(), NOT_INSTALLED);
        return Running.SERVER;
    }

    /** Whether the PostgreSQL binaries are there to start a server from. */
    public static boolean installed() {
        return binaries().isPresent();
    }

    /** Why a test that runs on PostgreSQL is skipped when {@link #installed()} is false. */
    public static final String NOT_INSTALLED = "PostgreSQL is not installed (no initdb and pg_ctl in $" + BIN_ENVIRONMENT
            + ", " + DEBIAN_VERSIONS + "/<version>/bin or the PATH; Debian: apt-get install postgresql), so this test"
            + " that runs on PostgreSQL is skipped";

    /** @return the JDBC URL of a database on this server */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String password() {
        return password;
    }

    /** @return a new, empty database's name */
    public String createDatabase() {
        String name = "shepherd_test_" + created.incrementAndGet();
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USER, password);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name + " on the test PostgreSQL", e);
        }
        return name;
    }

    /**
     * The database of a test installation: created at the first call for that directory, the same one afterwards,
     * so a test can stop its server and start it again over the same store.
     */
    public String databaseOf(Path home) {
        return databaseOfHome.computeIfAbsent(home.toAbsolutePath().normalize(), ignored -> createDatabase());
    }

    /**
     * Writes a database to a file in PostgreSQL's custom format ({@code pg_dump -Fc}), such as a benchmark's stored
     * fleet, to be {@linkplain #restore restored} by a later test JVM into its own server.
     */
    public void dump(String database, Path file) {
        client("pg_dump", "-Fc", "--no-owner", "-f", file.toAbsolutePath().toString(), "-d", database);
    }

    /** Restores a {@link #dump} into a database of this server, created empty for it (such as {@link #databaseOf}'s). */
    public void restore(Path file, String database) {
        client("pg_restore", "--no-owner", "-d", database, file.toAbsolutePath().toString());
    }

    /** What the database spent on one statement, as {@code pg_stat_statements} counts it. */
    public record StatementCost(String query, long calls, double totalMillis, long rows, long sharedBlocksRead,
                                long sharedBlocksHit) {
    }

    /**
     * Starts counting statements' costs afresh in a database; false when the server was started without
     * {@link #STATEMENT_STATISTICS_PROPERTY}.
     */
    public boolean resetStatementCosts(String database) {
        if (!Boolean.getBoolean(STATEMENT_STATISTICS_PROPERTY)) {
            return false;
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl(database), USER, password);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            statement.execute("SELECT pg_stat_statements_reset()");
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot reset pg_stat_statements in " + database, e);
        }
    }

    /**
     * The statements a database spent most time on since {@link #resetStatementCosts}, most first; empty when the
     * server was started without {@link #STATEMENT_STATISTICS_PROPERTY}.
     */
    public List<StatementCost> statementCosts(String database, int limit) {
        if (!Boolean.getBoolean(STATEMENT_STATISTICS_PROPERTY)) {
            return List.of();
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl(database), USER, password);
             PreparedStatement select = connection.prepareStatement("SELECT s.query, s.calls, s.total_exec_time, s.rows,"
                     + " s.shared_blks_read, s.shared_blks_hit FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                     + " WHERE d.datname = ? ORDER BY s.total_exec_time DESC LIMIT ?")) {
            select.setString(1, database);
            select.setInt(2, limit);
            List<StatementCost> costs = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    costs.add(new StatementCost(rows.getString(1), rows.getLong(2), rows.getDouble(3), rows.getLong(4),
                            rows.getLong(5), rows.getLong(6)));
                }
            }
            return costs;
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read pg_stat_statements in " + database, e);
        }
    }

    /** Runs a client program of the installation against this server, as its user, over TCP on loopback. */
    private void client(String program, String... arguments) {
        List<String> line = new ArrayList<>(List.of(binaries.resolve(program).toString(),
                "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER));
        line.addAll(List.of(arguments));
        try {
            Path output = Files.createTempFile("shepherd-pg", ".out");
            try {
                ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output.toFile());
                // The password goes in the client's environment, never on its command line.
                builder.environment().put("PGPASSWORD", password);
                Process process = builder.start();
                if (!process.waitFor(2, TimeUnit.HOURS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(program + " did not finish in 2 hours");
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(program + " exited with " + process.exitValue() + ":\n"
                            + Files.readString(output, StandardCharsets.UTF_8));
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Optional<Path> binaries() {
        List<Path> candidates = new ArrayList<>();
        String configured = System.getenv(BIN_ENVIRONMENT);
        if (configured != null && !configured.isBlank()) {
            candidates.add(Path.of(configured));
        }
        if (Files.isDirectory(DEBIAN_VERSIONS)) {
            try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
                versions.filter(version -> version.getFileName().toString().matches("\\d+"))
                        .sorted(Comparator.comparingInt((Path version) -> Integer.parseInt(version.getFileName().toString())).reversed())
                        .forEach(version -> candidates.add(version.resolve("bin")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                candidates.add(Path.of(entry));
            }
        }
        return candidates.stream()
                .filter(dir -> Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl")))
                .findFirst();
    }

    private static TestPostgres start(Path binaries) {
        boolean asSystemUser = "root".equals(System.getProperty("user.name"));
        try {
            Path directory = Files.createTempDirectory("shepherd-pg");
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            String password = HexFormat.of().formatHex(secret);
            Path passwordFile = directory.resolve("password");
            Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
            if (asSystemUser) {
                UserPrincipal postgres = directory.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SYSTEM_USER);
                Files.setOwner(directory, postgres);
                Files.setOwner(passwordFile, postgres);
            }
            Path data = directory.resolve("data");
            run(asSystemUser, directory, binaries.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
                    "--pwfile=" + passwordFile, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync");
            Files.delete(passwordFile);
            IOException lastFailure = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = freePort();
                try {
                    // No fsync: a test server's data need not survive the machine crashing, and tests run faster. Commits
                    // stay synchronous, so what a client was told is committed is in the server's log when it hears so.
                    run(asSystemUser, directory, binaries.resolve("pg_ctl").toString(), "-D", data.toString(),
                            "-l", directory.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                            "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1 -c fsync=off"
                                    + " -c full_page_writes=off -c max_connections=300"
                                    + (Boolean.getBoolean(STATEMENT_STATISTICS_PROPERTY)
                                    ? " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=2000" : ""),
                            "start");
                } catch (IOException e) {
                    lastFailure = e;
                    continue;
                }
                TestPostgres server = new TestPostgres(binaries, directory, port, password, asSystemUser);
                Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "test-postgres-stop"));
                return server;
            }
            throw lastFailure;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the test PostgreSQL from " + binaries, e);
        }
    }

    /**
     * The CPU time the server's processes have used so far: the postmaster's own and that of the children it has
     * reaped (closed connections), plus each live child's (backends, checkpointer, WAL writer, autovacuum), read from
     * Linux's {@code /proc}. A benchmark adds the difference over its run to the Shepherd JVMs' CPU, since on
     * PostgreSQL the database's work is done in these processes, not in the JVM.
     *
     * @return empty where {@code /proc} cannot tell (not Linux, the server gone)
     */
    public Optional<Duration> cpuTime() {
        try {
            long postmaster = Long.parseLong(Files.readAllLines(directory.resolve("data").resolve("postmaster.pid")).get(0).trim());
            Optional<long[]> own = procStat(Path.of("/proc", Long.toString(postmaster), "stat"));
            if (own.isEmpty()) {
                return Optional.empty();
            }
            // Fields after the command name: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime, in clock ticks.
            long ticks = own.get()[11] + own.get()[12] + own.get()[13] + own.get()[14];
            try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
                for (Path process : processes.filter(path -> path.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                    Optional<long[]> stat = procStat(process.resolve("stat"));
                    if (stat.isPresent() && stat.get()[1] == postmaster) {
                        ticks += stat.get()[11] + stat.get()[12];
                    }
                }
            }
            return Optional.of(Duration.ofNanos(ticks * 1_000_000_000L / CLOCK_TICKS_PER_SECOND));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Linux's user-visible clock tick for /proc times (USER_HZ), 100 on every architecture Debian ships. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    /** The numeric fields of a /proc/<pid>/stat line after the parenthesised command name; empty if it is gone. */
    private static Optional<long[]> procStat(Path stat) {
        String line;
        try {
            line = Files.readString(stat, StandardCharsets.US_ASCII);
        } catch (IOException gone) {
            return Optional.empty();
        }
        String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        long[] numbers = new long[15];
        for (int i = 1; i < numbers.length; i++) {
            numbers[i] = Long.parseLong(fields[i]);
        }
        return Optional.of(numbers);
    }

    private void stop() {
        try {
            run(asSystemUser, directory, binaries.resolve("pg_ctl").toString(), "-D", directory.resolve("data").toString(),
                    "-m", "immediate", "-w", "stop");
        } catch (IOException e) {
            System.err.println("The test PostgreSQL did not stop: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("Cannot remove " + directory + ": " + e.getMessage());
        }
    }

    private static void run(boolean asSystemUser, Path directory, String... command) throws IOException {
        List<String> line = new ArrayList<>();
        if (asSystemUser) {
            line.addAll(List.of("runuser", "-u", SYSTEM_USER, "--"));
        }
        line.addAll(List.of(command));
        Path output = Files.createTempFile("shepherd-pg", ".out");
        try {
            Process process = new ProcessBuilder(line).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", line) + " did not finish in 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", line) + " exited with " + process.exitValue() + ":\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + line.get(0), e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
