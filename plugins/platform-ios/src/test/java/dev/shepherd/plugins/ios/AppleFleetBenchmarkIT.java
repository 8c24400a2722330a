package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.apple.Plists;
import dev.shepherd.apple.PreEnrolledAppleDevices;
import dev.shepherd.plugins.ios.BenchmarkSupport.Admin;
import dev.shepherd.plugins.ios.BenchmarkSupport.Scrape;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.ServerProcess;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fleet-scale benchmark, not a test (issue 16): a fleet of lightweight simulated iPhones (100,000 by default),
 * each given 10 configuration profiles the way an admin gives them, against one or two Shepherd servers in JVMs of
 * their own ({@link ServerProcess}). Runs only when asked:
 *
 * <pre>mvn -B -q install -DskipTests &amp;&amp; mvn -B verify -pl plugins/platform-ios -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=AppleFleetBenchmarkIT -Dshepherd.benchmark=true [-Dshepherd.test.store=postgresql] \
 *     [-Dshepherd.benchmark.fleet=100000] [-Dshepherd.benchmark.nodes=1|2] [-Dshepherd.benchmark.threads=32] \
 *     [-Dshepherd.benchmark.fleetKey=EC|RSA] [-Dshepherd.benchmark.snapshot=~/.cache/shepherd-benchmark] \
 *     [-Dshepherd.benchmark.serverHeap=1g] [-Dshepherd.benchmark.timeoutMinutes=180] [-Dshepherd.benchmark.jfr=/tmp/fleet.jfr]</pre>
 *
 * <ol>
 *   <li>The fleet comes from a stored snapshot ({@link FleetSnapshot}), built on the first run through the kernel
 *   calls the plugin makes at enrollment: each device its own certificate from the kernel CA, its record, its
 *   bindings and a push token. Two nodes (PostgreSQL only) share the database and the secrets key.</li>
 *   <li>The admin's work, through the admin API: a smart group of every iOS device, a policy of 10 Wi-Fi networks
 *   (each a profile of its own, the password sealed), then the policy assigned to the group. The clock starts at the
 *   assignment. The server's reconciler queues 10 InstallProfile commands per device; the plugin wakes each device
 *   over APNs ({@link LocalApns}).</li>
 *   <li>A device is an index into arrays (UDID, certificate) and one key the fleet shares; devices share the
 *   generator's HTTP/2 connections. When its push arrives, a device sends Idle, then Acknowledged for each command
 *   until the server has nothing more, each message signed ({@code Mdm-Signature}, CMS) as
 *   {@link AppleDeviceSimulator} signs it, to node {@code index % nodes}. A push that arrives while the device is at
 *   work makes it ask again afterwards, as a device does.</li>
 *   <li>Reported (printed and written to {@code target/apple-fleet-benchmark-<engine>-<nodes>.txt}): the wall time
 *   from the assignment to the last Acknowledged; the queue drain curve every 5 s (commands queued and sent, results
 *   recorded, from the server's {@code /metrics}; messages/s and devices done from the generator); each server JVM's
 *   CPU time, total and per message; the generator's CPU; each node's largest heap in use seen and its -Xmx; latency
 *   percentiles. Checked at the end, in the store: every device has exactly 10 InstallProfile commands, all
 *   ACKNOWLEDGED, none handed out more than once; and every device acknowledged exactly 10 profiles (a command
 *   delivered twice would make it 11).</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "shepherd.benchmark", matches = "true")
class AppleFleetBenchmarkIT {

    private static final String PLUGIN_ID = "apple-ios";
    private static final String TOPIC = "com.apple.mgmt.External.fleet-benchmark";
    private static final int PROFILES = 10;
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
    /** Exchange latencies by whole millisecond, up to a minute (slower ones count in the last). */
    private static final int LATENCY_BUCKETS = 60_001;

    @TempDir
    Path home;

    /** What the fleet did, in arrays indexed by device: nothing per device but a few numbers. */
    private static final class FleetProgress {
        /** 0 idle, 1 at work, 2 at work and pushed again meanwhile. */
        final AtomicIntegerArray state;
        final AtomicIntegerArray profilesAcknowledged;
        final AtomicIntegerArray pushed;
        final AtomicLong messages = new AtomicLong();
        final AtomicLong profiles = new AtomicLong();
        final AtomicLong otherCommands = new AtomicLong();
        final AtomicLong retries = new AtomicLong();
        final AtomicLong devicesPushed = new AtomicLong();
        final AtomicLong lastAcknowledgedNanos = new AtomicLong();
        final AtomicLongArray latencyMillis = new AtomicLongArray(LATENCY_BUCKETS);
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        FleetProgress(int size) {
            state = new AtomicIntegerArray(size);
            profilesAcknowledged = new AtomicIntegerArray(size);
            pushed = new AtomicIntegerArray(size);
        }

