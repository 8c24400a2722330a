package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.apple.Plists;
import dev.shepherd.plugins.ios.BenchmarkSupport.Admin;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.ServerProcess;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The device-loop benchmark, not a test: a load generator (this JVM) against a Shepherd server in a JVM of its own
 * ({@link ServerProcess}) with the iOS plugin loaded from its file, so the server's CPU time is measured apart from
 * the generator's. Runs only when asked:
 *
 * <pre>mvn -B -q install -DskipTests &amp;&amp; mvn -B verify -pl plugins/platform-ios -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=AppleLoopBenchmarkIT -Dshepherd.benchmark=true [-Dshepherd.test.store=postgresql] \
 *     [-Dshepherd.benchmark.devices=200] [-Dshepherd.benchmark.commands=10] [-Dshepherd.benchmark.threads=16] \
 *     [-Dshepherd.benchmark.warmup=rounds, by default enough for 60,000 messages] [-Dshepherd.benchmark.kill=true] [-Dshepherd.benchmark.jfr=/tmp/loop.jfr] \
 *     [-Dshepherd.benchmark.serverOptions="-XX:+UseParallelGC ..."] [-Dshepherd.benchmark.nodes=2]</pre>
 *
 * <p>With {@code nodes=2} (PostgreSQL only) two servers share the database and the secrets key, as a cluster does;
 * device {@code i} speaks to node {@code i % 2}, the CPU per message is summed over both JVMs and given per node, the
 * latency histograms and transactions are summed, the flight recording and the kill are node a's.
 *
 * <ol>
 *   <li>Enrollment, not measured: each simulated iPhone installs the profile from an enrollment link, gets its own
 *   certificate over SCEP (for one RSA key pair all devices share, so the generator does not generate a key per
 *   device), and sends Authenticate and TokenUpdate; the real path, every device a record and a certificate of its
 *   own.</li>
 *   <li>Commands: {@code commands} fan-outs to every iPhone (through the admin API), DeviceInformation and DeviceLock
 *   alternately, each written to every device's queue before the loop starts.</li>
 *   <li>The measured loop: every device sends Idle, then one signed Acknowledged per command (DeviceInformation with
 *   its answers, which the server writes to the inventory), each answered with the next command. The generator signs
 *   every message (CMS, RSA-2048) on its own CPU. Reported: messages/s; the server JVM's CPU time over the loop per
 *   message (from the operating system); the generator's CPU; latency percentiles at the client (the exchange alone,
 *   not the signing) and at the server (its {@code shepherd_device_messages_seconds} histogram, bucket bounds); the
 *   server's database transactions per message. With {@code jfr}, a flight recording
 *   (profile settings) of the server during this loop alone.</li>
 *   <li>Durability (with {@code kill}, the default): as many commands again; when half of them are acknowledged, the
 *   server is killed with SIGKILL and started again over the same store, while the devices keep retrying as iPhones
 *   do. Afterwards every command whose Acknowledged the server had answered 200 must be recorded ACKNOWLEDGED.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "shepherd.benchmark", matches = "true")
class AppleLoopBenchmarkIT {

    private static final String TOPIC = "com.apple.mgmt.External.loop-benchmark";
    private static final int WARMUP_MESSAGES = 60_000;

    @TempDir
    Path home;

