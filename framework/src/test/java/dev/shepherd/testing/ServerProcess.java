package dev.shepherd.testing;

import dev.shepherd.cli.ShepherdCli;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * A Shepherd server in a JVM of its own, started as {@code bin/shepherd run} starts it (the CLI's main class, the
 * installation directory as {@code shepherd.home}, settings as {@code SHEPHERD_*} environment variables) on this test
 * JVM's class path, for tests that need several nodes or kill one with SIGKILL. Its output goes to
 * {@code <home>/node.log}. HTTP on a free loopback port, a fast plugin scan, the test kit's bootstrap admin.
 */
public final class ServerProcess implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(90);

    private final Path home;
    private final int port;
    private final Process process;

    private ServerProcess(Path home, int port, Process process) {
        this.home = home;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a node and waits until it is ready ({@code /health/ready}).
     *
     * @param home the node's installation directory ({@code conf/}, {@code plugins/}, {@code data/})
     * @param environment SHEPHERD_* settings, such as the database's, overriding the defaults here
     * @param maxHeap the node's heap, such as {@code 384m}
     */
    public static ServerProcess start(Path home, Map<String, String> environment, String maxHeap) throws IOException {
        requireNonNull(home, "home is null");
        Files.createDirectories(home.resolve("plugins"));
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-Dshepherd.home=" + home.toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), ShepherdCli.class.getName(), "run"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("node.log").toFile()));
        Map<String, String> env = new HashMap<>(Map.of(
                "SHEPHERD_HTTP_HOST", "127.0.0.1",
                "SHEPHERD_HTTP_PORT", Integer.toString(port),
                "SHEPHERD_HTTPS_PORT", "-1",
                "SHEPHERD_PLUGINS_SCAN_INTERVAL", "200ms",
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s",
                "SHEPHERD_BOOTSTRAP_ADMIN_USER", TestServer.ADMIN,
                "SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD", TestServer.ADMIN_PASSWORD,
                "SHEPHERD_SECURITY_BASIC_AUTH", "true"));
        env.putAll(environment);
        // Only what is given here: the test JVM's own SHEPHERD_* settings must not leak into the node.
        builder.environment().keySet().removeIf(name -> name.startsWith("SHEPHERD_"));
        builder.environment().putAll(env);
        ServerProcess node = new ServerProcess(home, port, builder.start());
        node.awaitReady();
        return node;
    }

    private void awaitReady() throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node " + home + " exited with " + process.exitValue() + " before it was ready; see "
                        + home.resolve("node.log"));
            }
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(uri("/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("node " + home + " was not ready within " + STARTUP + "; see " + home.resolve("node.log"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public Path home() {
        return home;
    }

    public Path pluginsDir() {
        return home.resolve("plugins");
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The node's process id, for the report of a test that kills it. */
    public long pid() {
        return process.pid();
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed or closed. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("node " + home + " survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the node as SIGTERM does (its shutdown hook closes it), or kills it when it does not stop in time. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** The node's log so far, for failure messages. */
    public String log() {
        try {
            return Files.readString(home.resolve("node.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
