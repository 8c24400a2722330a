package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.ServerProcess;
import dev.shepherd.testing.TestPostgres;
import dev.shepherd.testing.TestStore;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Apple benchmarks share: an installation with the iOS plugin file and the local push service, the admin
 * API as a script calls it, and the figures read from a server's {@code /metrics} (Prometheus text).
 */
final class BenchmarkSupport {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BUCKET = Pattern.compile("^shepherd_device_messages_seconds_bucket\\{([^}]*)\\} ([0-9.eE+]+)$");
    private static final Pattern BUCKET_BOUND = Pattern.compile("le=\"([^\"]+)\"");
    private static final Pattern TRANSACTIONS = Pattern.compile("^shepherd_db_transactions_seconds_count\\{[^}]*\\} ([0-9.eE+]+)$");
    /** Connections taken from the pool and given back: one per transaction, and one per statement run outside one. */
    private static final Pattern CHECKOUTS = Pattern.compile("^hikaricp_connections_usage_seconds_count\\{[^}]*\\} ([0-9.eE+]+)$");
    private static final Pattern HEAP_USED = Pattern.compile("^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.eE+]+)$");
    private static final Pattern COMMANDS = Pattern.compile("^shepherd_commands\\{[^}]*state=\"([a-z_]+)\"[^}]*\\} ([0-9.eE+]+)$");
    private static final Pattern QUEUE_DEPTH = Pattern.compile("^shepherd_command_queue_depth(?:\\{[^}]*\\})? ([0-9.eE+]+)$");

    private BenchmarkSupport() {
    }