    @Test
    void deviceLoop() throws Exception {
        int devices = Integer.getInteger("shepherd.benchmark.devices", 200);
        int commandsPerDevice = Integer.getInteger("shepherd.benchmark.commands", 10);
        int threads = Integer.getInteger("shepherd.benchmark.threads", 16);
        // The server's JIT compilers keep working for tens of thousands of messages; measured sooner, their CPU is a large
        // share of the figure (2026-12-05, Derby, 200 x 50: 0.79 ms of 2.8 ms per message after 10,000 messages of
        // warm-up, 0.07 of 1.13 ms after 60,000). By default the warm-up is enough rounds for 60,000 messages.
        int warmupRounds = Integer.getInteger("shepherd.benchmark.warmup",
                (int) Math.max(1, Math.ceil(WARMUP_MESSAGES / (double) (devices * (commandsPerDevice + 1)))));
        int nodeCount = Integer.getInteger("shepherd.benchmark.nodes", 1);
        boolean kill = Boolean.parseBoolean(System.getProperty("shepherd.benchmark.kill", "true"));
        if (nodeCount < 1 || nodeCount > 2) {
            throw new IllegalArgumentException("shepherd.benchmark.nodes is 1 or 2, not " + nodeCount);
        }
        // Nodes share PostgreSQL: with two, the benchmark runs in the PostgreSQL execution alone.
        assumeTrue(nodeCount == 1 || TestStore.engine() == Dialect.POSTGRESQL, "two nodes need PostgreSQL; this runs in the PostgreSQL execution");
        List<String> jvmOptions = new ArrayList<>(List.of("-Xmx1g", "-XX:FlightRecorderOptions:stackdepth=256"));
        Optional<String> flightRecording = Optional.ofNullable(System.getProperty("shepherd.benchmark.jfr")).filter(path -> !path.isBlank());
        Optional.ofNullable(System.getProperty("shepherd.benchmark.serverOptions")).filter(options -> !options.isBlank())
                .ifPresent(options -> jvmOptions.addAll(List.of(options.trim().split("\\s+"))));

        try (LocalApns apns = LocalApns.start(home.resolve("apns"))) {
            // Node a over a fresh installation; node b (two nodes) over node a's database and secrets key.
            Path installation = home.resolve("server");
            BenchmarkSupport.installation(installation, TOPIC, apns);
            List<ServerProcess> servers = new ArrayList<>();
            try {
                List<URI> deviceAddresses = new ArrayList<>();
                Map<String, String> nodeA = nodeEnvironment(Map.of(), "node-a");
                servers.add(ServerProcess.over(installation, nodeA, jvmOptions).start(Duration.ofMinutes(2)));
                deviceAddresses.add(httpsAddress(nodeA));
                if (nodeCount == 2) {
                    // Node b shares node a's secrets key and, as nodes behind one name do, its TLS identity.
                    Path second = home.resolve("server-b");
                    BenchmarkSupport.installation(second, TOPIC, apns);
                    for (String file : List.of("keys/secrets.key", "tls/server.p12", "tls/server.p12.password")) {
                        Files.createDirectories(second.resolve("data").resolve(file).getParent());
                        Files.copy(installation.resolve("data").resolve(file), second.resolve("data").resolve(file),
                                StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    Map<String, String> nodeB = nodeEnvironment(TestStore.environment(installation), "node-b");
                    servers.add(ServerProcess.over(second, nodeB, jvmOptions).start(Duration.ofMinutes(2)));
                    deviceAddresses.add(httpsAddress(nodeB));
                }
                measure(servers, deviceAddresses, devices, commandsPerDevice, threads, warmupRounds, kill, flightRecording);
            } finally {
                for (ServerProcess server : servers) {
                    server.close();
                }
            }
        }
    }

    private static Map<String, String> nodeEnvironment(Map<String, String> database, String name) throws IOException {
        Map<String, String> environment = new HashMap<>(database);
        environment.putAll(Map.of("SHEPHERD_HTTPS_PORT", Integer.toString(BenchmarkSupport.freePort()), "SHEPHERD_HTTPS_HOSTNAMES", "localhost",
                "SHEPHERD_DATABASE_POOL_SIZE", "20", "SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s",
                "SHEPHERD_COMMANDS_PUSH_RATE", "10000", "SHEPHERD_NODE_NAME", name));
        return environment;
    }

    /** Where devices reach a node: its HTTPS port, under the name its TLS certificate is for. */
    private static URI httpsAddress(Map<String, String> environment) {
        return URI.create("https://localhost:" + environment.get("SHEPHERD_HTTPS_PORT") + "/");
    }

    private void measure(List<ServerProcess> servers, List<URI> deviceAddresses, int devices, int commandsPerDevice, int threads, int warmupRounds, boolean kill,
                         Optional<String> flightRecording) throws Exception {
        ServerProcess server = servers.get(0);
        for (ServerProcess node : servers) {
            BenchmarkSupport.awaitPlugin(new Admin(node));
        }
        Admin admin = new Admin(server).withToken();
        admin.send("PUT", "/api/v1/plugins/apple-ios/push-certificate", "application/x-pem-file",
                LocalApns.pushCertificatePem(TOPIC, Duration.ofDays(300)), 200);
        URI link = URI.create(admin.json("POST", "/api/v1/enrollment-tokens", Map.of("name", "loop benchmark",
                "ownership", "CORPORATE", "platform", "ios", "maxUses", devices, "validForHours", 24), 201)
                .path("enrollmentUrl").asText());

        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<AppleDeviceSimulator> fleet = enroll(pool, deviceAddresses, link, devices);

        // Warm-up, not measured: the server's JIT compiles the loop, its caches and the store's pages fill.
        for (int round = 0; round < warmupRounds; round++) {
            issue(admin, commandsPerDevice, devices);
            drain(pool, fleet, new Phase());
        }
        Phase measured = new Phase();
        issue(admin, commandsPerDevice, devices);
        Map<String, Double> bucketsBefore = messageBuckets(admin, servers);
        double transactionsBefore = transactions(admin, servers);
        double checkoutsBefore = checkouts(admin, servers);
        flightRecording.ifPresent(path -> BenchmarkSupport.jcmd(server, "JFR.start", "name=loop", "settings=profile"));
        List<Duration> serverCpuBefore = new ArrayList<>();
        for (ServerProcess node : servers) {
            serverCpuBefore.add(node.cpuTime());
        }
        Map<String, Duration> threadKindsBefore = server.cpuTimeByThreadKind();
        Duration generatorCpuBefore = BenchmarkSupport.generatorCpu();
        Optional<Duration> storeCpuBefore = BenchmarkSupport.storeCpu();
        BenchmarkSupport.resetStatementCosts(home.resolve("server"));
        long start = System.nanoTime();
        drain(pool, fleet, measured);
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Duration> serverCpus = new ArrayList<>();
        for (int n = 0; n < servers.size(); n++) {
            serverCpus.add(servers.get(n).cpuTime().minus(serverCpuBefore.get(n)));
        }
        Duration serverCpu = serverCpus.stream().reduce(Duration.ZERO, Duration::plus);
        String threadKinds = BenchmarkSupport.threadKindLine(threadKindsBefore, server.cpuTimeByThreadKind(), serverCpus.get(0), measured.messages.get());
        String storeCpu = BenchmarkSupport.storeCpuLine(storeCpuBefore, measured.messages.get(), serverCpu)
                + BenchmarkSupport.statementCostLines(home.resolve("server"), measured.messages.get());
        flightRecording.ifPresent(path -> BenchmarkSupport.jcmd(server, "JFR.stop", "name=loop", "filename=" + path));
        Duration generatorCpu = BenchmarkSupport.generatorCpu().minus(generatorCpuBefore);
        Map<String, Double> buckets = BenchmarkSupport.difference(messageBuckets(admin, servers), bucketsBefore);
        double transactions = transactions(admin, servers) - transactionsBefore;
        double checkouts = checkouts(admin, servers) - checkoutsBefore;
        assertThat(measured.acknowledged).hasSize(devices * commandsPerDevice);

        String report = String.format("""
                Apple device loop, store %s, %d node(s), %d simulated iPhones x %d commands, %d generator threads, %d cores, %d warm-up round(s)
                loop: %d signed messages in %.2f s = %.0f messages/s
                server JVM CPU: %.2f s = %.3f ms per message%s; generator JVM CPU: %.2f s = %.3f ms per message
                server database transactions: %.2f per message; connection checkouts (transactions and reads outside one): %.2f per message
                latency at the client (exchange only): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms
                latency at the server (histogram buckets, upper bounds): p50 <= %s, p95 <= %s, p99 <= %s
                """, TestStore.engine(), servers.size(), devices, commandsPerDevice, threads, Runtime.getRuntime().availableProcessors(), warmupRounds,
                measured.messages.get(), seconds, measured.messages.get() / seconds,
                serverCpu.toNanos() / 1e9, serverCpu.toNanos() / 1e6 / measured.messages.get(),
                servers.size() == 1 ? "" : perNode(serverCpus, measured.messages.get()),
                generatorCpu.toNanos() / 1e9, generatorCpu.toNanos() / 1e6 / measured.messages.get(),
                transactions / measured.messages.get(), checkouts / measured.messages.get(),
                measured.percentile(0.50), measured.percentile(0.95), measured.percentile(0.99), measured.percentile(1.0),
                BenchmarkSupport.bucketPercentile(buckets, 0.50), BenchmarkSupport.bucketPercentile(buckets, 0.95),
                BenchmarkSupport.bucketPercentile(buckets, 0.99)) + storeCpu + threadKinds;

        if (kill) {
            Phase durable = new Phase();
            issue(admin, commandsPerDevice, devices);
            long total = (long) devices * commandsPerDevice;
            Thread killer = new Thread(() -> {
                while (durable.acknowledged.size() < total / 2) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                durable.acknowledgedBeforeKill = durable.acknowledged.size();
                server.kill();
                durable.killed = true;
                server.restart(Duration.ofMinutes(2));
            }, "killer");
            killer.start();
            drain(pool, fleet, durable);
            killer.join();
            List<String> missing = new ArrayList<>();
            for (String commandId : durable.acknowledged) {
                JsonNode command = admin.json("GET", "/api/v1/commands/" + commandId, null, 200);
                if (!"ACKNOWLEDGED".equals(command.path("command").path("state").asText())) {
                    missing.add(commandId + " " + command.path("command").path("state").asText());
                }
            }
            report += String.format("""
                    kill -9 durability: %s killed after %d of %d results were answered 200; %d answered 200 in all, \
                    %d of them not recorded ACKNOWLEDGED after the restart; %d device retries
                    """, servers.size() == 1 ? "server" : "node a", durable.acknowledgedBeforeKill, total, durable.acknowledged.size(),
                    missing.size(), durable.retries.get());
            assertThat(durable.killed).isTrue();
            assertThat(missing).as("results answered 200 but not recorded").isEmpty();
            assertThat(admin.json("GET", "/api/v1/audit/verify", null, 200).path("intact").asBoolean()).isTrue();
        }
        pool.shutdown();
        System.out.println(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "apple-loop-benchmark-" + TestStore.engine().name().toLowerCase()
                + (servers.size() == 1 ? "" : "-" + servers.size() + "-nodes") + ".txt"), report);
    }

    private static String perNode(List<Duration> cpus, long messages) {
        StringBuilder nodes = new StringBuilder(" (");
        for (int n = 0; n < cpus.size(); n++) {
            nodes.append(n == 0 ? "" : ", ").append(String.format("node %c %.2f s = %.3f ms", 'a' + n, cpus.get(n).toNanos() / 1e9,
                    cpus.get(n).toNanos() / 1e6 / messages));
        }
        return nodes.append(")").toString();
    }

    /** The device-message latency histograms of every node, summed. */
    private static Map<String, Double> messageBuckets(Admin admin, List<ServerProcess> servers) throws Exception {
        Map<String, Double> buckets = new TreeMap<>();
        for (ServerProcess node : servers) {
            admin.on(node).metrics().messageBuckets().forEach((le, count) -> buckets.merge(le, count, Double::sum));
        }
        return buckets;
    }

    private static double transactions(Admin admin, List<ServerProcess> servers) throws Exception {
        double transactions = 0;
        for (ServerProcess node : servers) {
            transactions += admin.on(node).metrics().transactions();
        }
        return transactions;
    }

    private static double checkouts(Admin admin, List<ServerProcess> servers) throws Exception {
        double checkouts = 0;
        for (ServerProcess node : servers) {
            checkouts += admin.on(node).metrics().connectionCheckouts();
        }
        return checkouts;
    }

    /** What one run of the loop saw: messages, results answered 200 (by CommandUUID), exchange times. */
    private static final class Phase {
        final AtomicLong messages = new AtomicLong();
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Long> exchangeNanos = new ConcurrentLinkedQueue<>();
        final AtomicLong retries = new AtomicLong();
        volatile int acknowledgedBeforeKill;
        volatile boolean killed;

        double percentile(double p) {
            List<Long> sorted = new ArrayList<>(exchangeNanos);
            Collections.sort(sorted);
            return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1)) / 1e6;
        }
    }

    /** Enrolls the devices through node a's link; device {@code i} then speaks to node {@code i % nodes}. */
    private static List<AppleDeviceSimulator> enroll(ExecutorService pool, List<URI> nodes, URI link, int devices) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair shared = generator.generateKeyPair();
        AppleDeviceSimulator first = enrolled(Optional.empty(), link, shared, 0, Optional.empty());
        List<Future<AppleDeviceSimulator>> enrolling = new ArrayList<>();
        for (int i = 1; i < devices; i++) {
            int index = i;
            Optional<URI> otherNode = index % nodes.size() == 0 ? Optional.empty() : Optional.of(nodes.get(index % nodes.size()));
            enrolling.add(pool.submit(() -> enrolled(otherNode, link, shared, index, Optional.of(first))));
        }
        List<AppleDeviceSimulator> fleet = new ArrayList<>(List.of(first));
        for (Future<AppleDeviceSimulator> device : enrolling) {
            fleet.add(device.get());
        }
        return fleet;
    }

    /** A device enrolled through node a's link (it speaks to node a), then moved to {@code otherNode} if given. */
    private static AppleDeviceSimulator enrolled(Optional<URI> otherNode, URI link, KeyPair keys, int index,
                                                 Optional<AppleDeviceSimulator> connections) throws Exception {
        String udid = String.format("00008110-%016X", 0xC000_0000L + index);
        AppleDeviceSimulator device = new AppleDeviceSimulator(link.resolve("/"), udid);
        device.installProfile(link);
        connections.ifPresent(device::shareConnectionsWith);
        if (!device.enrollIdentity(keys).status().equals("0") || device.authenticate().statusCode() != 200
                || device.tokenUpdate().statusCode() != 200) {
            throw new IllegalStateException(udid + " did not enroll");
        }
        otherNode.ifPresent(device::speakTo);
        return device;
    }

    /** Queues {@code commands} commands on every iPhone, DeviceInformation and DeviceLock alternately, and waits until written. */
    private static void issue(Admin admin, int commands, int devices) throws Exception {
        List<String> batches = new ArrayList<>();
        for (int c = 0; c < commands; c++) {
            Map<String, Object> batch = c % 2 == 0
                    ? Map.of("type", "REFRESH_INVENTORY", "target", Map.of("query", Map.of("platform", "ios")))
                    : Map.of("type", "LOCK", "parameters", Map.of("message", "Benchmark"), "target", Map.of("query", Map.of("platform", "ios")));
            batches.add(admin.json("POST", "/api/v1/command-batches", batch, 201).path("id").asText());
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        for (String batch : batches) {
            while (true) {
                JsonNode progress = admin.json("GET", "/api/v1/command-batches/" + batch, null, 200);
                if (progress.path("total").asInt() == devices && progress.path("materialized").asInt() == devices) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("batch " + batch + " not written within 5 minutes: " + progress);
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * Every device works through its queue, as an iPhone does after a push: Idle, then each command answered. A
     * message that fails (the server is down, or answers 5xx) is sent again, after a pause, as an iPhone retries.
     */
    private static void drain(ExecutorService pool, List<AppleDeviceSimulator> fleet, Phase phase) throws Exception {
        List<Future<?>> draining = new ArrayList<>();
        for (AppleDeviceSimulator device : fleet) {
            device.timeExchanges(phase.exchangeNanos::add);
            draining.add(pool.submit(() -> {
                Optional<NSDictionary> next = retrying(phase, device::idle);
                phase.messages.incrementAndGet();
                while (next.isPresent()) {
                    NSDictionary command = next.get();
                    next = retrying(phase, () -> device.answer(command, "Acknowledged"));
                    phase.messages.incrementAndGet();
                    phase.acknowledged.add(Plists.string(command, "CommandUUID"));
                }
                return null;
            }));
        }
        for (Future<?> future : draining) {
            future.get();
        }
    }

    private interface Exchange {
        Optional<NSDictionary> send() throws Exception;
    }

    private static Optional<NSDictionary> retrying(Phase phase, Exchange exchange) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return exchange.send();
            } catch (IOException | IllegalStateException failed) {
                if (attempt == 600) {
                    throw failed;
                }
                phase.retries.incrementAndGet();
                Thread.sleep(200);
            }
        }
    }

    /** A diagnostic command to the server's JVM, such as starting a flight recording of the measured loop alone. */
}
