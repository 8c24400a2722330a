package dev.shepherd.testing;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A real Shepherd server in a JVM of its own ({@code shepherd run} over an installation directory, on this test JVM's
 * class path), for tests that need several nodes, kill one with SIGKILL ({@link #kill()}) and start it again over the
 * same store ({@link #restart}), or measure the server apart from the load generator: its CPU time is read from the
 * operating system ({@link #cpuTime()}). Same settings as {@link TestServer} (loopback HTTP on a port chosen here, a
 * fast plugin scan, a bootstrap admin with Basic, the store engine of this test JVM), plus the caller's; only those:
 * the test JVM's own SHEPHERD_* variables do not leak in. Its output goes to {@code <home>/node.log}.
 */
public final class ServerProcess implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final long CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Path home;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final int port;
    private Process process;

    private ServerProcess(Path home, Map<String, String> environment, List<String> jvmOptions, int port) {
        this.home = home;
        this.environment = environment;
        this.jvmOptions = jvmOptions;
        this.port = port;
    }

    /**
     * @param home the installation directory ({@code conf/shepherd.yaml}, {@code plugins/}, {@code data/}), prepared by the caller
     * @param environment extra SHEPHERD_* settings, overriding the test defaults
     * @param jvmOptions options for the server's JVM, such as {@code -Xmx1g} or a flight recording
     * @return the server, not started yet
     */
    public static ServerProcess over(Path home, Map<String, String> environment, List<String> jvmOptions) {
        requireNonNull(home, "home is null");
        Map<String, String> env = new HashMap<>(Map.of(
                "SHEPHERD_HTTP_HOST", "127.0.0.1",
                "SHEPHERD_HTTPS_PORT", "-1",
                "SHEPHERD_PLUGINS_SCAN_INTERVAL", "200ms",
                "SHEPHERD_BOOTSTRAP_ADMIN_USER", TestServer.ADMIN,
                "SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD", TestServer.ADMIN_PASSWORD,
                "SHEPHERD_SECURITY_BASIC_AUTH", "true"));
        env.putAll(TestStore.environment(home));
        env.putAll(requireNonNull(environment, "environment is null"));
        int port = freePort();
        env.put("SHEPHERD_HTTP_PORT", Integer.toString(port));
        return new ServerProcess(home, Map.copyOf(env), List.copyOf(jvmOptions), port);
    }

    /**
     * Starts a node with a heap of {@code maxHeap} (such as {@code 384m}) and the serial collector, as the tests with
     * several nodes run them, and waits until it is ready.
     *
     * @param home the node's installation directory ({@code conf/}, {@code plugins/}, {@code data/})
     * @param environment SHEPHERD_* settings, such as the database's, overriding the defaults
     */
    public static ServerProcess start(Path home, Map<String, String> environment, String maxHeap) {
        Map<String, String> settings = new HashMap<>(Map.of("SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s"));
        settings.putAll(environment);
        return over(home, settings, List.of("-Xmx" + maxHeap, "-XX:+UseSerialGC")).start(STARTUP);
    }

    /**
     * Starts the server's JVM and waits until {@code /health/ready} answers 200 (the store reachable, the plugins
     * loaded), at most {@code timeout}.
     */
    public ServerProcess start(Duration timeout) {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the server is running");
        }
        try {
            Files.createDirectories(pluginsDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        seedDerbyStore();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dshepherd.home=" + home.toAbsolutePath());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.shepherd.cli.ShepherdCli", "run"));
        Path log = home.resolve("node.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("SHEPHERD_"));
        builder.environment().putAll(environment);
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with " + process.exitValue() + "; see " + log);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(uri("/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(Duration.ofMillis(50));
        }
        process.destroyForcibly();
        throw new IllegalStateException("the server was not ready within " + timeout + "; see " + log);
    }

    public Path home() {
        return home;
    }

    /** On Derby, the node's store is seeded as a test installation's is ({@link TestStore#seedDerbyStore}), if it has none. */
    private void seedDerbyStore() {
        Path configFile = environment.containsKey("SHEPHERD_CONFIG") ? Path.of(environment.get("SHEPHERD_CONFIG"))
                : home.resolve("conf").resolve("shepherd.yaml");
        ShepherdConfig config;
        try {
            config = new ConfigLoader(environment).load(home, configFile);
        } catch (RuntimeException invalid) {
            return; // the server reports its own configuration's problem when it starts
        }
        TestStore.seedDerbyStore(config);
    }

    public Path pluginsDir() {
        return home.resolve("plugins");
    }

    /** The server's output so far, every start of it, for failure messages. */
    public String log() {
        try {
            return Files.readString(home.resolve("node.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return an address on the server, such as {@code uri("/api/v1/devices")} */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** @return the process id of the server JVM started last, running or not (a test reports the one it killed) */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException("the server was never started");
        }
        return process.pid();
    }

    /**
     * The CPU time the server's JVM has used so far, user and system, every thread, as the kernel accounts it (the
     * operating system's clock-tick resolution, 10 ms on Linux).
     */
    public Duration cpuTime() {
        return running().toHandle().info().totalCpuDuration()
                .orElseThrow(() -> new IllegalStateException("the operating system does not tell this process's CPU time"));
    }

    /**
     * The CPU time the server's live threads have used so far, summed by what the threads do, as the operating system
     * accounts it per thread ({@code /proc/<pid>/task/<tid>/stat}, clock-tick resolution). The kinds, told by thread
     * name: {@code http-io} (Undertow's I/O threads: TLS, HTTP/2 framing and header decoding), {@code http-workers}
     * (Undertow's worker threads: the kernel's request handling), {@code plugin-calls} (plugins' call and event
     * threads), {@code device-work} (the kernel's policy, compliance and app queues), {@code jit} (the JIT
     * compilers), {@code gc-vm} (the garbage collector and the VM thread), {@code derby} (Derby's own background
     * threads), {@code other}. Threads that ended are in no kind: a caller
     * compares the sum with {@link #cpuTime()} for them.
     *
     * @return CPU time by kind, in the order above; empty where the operating system has no {@code /proc}
     */
    public Map<String, Duration> cpuTimeByThreadKind() {
        Map<String, Duration> kinds = new LinkedHashMap<>();
        for (String kind : List.of("http-io", "http-workers", "plugin-calls", "device-work", "jit", "gc-vm", "derby", "other")) {
            kinds.put(kind, Duration.ZERO);
        }
        Path tasks = Path.of("/proc", Long.toString(pid()), "task");
        if (!Files.isDirectory(tasks)) {
            return Map.of();
        }
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : threads.toList()) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (IOException ended) {
                    continue;
                }
                // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String name = stat.substring(open + 1, close);
                String[] fields = stat.substring(close + 2).split(" ");
                // After comm: state is field 3 of stat(5), so utime (14) and stime (15) are at 11 and 12 here.
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                kinds.merge(threadKind(name), Duration.ofNanos(ticks * 1_000_000_000L / CLOCK_TICKS_PER_SECOND), Duration::plus);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kinds;
    }

    private static String threadKind(String name) {
        if (name.startsWith("XNIO-") && name.contains(" I/O")) {
            return "http-io";
        }
        if (name.startsWith("XNIO-")) {
            return "http-workers";
        }
        // "plugin-host" scans the plugins folder and loads plugins; it makes no plugin calls.
        if (name.startsWith("plugin-") && !name.equals("plugin-host")) {
            return "plugin-calls";
        }
        // The kernel's policy, compliance and app queues ("device-work-policy", cut to 15 characters by Linux).
        if (name.startsWith("device-work")) {
            return "device-work";
        }
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            return "jit";
        }
        if (name.startsWith("GC ") || name.startsWith("G1 ") || name.startsWith("VM ")) {
            return "gc-vm";
        }
        if (name.startsWith("derby")) {
            return "derby";
        }
        return "other";
    }

    private static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String ticks = new String(getconf.getInputStream().readAllBytes()).strip();
            return getconf.waitFor() == 0 ? Long.parseLong(ticks) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /** Kills the server with SIGKILL: no shutdown hooks, no clean close of the store, as a crash or the OOM killer does. */
    public void kill() {
        Process killed = running();
        killed.destroyForcibly();
        try {
            if (!killed.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the server did not die within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the server again over the same installation and store, waiting as {@link #start} does. */
    public ServerProcess restart(Duration timeout) {
        return start(timeout);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    private Process running() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("the server is not running");
        }
        return process;
    }

    /** Stops the server as an operator does (SIGTERM: graceful shutdown), waiting at most 60 s before SIGKILL. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