    /**
     * Prepares a server installation: {@code conf/shepherd.yaml} with the iOS plugin's push settings (topic, the local
     * push service and its certificate) and the plugin file under {@code plugins/}.
     */
    static void installation(Path home, String topic, LocalApns apns) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("plugins"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    apple-ios:
                      topic: %s
                      apnsUrl: "%s"
                      apnsTrustedCertificate: "%s"
                """.formatted(topic, apns.url(), apns.trustedCertificate()));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), home.resolve("plugins/apple-ios.zip"));
    }

    static void awaitPlugin(Admin admin) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (admin.status("GET", "/mdm/apple-ios/checkin") != 405) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the iOS plugin did not load within 60 s");
            }
            Thread.sleep(200);
        }
    }

    /** The CPU time this JVM (the load generator) has used so far, user and system. */
    static Duration generatorCpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow();
    }

    /**
     * The CPU time the store's own processes have used so far: PostgreSQL's (the test server's processes); empty for
     * embedded Derby, whose work is in the server JVM's CPU already.
     */
    static Optional<Duration> storeCpu() {
        return TestStore.engine() == Dialect.POSTGRESQL ? TestPostgres.get().cpuTime() : Optional.empty();
    }

    /** The store's CPU over a run, as a report's words: empty for Derby. */
    static String storeCpuLine(Optional<Duration> before, long messages, Duration serverJvmCpu) {
        Optional<Duration> after = storeCpu();
        if (before.isEmpty() || after.isEmpty()) {
            return "";
        }
        Duration store = after.get().minus(before.get());
        return String.format("PostgreSQL's processes CPU: %.1f s = %.3f ms per message; server JVM(s) + PostgreSQL: %.3f ms per message%n",
                store.toNanos() / 1e9, store.toNanos() / 1e6 / messages, serverJvmCpu.plus(store).toNanos() / 1e6 / messages);
    }

    /**
     * Starts counting PostgreSQL's statement costs for a store, when the test server was started with
     * {@code -Dshepherd.test.postgres.statements=true}; does nothing otherwise, or on Derby.
     */
    static void resetStatementCosts(Path store) {
        if (TestStore.engine() == Dialect.POSTGRESQL) {
            TestPostgres server = TestPostgres.get();
            server.resetStatementCosts(server.databaseOf(store));
        }
    }

    /** The statements PostgreSQL spent most time on since {@link #resetStatementCosts}, per message; empty if not counted. */
    static String statementCostLines(Path store, long messages) {
        if (TestStore.engine() != Dialect.POSTGRESQL) {
            return "";
        }
        TestPostgres server = TestPostgres.get();
        List<TestPostgres.StatementCost> costs = server.statementCosts(server.databaseOf(store), 20);
        if (costs.isEmpty()) {
            return "";
        }
        StringBuilder lines = new StringBuilder("PostgreSQL's statements by execution time (pg_stat_statements; ms and calls per message,"
                + " rows per call, blocks read from outside the buffer cache per call):\n");
        for (TestPostgres.StatementCost cost : costs) {
            String query = cost.query().replaceAll("\\s+", " ").trim();
            lines.append(String.format("  %7.3f ms %6.2f calls %7.1f rows %7.1f reads  %s%n", cost.totalMillis() / messages,
                    (double) cost.calls() / messages, cost.calls() == 0 ? 0 : (double) cost.rows() / cost.calls(),
                    cost.calls() == 0 ? 0 : (double) cost.sharedBlocksRead() / cost.calls(),
                    query.length() > 220 ? query.substring(0, 220) + "…" : query));
        }
        return lines.toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** One reading of a server's {@code /metrics}. */
    record Scrape(String text) {

        /** The device-message latency histogram of the iOS plugin: cumulative counts by bucket bound, summed over outcomes. */
        Map<String, Double> messageBuckets() {
            Map<String, Double> buckets = new TreeMap<>();
            for (String line : text.split("\n")) {
                Matcher bucket = BUCKET.matcher(line);
                if (bucket.matches() && bucket.group(1).contains("platform=\"apple-ios\"")) {
                    Matcher le = BUCKET_BOUND.matcher(bucket.group(1));
                    if (le.find()) {
                        buckets.merge(le.group(1), Double.parseDouble(bucket.group(2)), Double::sum);
                    }
                }
            }
            return buckets;
        }

        /** Database transactions the server has run. */
        double transactions() {
            return sum(TRANSACTIONS);
        }

        /** Connections the server has taken from its pool (each transaction, and each read outside one). */
        double connectionCheckouts() {
            return sum(CHECKOUTS);
        }

        /** Heap in use, bytes, summed over the heap's pools. */
        double heapUsed() {
            return sum(HEAP_USED);
        }

        /** Commands in the store by state (lower case), as the server last counted them. */
        Map<String, Double> commandsByState() {
            Map<String, Double> states = new TreeMap<>();
            for (String line : text.split("\n")) {
                Matcher matcher = COMMANDS.matcher(line);
                if (matcher.matches()) {
                    states.merge(matcher.group(1), Double.parseDouble(matcher.group(2)), Double::sum);
                }
            }
            return states;
        }

        /** Commands waiting for their device, fan-out rows not yet written included. */
        double queueDepth() {
            return sum(QUEUE_DEPTH);
        }

        private double sum(Pattern pattern) {
            double sum = 0;
            for (String line : text.split("\n")) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.matches()) {
                    sum += Double.parseDouble(matcher.group(1));
                }
            }
            return sum;
        }
    }

    static Map<String, Double> difference(Map<String, Double> after, Map<String, Double> before) {
        Map<String, Double> difference = new TreeMap<>();
        after.forEach((le, count) -> difference.put(le, count - before.getOrDefault(le, 0.0)));
        return difference;
    }

    /** The smallest bucket bound (in ms) that holds the fraction {@code p} of the messages. */
    static String bucketPercentile(Map<String, Double> buckets, double p) {
        double total = buckets.getOrDefault("+Inf", 0.0);
        return buckets.entrySet().stream().filter(entry -> !entry.getKey().equals("+Inf"))
                .map(entry -> Map.entry(Double.parseDouble(entry.getKey()), entry.getValue()))
                .sorted(Map.Entry.comparingByKey())
                .filter(entry -> entry.getValue() >= p * total)
                .findFirst().map(entry -> String.format("%.0f ms", entry.getKey() * 1000)).orElse("> 30 s");
    }

    /**
     * The admin API as a script calls it: with Basic, or after {@link #withToken}, with an API token as a Prometheus
     * scraper does (a password check is a deliberately slow hash, which the measured server should not spend on the
     * benchmark's own scrapes).
     */
    record Admin(ServerProcess server, HttpClient http, String authorization) {
        Admin(ServerProcess server) {
            this(server, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
                    TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD));
        }

        /** The same admin with an API token of their own, valid on every node of the store. */
        Admin withToken() throws Exception {
            String secret = json("POST", "/api/v1/api-tokens", Map.of("name", "benchmark", "validForDays", 1), 201)
                    .path("secret").asText();
            return new Admin(server, http, "Bearer " + secret);
        }

        /** This admin's credential on another node. */
        Admin on(ServerProcess node) {
            return new Admin(node, http, authorization);
        }

        int status(String method, String path) throws Exception {
            return http.send(HttpRequest.newBuilder(server.uri(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }

        JsonNode json(String method, String path, Object body, int expected) throws Exception {
            return JSON.readTree(send(method, path, "application/json", body == null ? null : JSON.writeValueAsString(body), expected));
        }

        Scrape metrics() throws Exception {
            return new Scrape(send("GET", "/metrics", null, null, 200));
        }

        String send(String method, String path, String contentType, String body, int expected) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path))
                    .header("Authorization", authorization)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (contentType != null && body != null) {
                request.header("Content-Type", contentType);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        }
    }

    /** Runs {@code jcmd <server pid> command...} (a flight recording started or dumped), failing if it fails. */
    static void jcmd(ServerProcess server, String... command) {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(server.pid())));
        line.addAll(List.of(command));
        try {
            Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (jcmd.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Node a's CPU over the measured part by thread kind ({@link ServerProcess#cpuTimeByThreadKind()}), per message;
     * what threads that ended used is the rest of the process's CPU.
     */
    static String threadKindLine(Map<String, Duration> before, Map<String, Duration> after, Duration processCpu, long messages) {
        if (after.isEmpty()) {
            return "";
        }
        StringBuilder line = new StringBuilder("server CPU by thread kind (node a), ms per message:");
        Duration live = Duration.ZERO;
        for (Map.Entry<String, Duration> kind : after.entrySet()) {
            Duration used = kind.getValue().minus(before.getOrDefault(kind.getKey(), Duration.ZERO));
            live = live.plus(used);
            line.append(String.format(" %s %.3f,", kind.getKey(), used.toNanos() / 1e6 / messages));
        }
        Duration ended = processCpu.minus(live);
        return line.append(String.format(" threads ended during the loop %.3f%n", Math.max(0, ended.toNanos()) / 1e6 / messages)).toString();
    }
}