        double latencyPercentile(double p) {
            long total = 0;
            for (int i = 0; i < LATENCY_BUCKETS; i++) {
                total += latencyMillis.get(i);
            }
            long seen = 0;
            for (int i = 0; i < LATENCY_BUCKETS; i++) {
                seen += latencyMillis.get(i);
                if (seen >= Math.ceil(p * total) && seen > 0) {
                    return i;
                }
            }
            return 0;
        }
    }

    @Test
    void tenProfilesToEveryDeviceOfTheFleet() throws Exception {
        int size = Integer.getInteger("shepherd.benchmark.fleet", 100_000);
        int nodeCount = Integer.getInteger("shepherd.benchmark.nodes", 1);
        int threads = Integer.getInteger("shepherd.benchmark.threads", 32);
        String keyAlgorithm = System.getProperty("shepherd.benchmark.fleetKey", "EC");
        String serverHeap = System.getProperty("shepherd.benchmark.serverHeap", "1g");
        Duration timeout = Duration.ofMinutes(Long.getLong("shepherd.benchmark.timeoutMinutes", 180));
        Optional<String> flightRecording = Optional.ofNullable(System.getProperty("shepherd.benchmark.jfr")).filter(path -> !path.isBlank());
        Path snapshots = Optional.ofNullable(System.getProperty("shepherd.benchmark.snapshot")).filter(path -> !path.isBlank())
                .map(Path::of).orElse(Path.of(System.getProperty("user.home"), ".cache", "shepherd-benchmark"));
        if (nodeCount < 1 || nodeCount > 2) {
            throw new IllegalArgumentException("shepherd.benchmark.nodes is 1 or 2, not " + nodeCount);
        }
        // Nodes share PostgreSQL: with two, the benchmark runs in the PostgreSQL execution alone.
        assumeTrue(nodeCount == 1 || TestStore.engine() == Dialect.POSTGRESQL, "two nodes need PostgreSQL; this runs in the PostgreSQL execution");
        String engine = TestStore.engine().name().toLowerCase();
        StringBuilder report = new StringBuilder();

        // The enrolled fleet, from the snapshot (built first if there is none).
        Path store = home.resolve("store");
        FleetSnapshot snapshot = new FleetSnapshot(snapshots.resolve("fleet-" + engine + "-" + size + "-" + keyAlgorithm.toLowerCase()));
        FleetSnapshot.Restored restored = snapshot.restoreOrBuild(store, size, keyAlgorithm, PLUGIN_ID, TOPIC, 4);
        FleetSnapshot.Fleet fleet = restored.fleet();
        report.append(String.format("Apple fleet, store %s, %d node(s), %d simulated iPhones x %d profiles, %s fleet key, %d generator threads,"
                        + " %d cores, load average %.1f at the start%n", engine, nodeCount, size, PROFILES, keyAlgorithm, threads,
                Runtime.getRuntime().availableProcessors(), loadAverage()));
        report.append(String.format("snapshot %s: %s in %.1f s%n", snapshot.directory(),
                restored.built() ? "enrolled and stored, then restored" : "restored", restored.seconds()));

        report.append(String.format("generator signing alone (Mdm-Signature, CMS, %s): %.3f ms CPU per message%n", keyAlgorithm,
                signingCpuMillis(fleet)));

        Map<String, Integer> deviceOfToken = new HashMap<>(size * 2);
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < size; i++) {
            deviceOfToken.put(hex.formatHex(PreEnrolledAppleDevices.pushToken(fleet.udids()[i])), i);
        }

