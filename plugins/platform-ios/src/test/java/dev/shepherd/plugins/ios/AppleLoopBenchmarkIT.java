package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.apple.Plists;
import dev.shepherd.testing.ServerProcess;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The device-loop benchmark, not a test: a load generator (this JVM) against a Shepherd server in a JVM of its own
 * ({@link ServerProcess}) with the iOS plugin loaded from its file, so the server's CPU time is measured apart from
 * the generator's. Runs only when asked:
 *
 * <pre>mvn -B -q install -DskipTests &amp;&amp; mvn -B verify -pl plugins/platform-ios -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=AppleLoopBenchmarkIT -Dshepherd.benchmark=true [-Dshepherd.test.store=postgresql] \
 *     [-Dshepherd.benchmark.devices=200] [-Dshepherd.benchmark.commands=10] [-Dshepherd.benchmark.threads=16] \
 *     [-Dshepherd.benchmark.warmup=1] [-Dshepherd.benchmark.kill=true] [-Dshepherd.benchmark.jfr=/tmp/loop.jfr] \
 *     [-Dshepherd.benchmark.serverOptions="-XX:+UseParallelGC ..."]</pre>
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BUCKET = Pattern.compile(
            "^shepherd_device_messages_seconds_bucket\\{([^}]*)\\} ([0-9.eE+]+)$");
    private static final Pattern TRANSACTIONS = Pattern.compile("^shepherd_db_transactions_seconds_count\\{[^}]*\\} ([0-9.eE+]+)$");

    @TempDir
    Path home;

    @Test
    void deviceLoop() throws Exception {
        int devices = Integer.getInteger("shepherd.benchmark.devices", 200);
        int commandsPerDevice = Integer.getInteger("shepherd.benchmark.commands", 10);
        int threads = Integer.getInteger("shepherd.benchmark.threads", 16);
        int warmupRounds = Integer.getInteger("shepherd.benchmark.warmup", 1);
        boolean kill = Boolean.parseBoolean(System.getProperty("shepherd.benchmark.kill", "true"));
        List<String> jvmOptions = new ArrayList<>(List.of("-Xmx1g", "-XX:FlightRecorderOptions:stackdepth=256"));
        Optional<String> flightRecording = Optional.ofNullable(System.getProperty("shepherd.benchmark.jfr")).filter(path -> !path.isBlank());
        Optional.ofNullable(System.getProperty("shepherd.benchmark.serverOptions")).filter(options -> !options.isBlank())
                .ifPresent(options -> jvmOptions.addAll(List.of(options.trim().split("\\s+"))));

        try (LocalApns apns = LocalApns.start(home.resolve("apns"))) {
            Path installation = home.resolve("server");
            Files.createDirectories(installation.resolve("conf"));
            Files.createDirectories(installation.resolve("plugins"));
            Files.writeString(installation.resolve("conf/shepherd.yaml"), """
                    plugins:
                      config:
                        apple-ios:
                          topic: %s
                          apnsUrl: "%s"
                          apnsTrustedCertificate: "%s"
                    """.formatted(TOPIC, apns.url(), apns.trustedCertificate()));
            Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), installation.resolve("plugins/apple-ios.zip"));
            try (ServerProcess server = ServerProcess.over(installation, Map.of(
                    "SHEPHERD_HTTPS_PORT", Integer.toString(freePort()), "SHEPHERD_HTTPS_HOSTNAMES", "localhost",
                    "SHEPHERD_DATABASE_POOL_SIZE", "20", "SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s",
                    "SHEPHERD_COMMANDS_PUSH_RATE", "10000"), jvmOptions).start(Duration.ofMinutes(2))) {
                Admin admin = new Admin(server);
                awaitPlugin(admin);
                admin.send("PUT", "/api/v1/plugins/apple-ios/push-certificate", "application/x-pem-file",
                        LocalApns.pushCertificatePem(TOPIC, Duration.ofDays(300)), 200);
                URI link = URI.create(admin.json("POST", "/api/v1/enrollment-tokens", Map.of("name", "loop benchmark",
                        "ownership", "CORPORATE", "platform", "ios", "maxUses", devices, "validForHours", 24), 201)
                        .path("enrollmentUrl").asText());

                ExecutorService pool = Executors.newFixedThreadPool(threads);
                List<AppleDeviceSimulator> fleet = enroll(pool, server, link, devices);

                // Warm-up, not measured: the server's JIT compiles the loop, its caches and the store's pages fill.
                for (int round = 0; round < warmupRounds; round++) {
                    issue(admin, commandsPerDevice, devices);
                    drain(pool, fleet, new Phase());
                }
                Phase measured = new Phase();
                issue(admin, commandsPerDevice, devices);
                Map<String, Double> bucketsBefore = serverBuckets(admin);
                double transactionsBefore = transactions(admin);
                flightRecording.ifPresent(path -> jcmd(server, "JFR.start", "name=loop", "settings=profile"));
                Duration serverCpuBefore = server.cpuTime();
                Duration generatorCpuBefore = generatorCpu();
                long start = System.nanoTime();
                drain(pool, fleet, measured);
                double seconds = (System.nanoTime() - start) / 1e9;
                Duration serverCpu = server.cpuTime().minus(serverCpuBefore);
                flightRecording.ifPresent(path -> jcmd(server, "JFR.stop", "name=loop", "filename=" + path));
                Duration generatorCpu = generatorCpu().minus(generatorCpuBefore);
                Map<String, Double> buckets = difference(serverBuckets(admin), bucketsBefore);
                double transactions = transactions(admin) - transactionsBefore;
                assertThat(measured.acknowledged).hasSize(devices * commandsPerDevice);

                String report = String.format("""
                        Apple device loop, store %s, %d simulated iPhones x %d commands, %d generator threads, %d cores
                        loop: %d signed messages in %.2f s = %.0f messages/s
                        server JVM CPU: %.2f s = %.3f ms per message; generator JVM CPU: %.2f s = %.3f ms per message
                        server database transactions: %.2f per message
                        latency at the client (exchange only): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms
                        latency at the server (histogram buckets, upper bounds): p50 <= %s, p95 <= %s, p99 <= %s
                        """, TestStore.engine(), devices, commandsPerDevice, threads, Runtime.getRuntime().availableProcessors(),
                        measured.messages.get(), seconds, measured.messages.get() / seconds,
                        serverCpu.toNanos() / 1e9, serverCpu.toNanos() / 1e6 / measured.messages.get(),
                        generatorCpu.toNanos() / 1e9, generatorCpu.toNanos() / 1e6 / measured.messages.get(),
                        transactions / measured.messages.get(),
                        measured.percentile(0.50), measured.percentile(0.95), measured.percentile(0.99), measured.percentile(1.0),
                        bucketPercentile(buckets, 0.50), bucketPercentile(buckets, 0.95), bucketPercentile(buckets, 0.99));

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
                            kill -9 durability: server killed after %d of %d results were answered 200; %d answered 200 in all, \
                            %d of them not recorded ACKNOWLEDGED after the restart; %d device retries
                            """, durable.acknowledgedBeforeKill, total, durable.acknowledged.size(), missing.size(), durable.retries.get());
                    assertThat(durable.killed).isTrue();
                    assertThat(missing).as("results answered 200 but not recorded").isEmpty();
                    assertThat(admin.json("GET", "/api/v1/audit/verify", null, 200).path("intact").asBoolean()).isTrue();
                }
                pool.shutdown();
                System.out.println(report);
                Files.createDirectories(Path.of("target"));
                Files.writeString(Path.of("target", "apple-loop-benchmark-" + TestStore.engine().name().toLowerCase() + ".txt"), report);
            }
        }
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

    private static List<AppleDeviceSimulator> enroll(ExecutorService pool, ServerProcess server, URI link, int devices) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair shared = generator.generateKeyPair();
        AppleDeviceSimulator first = enrolled(server, link, shared, 0, Optional.empty());
        List<Future<AppleDeviceSimulator>> enrolling = new ArrayList<>();
        for (int i = 1; i < devices; i++) {
            int index = i;
            enrolling.add(pool.submit(() -> enrolled(server, link, shared, index, Optional.of(first))));
        }
        List<AppleDeviceSimulator> fleet = new ArrayList<>(List.of(first));
        for (Future<AppleDeviceSimulator> device : enrolling) {
            fleet.add(device.get());
        }
        return fleet;
    }

    private static AppleDeviceSimulator enrolled(ServerProcess server, URI link, KeyPair keys, int index,
                                                 Optional<AppleDeviceSimulator> connections) throws Exception {
        String udid = String.format("00008110-%016X", 0xC000_0000L + index);
        AppleDeviceSimulator device = new AppleDeviceSimulator(server.uri("/"), udid);
        device.installProfile(link);
        connections.ifPresent(device::shareConnectionsWith);
        if (!device.enrollIdentity(keys).status().equals("0") || device.authenticate().statusCode() != 200
                || device.tokenUpdate().statusCode() != 200) {
            throw new IllegalStateException(udid + " did not enroll");
        }
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
    private static void jcmd(ServerProcess server, String... command) {
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

    private static Duration generatorCpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow();
    }

    private static void awaitPlugin(Admin admin) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (admin.status("GET", "/mdm/apple-ios/checkin") != 405) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the iOS plugin did not load within 60 s");
            }
            Thread.sleep(200);
        }
    }

    /** The server's device-message latency histogram: cumulative counts by bucket bound, summed over outcomes. */
    private static Map<String, Double> serverBuckets(Admin admin) throws Exception {
        Map<String, Double> buckets = new TreeMap<>();
        for (String line : admin.send("GET", "/metrics", null, null, 200).split("\n")) {
            Matcher bucket = BUCKET.matcher(line);
            if (bucket.matches() && bucket.group(1).contains("platform=\"apple-ios\"")) {
                Matcher le = Pattern.compile("le=\"([^\"]+)\"").matcher(bucket.group(1));
                if (le.find()) {
                    buckets.merge(le.group(1), Double.parseDouble(bucket.group(2)), Double::sum);
                }
            }
        }
        return buckets;
    }

    private static double transactions(Admin admin) throws Exception {
        double count = 0;
        for (String line : admin.send("GET", "/metrics", null, null, 200).split("\n")) {
            Matcher matcher = TRANSACTIONS.matcher(line);
            if (matcher.matches()) {
                count += Double.parseDouble(matcher.group(1));
            }
        }
        return count;
    }

    private static Map<String, Double> difference(Map<String, Double> after, Map<String, Double> before) {
        Map<String, Double> difference = new TreeMap<>();
        after.forEach((le, count) -> difference.put(le, count - before.getOrDefault(le, 0.0)));
        return difference;
    }

    /** The smallest bucket bound (in ms) that holds the fraction {@code p} of the messages. */
    private static String bucketPercentile(Map<String, Double> buckets, double p) {
        double total = buckets.getOrDefault("+Inf", 0.0);
        return buckets.entrySet().stream().filter(entry -> !entry.getKey().equals("+Inf"))
                .map(entry -> Map.entry(Double.parseDouble(entry.getKey()), entry.getValue()))
                .sorted(Map.Entry.comparingByKey())
                .filter(entry -> entry.getValue() >= p * total)
                .findFirst().map(entry -> String.format("%.0f ms", entry.getKey() * 1000)).orElse("> 30 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The admin API as a script calls it, with Basic. */
    private record Admin(ServerProcess server, HttpClient http) {
        Admin(ServerProcess server) {
            this(server, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
        }

        int status(String method, String path) throws Exception {
            return http.send(HttpRequest.newBuilder(server.uri(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }

        JsonNode json(String method, String path, Object body, int expected) throws Exception {
            return JSON.readTree(send(method, path, "application/json", body == null ? null : JSON.writeValueAsString(body), expected));
        }

        String send(String method, String path, String contentType, String body, int expected) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path))
                    .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
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
}