        try (LocalApns apns = LocalApns.start(home.resolve("apns"))) {
            List<Path> nodeHomes = nodeCount == 1 ? List.of(store) : List.of(home.resolve("node-a"), home.resolve("node-b"));
            Map<String, String> database = TestStore.environment(store);
            List<ServerProcess> nodes = new ArrayList<>();
            try {
                for (int n = 0; n < nodeCount; n++) {
                    Path nodeHome = nodeHomes.get(n);
                    BenchmarkSupport.installation(nodeHome, TOPIC, apns);
                    if (!nodeHome.equals(store)) {
                        Files.createDirectories(nodeHome.resolve("data/keys"));
                        Files.copy(store.resolve("data/keys/secrets.key"), nodeHome.resolve("data/keys/secrets.key"),
                                StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    Map<String, String> environment = new HashMap<>(database);
                    environment.putAll(Map.of("SHEPHERD_NODE_NAME", "node-" + (char) ('a' + n),
                            "SHEPHERD_DATABASE_POOL_SIZE", nodeCount == 1 ? "20" : "12", "SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s",
                            "SHEPHERD_COMMANDS_PUSH_RATE", "10000"));
                    nodes.add(ServerProcess.over(nodeHome, environment, List.of("-Xmx" + serverHeap)).start(Duration.ofMinutes(5)));
                }
                for (ServerProcess node : nodes) {
                    BenchmarkSupport.awaitPlugin(new Admin(node));
                }
                Admin admin = new Admin(nodes.get(0)).withToken();
                List<Admin> admins = nodes.stream().map(admin::on).toList();
                admin.send("PUT", "/api/v1/plugins/apple-ios/push-certificate", "application/x-pem-file",
                        LocalApns.pushCertificatePem(TOPIC, Duration.ofDays(300)), 200);

                // The admin's setup: every iOS device in a smart group, a policy of 10 profiles.
                String group = admin.json("POST", "/api/v1/groups", Map.of("name", "Every iPhone",
                        "rule", Map.of("attribute", "platform", "op", "eq", "value", "ios")), 201).path("id").asText();
                List<Map<String, Object>> settings = new ArrayList<>();
                for (int p = 0; p < PROFILES; p++) {
                    settings.add(Map.of("type", "wifi", "value", Map.of("ssid", "Fleet network " + p, "security", "WPA2_PERSONAL",
                            "password", "benchmark-passphrase-" + p)));
                }
                String policy = admin.json("POST", "/api/v1/policies", Map.of("name", "Fleet networks", "settings", settings), 201)
                        .path("id").asText();

                FleetProgress progress = new FleetProgress(size);
                ExecutorService devices = Executors.newFixedThreadPool(threads);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                apns.onPush(push -> {
                    Integer device = deviceOfToken.get(push.token());
                    if (device == null) {
                        return;
                    }
                    if (progress.pushed.getAndIncrement(device) == 0) {
                        progress.devicesPushed.incrementAndGet();
                    }
                    if (progress.state.getAndUpdate(device, state -> state == 0 ? 1 : 2) == 0) {
                        devices.submit(() -> work(http, nodes, fleet, device, progress));
                    }
                });

                List<Duration> cpuBefore = new ArrayList<>();
                for (ServerProcess node : nodes) {
                    cpuBefore.add(node.cpuTime());
                }
                Map<String, Duration> threadKindsBefore = nodes.get(0).cpuTimeByThreadKind();
                Duration generatorCpuBefore = BenchmarkSupport.generatorCpu();
                Optional<Duration> storeCpuBefore = BenchmarkSupport.storeCpu();
                BenchmarkSupport.resetStatementCosts(store);
                Scrape first = admin.metrics();
                Map<String, Double> bucketsBefore = new HashMap<>();
                for (ServerProcess node : nodes) {
                    admin.on(node).metrics().messageBuckets().forEach((le, count) -> bucketsBefore.merge(le, count, Double::sum));
                }
                double acknowledgedBefore = first.commandsByState().getOrDefault("acknowledged", 0.0);
                double[] heapMax = new double[nodeCount];

                // The clock starts when the admin assigns the policy; a flight recording (node a) covers the same span.
                flightRecording.ifPresent(path -> BenchmarkSupport.jcmd(nodes.get(0), "JFR.start", "name=fleet", "settings=profile"));
                long start = System.nanoTime();
                admin.json("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, Map.of("priority", 10), 200);
                report.append(String.format("policy assigned to the group in %.2f s (the API call)%n", (System.nanoTime() - start) / 1e9));
                report.append("queue drain curve (commands from node a's /metrics; messages/s and devices from the generator):\n");
                report.append(String.format("%8s %10s %10s %12s %12s %10s %10s %10s%n", "t (s)", "queued", "sent",
                        "recorded", "queue depth", "msg/s", "pushed", "done"));
                long total = (long) size * PROFILES;
                long deadline = start + timeout.toNanos();
                long lastMessages = 0;
                long lastSample = start;
                long lastProgress = 0;
                long lastProgressAt = start;
                while (progress.profiles.get() < total) {
                    Thread.sleep(SAMPLE_EVERY.toMillis());
                    if (progress.failure.get() != null) {
                        throw new IllegalStateException("a device failed", progress.failure.get());
                    }
                    long now = System.nanoTime();
                    long messages = progress.messages.get();
                    Scrape scrape = admin.metrics();
                    for (int n = 0; n < nodeCount; n++) {
                        Scrape ofNode = n == 0 ? scrape : admins.get(n).metrics();
                        heapMax[n] = Math.max(heapMax[n], ofNode.heapUsed());
                    }
                    Map<String, Double> states = scrape.commandsByState();
                    long done = 0;
                    for (int i = 0; i < size; i++) {
                        if (progress.profilesAcknowledged.get(i) == PROFILES) {
                            done++;
                        }
                    }
                    report.append(String.format("%8.0f %10.0f %10.0f %12.0f %12.0f %10.0f %10d %10d%n", (now - start) / 1e9,
                            states.getOrDefault("queued", 0.0), states.getOrDefault("sent", 0.0),
                            states.getOrDefault("acknowledged", 0.0) - acknowledgedBefore, scrape.queueDepth(),
                            (messages - lastMessages) / ((now - lastSample) / 1e9), progress.devicesPushed.get(), done));
                    System.out.print(report.substring(report.lastIndexOf("\n", report.length() - 2) + 1));
                    lastMessages = messages;
                    lastSample = now;
                    if (progress.profiles.get() != lastProgress) {
                        lastProgress = progress.profiles.get();
                        lastProgressAt = now;
                    }
                    if (now > deadline || now - lastProgressAt > Duration.ofMinutes(5).toNanos()) {
                        throw new IllegalStateException(progress.profiles.get() + " of " + total + " profiles acknowledged when the run"
                                + (now > deadline ? " timed out" : " stopped making progress for 5 minutes") + "; so far:\n" + report);
                    }
                }
                double wall = (progress.lastAcknowledgedNanos.get() - start) / 1e9;
                devices.shutdown();
                assertThat(devices.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
                flightRecording.ifPresent(path -> BenchmarkSupport.jcmd(nodes.get(0), "JFR.stop", "name=fleet", "filename=" + path));
                Duration generatorCpu = BenchmarkSupport.generatorCpu().minus(generatorCpuBefore);
                long messages = progress.messages.get();
                report.append(String.format("wall time, assignment to the last Acknowledged: %.1f s; %d signed messages = %.0f messages/s;"
                                + " %d profiles acknowledged; other commands answered %d; device retries %d%n",
                        wall, messages, messages / wall, progress.profiles.get(), progress.otherCommands.get(), progress.retries.get()));
                report.append(String.format("at this rate %,d devices x %d profiles would take %.0f min%n", 100_000, PROFILES,
                        100_000.0 * (PROFILES + 1) / (messages / wall) / 60));
                Duration serverCpu = Duration.ZERO;
                Map<String, Double> buckets = new HashMap<>();
                for (int n = 0; n < nodeCount; n++) {
                    Duration cpu = nodes.get(n).cpuTime().minus(cpuBefore.get(n));
                    serverCpu = serverCpu.plus(cpu);
                    admins.get(n).metrics().messageBuckets().forEach((le, count) -> buckets.merge(le, count, Double::sum));
                    report.append(String.format("node %c JVM CPU: %.1f s = %.3f ms per message of the fleet; largest heap in use seen %.0f MB"
                            + " of -Xmx%s%n", 'a' + n, cpu.toNanos() / 1e9, cpu.toNanos() / 1e6 / messages, heapMax[n] / 1e6, serverHeap));
                }
                String storeCpu = BenchmarkSupport.storeCpuLine(storeCpuBefore, messages, serverCpu)
                        + BenchmarkSupport.threadKindLine(threadKindsBefore, nodes.get(0).cpuTimeByThreadKind(),
                        nodes.get(0).cpuTime().minus(cpuBefore.get(0)), messages);
                Map<String, Double> measuredBuckets = BenchmarkSupport.difference(new TreeMap<>(buckets), bucketsBefore);
                report.append(String.format("""
                                server JVM CPU, all nodes: %.1f s = %.3f ms per message%s
                                generator JVM CPU: %.1f s = %.3f ms per message (signing with %s included)
                                latency at the client (exchange only): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms
                                latency at the server (histogram buckets, upper bounds): p50 <= %s, p95 <= %s, p99 <= %s
                                """, serverCpu.toNanos() / 1e9, serverCpu.toNanos() / 1e6 / messages,
                        TestStore.engine() == Dialect.POSTGRESQL ? " (PostgreSQL's own processes: below)" : "",
                        generatorCpu.toNanos() / 1e9, generatorCpu.toNanos() / 1e6 / messages, keyAlgorithm,
                        progress.latencyPercentile(0.50), progress.latencyPercentile(0.95), progress.latencyPercentile(0.99),
                        BenchmarkSupport.bucketPercentile(measuredBuckets, 0.50), BenchmarkSupport.bucketPercentile(measuredBuckets, 0.95),
                        BenchmarkSupport.bucketPercentile(measuredBuckets, 0.99)));
                report.append(storeCpu);
                report.append(BenchmarkSupport.statementCostLines(store, messages));

                // Every device acknowledged exactly 10 profiles (a command handed out twice would make it 11).
                List<String> wrong = new ArrayList<>();
                for (int i = 0; i < size && wrong.size() < 10; i++) {
                    if (progress.profilesAcknowledged.get(i) != PROFILES) {
                        wrong.add(fleet.udids()[i] + " acknowledged " + progress.profilesAcknowledged.get(i));
                    }
                }
                assertThat(wrong).as("devices that did not acknowledge exactly %d profiles", PROFILES).isEmpty();
            } finally {
                for (ServerProcess node : nodes) {
                    node.close();
                }
                Path logs = Files.createDirectories(Path.of("target", "fleet-benchmark-logs"));
                for (int n = 0; n < nodeHomes.size(); n++) {
                    if (Files.exists(nodeHomes.get(n).resolve("node.log"))) {
                        Files.copy(nodeHomes.get(n).resolve("node.log"), logs.resolve("node-" + (char) ('a' + n) + ".log"),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }

        // In the store, with the servers stopped: 10 InstallProfile commands per device, all ACKNOWLEDGED, each once.
        try (TestKernel kernel = TestKernel.open(TestStore.config(store), Clock.systemUTC())) {
            long[] counts = storeCounts(kernel);
            report.append(String.format("in the store: %d devices with InstallProfile commands, %d with exactly %d all ACKNOWLEDGED;"
                    + " %d ACKNOWLEDGED state changes in the event log; %d profiles handed out more than once%n", counts[0], counts[1], PROFILES,
                    counts[2], counts[3]));
            assertThat(counts[0]).isEqualTo(size);
            assertThat(counts[1]).isEqualTo(size);
            assertThat(counts[3]).as("profiles handed out more than once").isZero();
        }
        System.out.print(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "apple-fleet-benchmark-" + engine + "-" + nodeCount + ".txt"), report);
    }

    /**
     * One device after a push: Idle, then each command acknowledged, until the server has nothing more; again if a
     * push came meanwhile.
     */
    private static void work(HttpClient http, List<ServerProcess> nodes, FleetSnapshot.Fleet fleet, int device, FleetProgress progress) {
        try {
            do {
                String udid = fleet.udids()[device];
                Optional<NSDictionary> next = send(http, nodes, fleet, device,
                        AppleDeviceSimulator.statusReport(udid, "Idle", Optional.empty()), progress);
                while (next.isPresent()) {
                    NSDictionary command = next.get();
                    String type = Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
                    next = send(http, nodes, fleet, device,
                            AppleDeviceSimulator.statusReport(udid, "Acknowledged", Optional.of(Plists.string(command, "CommandUUID"))), progress);
                    if ("InstallProfile".equals(type)) {
                        progress.profilesAcknowledged.incrementAndGet(device);
                        progress.profiles.incrementAndGet();
                        progress.lastAcknowledgedNanos.accumulateAndGet(System.nanoTime(), Math::max);
                    } else {
                        progress.otherCommands.incrementAndGet();
                    }
                }
                // Pushed again while at work (2): one more round; else back to idle (1 -> 0).
            } while (!progress.state.compareAndSet(device, 1, 0) && progress.state.getAndSet(device, 1) == 2);
        } catch (Throwable failed) {
            progress.failure.compareAndSet(null, failed);
        }
    }

    /** A signed message to the device's node; a failure (the node busy or unreachable) is retried as a device does. */
    private static Optional<NSDictionary> send(HttpClient http, List<ServerProcess> nodes, FleetSnapshot.Fleet fleet, int device,
                                               byte[] body, FleetProgress progress) throws Exception {
        X509Certificate certificate = fleet.certificates()[device];
        for (int attempt = 1; ; attempt++) {
            String signature = AppleDeviceSimulator.sign(body, certificate, fleet.key());
            HttpRequest request = HttpRequest.newBuilder(nodes.get(device % nodes.size()).uri("/mdm/" + PLUGIN_ID + "/connect"))
                    .header("Content-Type", "application/x-apple-aspen-mdm").header("Mdm-Signature", signature)
                    .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            long sent = System.nanoTime();
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                progress.latencyMillis.incrementAndGet((int) Math.min(LATENCY_BUCKETS - 1, (System.nanoTime() - sent) / 1_000_000));
                if (response.statusCode() == 200) {
                    progress.messages.incrementAndGet();
                    return response.body().length == 0 ? Optional.empty() : Optional.of(Plists.dictionary(response.body()));
                }
                if (response.statusCode() < 500 || attempt == 100) {
                    throw new IllegalStateException(fleet.udids()[device] + ": the server answered " + response.statusCode() + ": "
                            + new String(response.body(), StandardCharsets.UTF_8));
                }
            } catch (IOException failed) {
                if (attempt == 100) {
                    throw failed;
                }
            }
            progress.retries.incrementAndGet();
            Thread.sleep(500);
        }
    }

    /**
     * {devices with InstallProfile commands, devices whose exactly 10 are all ACKNOWLEDGED, ACKNOWLEDGED state changes
     * of those commands, commands handed out more than once}.
     */
    private static long[] storeCounts(TestKernel kernel) throws Exception {
        try (Connection connection = kernel.database().dataSource().getConnection()) {
            long devices = 0;
            long complete = 0;
            try (PreparedStatement select = connection.prepareStatement("SELECT device_id, COUNT(*),"
                    + " SUM(CASE WHEN state = 'ACKNOWLEDGED' THEN 1 ELSE 0 END) FROM command WHERE command_type = 'INSTALL_PROFILE'"
                    + " GROUP BY device_id");
                 ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    devices++;
                    if (result.getLong(2) == PROFILES && result.getLong(3) == PROFILES) {
                        complete++;
                    }
                }
            }
            long acknowledgedEvents;
            try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM event_log WHERE event_type = ?"
                    + " AND data LIKE '%\"state\":\"ACKNOWLEDGED\"%'")) {
                select.setString(1, EventTypes.COMMAND_STATE_CHANGED);
                try (ResultSet result = select.executeQuery()) {
                    result.next();
                    acknowledgedEvents = result.getLong(1);
                }
            }
            long handedOutAgain;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT COUNT(*) FROM command WHERE command_type = 'INSTALL_PROFILE' AND attempts > 1");
                 ResultSet result = select.executeQuery()) {
                result.next();
                handedOutAgain = result.getLong(1);
            }
            return new long[] {devices, complete, acknowledgedEvents, handedOutAgain};
        }
    }

    /**
     * The generator's CPU time to sign one message with the fleet's key, measured on this thread over 2,000 Acknowledged
     * reports after 500 unmeasured ones (the JIT): what an EC key saves against RSA-2048.
     */
    private static double signingCpuMillis(FleetSnapshot.Fleet fleet) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        byte[] report = AppleDeviceSimulator.statusReport(fleet.udids()[0], "Acknowledged", Optional.of(UUID.randomUUID().toString()));
        for (int i = 0; i < 500; i++) {
            AppleDeviceSimulator.sign(report, fleet.certificates()[0], fleet.key());
        }
        long before = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < 2_000; i++) {
            AppleDeviceSimulator.sign(report, fleet.certificates()[i % fleet.size()], fleet.key());
        }
        return (threads.getCurrentThreadCpuTime() - before) / 1e6 / 2_000;
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
