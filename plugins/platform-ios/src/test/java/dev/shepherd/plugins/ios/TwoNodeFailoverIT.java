package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.Plists;
import dev.shepherd.apple.PreEnrolledAppleDevices;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.JdbcPluginKeyValueStore;
import dev.shepherd.testing.ServerProcess;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestPostgres;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 16's "must show 2": two Shepherd server processes on one PostgreSQL database, with the iOS plugin loaded from
 * its file, serve a fleet of simulated iPhones spread over both; one command goes to all of them at once (a fan-out,
 * 10,000 devices by default), and the node that issued it is killed with SIGKILL while the devices work through it.
 * Each device speaks Apple's protocol (signed Idle, then its signed Acknowledged) and changes node between its
 * messages; when its node is gone it fails over to the other one. Afterwards: every device got the command and its
 * answer is recorded once, every answer the device got a 200 for is in the database, no command was handed out again
 * unless an earlier delivery of it was lost with the killed node, the audit chain is intact, the survivor's periodic
 * jobs still run, and a plugin file dropped on one node served on both.
 *
 * <p>The fleet is enrolled ahead through the kernel calls the plugin makes at Authenticate
 * ({@link PreEnrolledAppleDevices}), each device with a certificate of its own from the kernel CA. Needs PostgreSQL
 * (skipped with a message saying so otherwise). Figures go to {@code target/two-node-failover.txt}. Fleet size:
 * {@code -Dshepherd.twoNode.devices=10000}.
 */
class TwoNodeFailoverIT {

    private static final String PLUGIN_ID = "apple-ios";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How long a device waits for an answer. A request caught in flight by the kill is not always failed by the JDK's
     * client when the connection dies, so the device gives up on it as a real one does, and fails over.
     */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    Path home;

    /** One device of the fleet, as a device sees its own exchanges. */
    private record FleetDevice(int index, String udid, X509Certificate certificate) {
    }

    /** What a device saw: a command received, from which node. */
    private record Delivery(String udid, String commandUuid, int node) {
    }

    /** An answer the device sent that a node took with a 200. */
    private record Answer(String udid, String commandUuid, int node) {
    }

    /** The exchanges of the whole fleet, as the devices logged them. */
    private static final class DeviceLogs {
        final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        /** Requests whose answer never came (the node went away), by UDID. */
        final Map<String, AtomicInteger> lost = new ConcurrentHashMap<>();
        /** Messages each node answered. */
        final AtomicLong[] answeredBy = {new AtomicLong(), new AtomicLong()};
        final AtomicLong acknowledged = new AtomicLong();
    }

    @Test
    void twoNodesServeAFanOutToTheWholeFleetThroughAKillMinusNine() throws Exception {
        // Nodes share PostgreSQL whatever the test JVM's engine: run once, in the PostgreSQL execution.
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL, "several nodes need PostgreSQL; this runs in the PostgreSQL execution");
        assumeTrue(TestPostgres.installed(), TestPostgres.NOT_INSTALLED);
        int fleetSize = Integer.getInteger("shepherd.twoNode.devices", 10_000);
        long started = System.nanoTime();
        Path store = home.resolve("store");
        Map<String, String> database = postgresOf(store);
        ShepherdConfig storeConfig = new ConfigLoader(database).load(store, store.resolve("absent.yaml"));
        StringBuilder report = new StringBuilder();

        try (TestKernel kernel = TestKernel.open(storeConfig, Clock.systemUTC())) {
            PreEnrolledAppleDevices enrolling = new PreEnrolledAppleDevices(kernel.kernel(),
                    new JdbcPluginKeyValueStore(kernel.database().dataSource()), PLUGIN_ID);
            List<String> udids = IntStream.range(0, fleetSize).mapToObj(i -> String.format("00008120-%016X", 0xC000_0000L + i)).toList();
            // The fleet is enrolled while the nodes start: they share nothing with it but the database.
            ExecutorService enrollment = Executors.newSingleThreadExecutor();
            long enrollStart = System.nanoTime();
            Future<List<PreEnrolledAppleDevices.Member>> enrolled = enrollment.submit(() -> enrolling.enroll(udids, 4));
            enrollment.shutdown();

            // Both nodes: the same database, the same secrets key, the same plugin file.
            Path pluginFile = Path.of(System.getProperty("shepherd.pluginFile"));
            List<Path> nodeHomes = List.of(home.resolve("node-a"), home.resolve("node-b"));
            for (Path nodeHome : nodeHomes) {
                Files.createDirectories(nodeHome.resolve("data/keys"));
                Files.copy(store.resolve("data/keys/secrets.key"), nodeHome.resolve("data/keys/secrets.key"), StandardCopyOption.COPY_ATTRIBUTES);
                Files.createDirectories(nodeHome.resolve("conf"));
                Files.writeString(nodeHome.resolve("conf/shepherd.yaml"), """
                        plugins:
                          config:
                            apple-ios:
                              topic: com.apple.mgmt.External.two-nodes
                        """);
                Files.createDirectories(nodeHome.resolve("plugins"));
                Files.copy(pluginFile, nodeHome.resolve("plugins/" + PLUGIN_ID + ".zip"));
            }
            try (ServerProcess nodeA = ServerProcess.start(nodeHomes.get(0), nodeEnvironment(database, "node-a"), "512m");
                 ServerProcess nodeB = ServerProcess.start(nodeHomes.get(1), nodeEnvironment(database, "node-b"), "512m")) {
                List<ServerProcess> nodes = List.of(nodeA, nodeB);
                List<PreEnrolledAppleDevices.Member> members = enrolled.get();
                report.append(String.format("fleet of %d iPhones enrolled ahead (certificate from the kernel CA + the plugin's Authenticate calls),"
                        + " while the nodes started: %.1f s%n", fleetSize, seconds(enrollStart)));
                List<FleetDevice> fleet = IntStream.range(0, fleetSize)
                        .mapToObj(i -> new FleetDevice(i, members.get(i).udid(), members.get(i).certificate())).toList();
                PrivateKey key = enrolling.keys().getPrivate();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                for (ServerProcess node : nodes) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> status(http, node.uri("/mdm/" + PLUGIN_ID + "/checkin")) == 405);
                }

                // A plugin file dropped on node A only serves on node B too.
                Files.createDirectories(home.resolve("built"));
                Path helloFile = TestPluginBuilder.plugin("cluster-hello", "1.0.0")
                        .source(TestPluginBuilder.answeringEndpoint("dev.example.cluster", "hello from the cluster"))
                        .buildZip(home.resolve("built"), "cluster-hello.zip");
                Path staging = nodeA.pluginsDir().resolve(".cluster-hello.zip.tmp");
                Files.copy(helloFile, staging);
                Files.move(staging, nodeA.pluginsDir().resolve("cluster-hello.zip"), StandardCopyOption.ATOMIC_MOVE);
                for (ServerProcess node : nodes) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> body(http, node.uri("/mdm/cluster-hello/")).equals("hello from the cluster 1.0.0"));
                }

                // One command to the whole fleet, issued on node A.
                HttpResponse<String> issued = http.send(admin(nodeA.uri("/api/v1/command-batches"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"type": "LOCK", "parameters": {"message": "Two nodes, one fleet"}, "target": {"query": {"platform": "ios"}},
                                 "description": "two-node fan-out"}""")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
                String batchId = JSON.readTree(issued.body()).path("id").asText();
                assertThat(JSON.readTree(issued.body()).path("total").asInt()).isEqualTo(fleetSize);
                await().atMost(Duration.ofSeconds(240)).until(() -> !JSON.readTree(body(http, nodeA.uri("/api/v1/command-batches/" + batchId), true))
                        .path("state").asText().equals("MATERIALIZING"));

                // The fleet works through it, changing node between messages; node A dies with SIGKILL on the way.
                DeviceLogs logs = new DeviceLogs();
                long killAfter = fleetSize * 2L / 5;
                CountDownLatch killed = new CountDownLatch(1);
                AtomicLong acknowledgedAtKill = new AtomicLong();
                Thread killer = new Thread(() -> {
                    while (logs.acknowledged.get() < killAfter) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    nodeA.kill();
                    acknowledgedAtKill.set(logs.acknowledged.get());
                    killed.countDown();
                }, "kill -9 node A");
                long drainStart = System.nanoTime();
                killer.start();
                ExecutorService pool = Executors.newFixedThreadPool(24);
                List<Future<?>> working = new ArrayList<>();
                for (FleetDevice device : fleet) {
                    working.add(pool.submit(() -> {
                        workThroughQueue(http, nodes, device, key, logs);
                        return null;
                    }));
                }
                List<String> failures = new ArrayList<>();
                for (Future<?> work : working) {
                    try {
                        work.get();
                    } catch (ExecutionException e) {
                        failures.add(String.valueOf(e.getCause()));
                    }
                }
                pool.shutdown();
                double drainSeconds = seconds(drainStart);
                assertThat(killed.getCount()).as("node A was killed mid-way").isZero();
                assertThat(nodeA.isAlive()).isFalse();
                assertThat(failures).as("devices that could not finish").isEmpty();
                int lostRequests = logs.lost.values().stream().mapToInt(AtomicInteger::get).sum();
                report.append(String.format("fan-out of one command to %d devices over 2 nodes: %.1f s; messages answered by node A %d, by node B %d;"
                                + " node A (pid %d) killed with SIGKILL after %d answers acknowledged; requests that found node A gone"
                                + " (in flight or refused) and were sent to node B: %d%n", fleetSize, drainSeconds,
                        logs.answeredBy[0].get(), logs.answeredBy[1].get(), nodeA.pid(), acknowledgedAtKill.get(), lostRequests));
                assertThat(acknowledgedAtKill.get()).isLessThan(fleetSize);
                assertThat(logs.answeredBy[0].get()).as("devices spoke to node A").isGreaterThan(0);
                assertThat(logs.answeredBy[1].get()).as("devices spoke to node B").isGreaterThan(0);

                // Every command delivered and answered: each device acknowledged, with a 200, the one command it got.
                Map<String, String> commandOfDevice = new HashMap<>();
                for (Answer answer : logs.answers) {
                    assertThat(commandOfDevice.put(answer.udid(), answer.commandUuid())).as("one command per device")
                            .isIn(null, answer.commandUuid());
                }
                assertThat(commandOfDevice).hasSize(fleetSize);

                // In the database, after the kill: one row per device, every one acknowledged (nothing acknowledged lost).
                Map<String, CommandRow> rows = commandRows(kernel, batchId);
                assertThat(rows).hasSize(fleetSize);
                for (Map.Entry<String, String> entry : commandOfDevice.entrySet()) {
                    CommandRow row = rows.get(entry.getValue());
                    assertThat(row).as("command " + entry.getValue() + " of " + entry.getKey()).isNotNull();
                    assertThat(row.state()).as("command " + entry.getValue()).isEqualTo("ACKNOWLEDGED");
                }

                // Never handed out twice at once: a command reached its device again only after a delivery was lost
                // with the killed node, and the server handed it out no more often than the device received it plus
                // the requests that died with node A.
                Map<String, Integer> receipts = new HashMap<>();
                for (Delivery delivery : logs.deliveries) {
                    receipts.merge(delivery.commandUuid(), 1, Integer::sum);
                }
                Map<String, String> deviceOfCommand = new HashMap<>();
                commandOfDevice.forEach((udid, command) -> deviceOfCommand.put(command, udid));
                int redelivered = 0;
                for (CommandRow row : rows.values()) {
                    int received = receipts.getOrDefault(row.id(), 0);
                    int lost = Optional.ofNullable(logs.lost.get(deviceOfCommand.get(row.id()))).map(AtomicInteger::get).orElse(0);
                    assertThat(received).as("deliveries of " + row.id()).isBetween(1, 1 + lost);
                    assertThat(row.attempts()).as("hand-outs of " + row.id() + " (received " + received + ", lost requests " + lost + ")")
                            .isBetween(1, received + lost);
                    if (row.attempts() > 1) {
                        redelivered++;
                    }
                }

                // Recorded once: one ACKNOWLEDGED state change per command, one audit entry for the fan-out; the chain intact.
                Map<String, Integer> acknowledgedEvents = acknowledgedEvents(kernel);
                for (String id : rows.keySet()) {
                    assertThat(acknowledgedEvents.get(id)).as("ACKNOWLEDGED events of " + id).isEqualTo(1);
                }
                assertThat(auditEntries(kernel, "command.issue-batch", batchId)).isEqualTo(1);
                assertThat(kernel.kernel().audit().verify().intact()).isTrue();

                // Periodic jobs go on on the survivor: a command that outlives its time to live is expired there.
                String deviceId = kernel.kernel().devices().idByHardwareId(Platform.IOS, "udid", fleet.get(0).udid())
                        .orElseThrow().toString();
                HttpResponse<String> shortLived = http.send(admin(nodeB.uri("/api/v1/devices/" + deviceId + "/commands"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"LOCK\", \"parameters\": {\"message\": \"soon gone\"},"
                                + " \"timeToLiveSeconds\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(shortLived.statusCode()).as(shortLived.body()).isEqualTo(201);
                String shortLivedId = JSON.readTree(shortLived.body()).path("command").path("id").asText();
                await().atMost(Duration.ofSeconds(90)).until(() -> JSON.readTree(body(http, nodeB.uri("/api/v1/commands/" + shortLivedId), true))
                        .path("command").path("state").asText().equals("EXPIRED"));

                // The survivor is ready and still serves the plugin dropped on the dead node.
                assertThat(status(http, nodeB.uri("/health/ready"))).isEqualTo(200);
                assertThat(body(http, nodeB.uri("/mdm/cluster-hello/"))).isEqualTo("hello from the cluster 1.0.0");

                report.append(String.format("commands handed out again after a delivery was lost with node A: %d; whole test %.1f s, %d cores%n",
                        redelivered, seconds(started), Runtime.getRuntime().availableProcessors()));
                System.out.print(report);
                Files.writeString(Path.of("target", "two-node-failover.txt"), report);
            } finally {
                // The nodes' logs outlive the temporary directory, for whoever reads a failure.
                Path logs = Files.createDirectories(Path.of("target", "two-node-logs"));
                for (Path nodeHome : nodeHomes) {
                    if (Files.exists(nodeHome.resolve("node.log"))) {
                        Files.copy(nodeHome.resolve("node.log"), logs.resolve(nodeHome.getFileName() + ".log"), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /**
     * One device: Idle on its node, the command it gets acknowledged on the other node, and the empty answer taken as
     * "nothing more". A request that finds its node gone is sent to the other one.
     */
    private static void workThroughQueue(HttpClient http, List<ServerProcess> nodes, FleetDevice device, PrivateKey key, DeviceLogs logs)
            throws Exception {
        NSDictionary idle = new NSDictionary();
        idle.put("UDID", device.udid());
        idle.put("Status", "Idle");
        int node = device.index() % 2;
        Exchange first = send(http, nodes, node, device, key, Plists.xml(idle), logs);
        Optional<NSDictionary> command = first.command();
        if (command.isEmpty()) {
            throw new AssertionError(device.udid() + " was offered nothing on Idle");
        }
        while (command.isPresent()) {
            String uuid = Plists.string(command.get(), "CommandUUID");
            logs.deliveries.add(new Delivery(device.udid(), uuid, first.node()));
            NSDictionary answer = new NSDictionary();
            answer.put("UDID", device.udid());
            answer.put("Status", "Acknowledged");
            answer.put("CommandUUID", uuid);
            Exchange answered = send(http, nodes, 1 - first.node(), device, key, Plists.xml(answer), logs);
            logs.answers.add(new Answer(device.udid(), uuid, answered.node()));
            logs.acknowledged.incrementAndGet();
            command = answered.command();
            first = answered;
        }
    }

    /** A signed message that reached a node, and what that node answered. */
    private record Exchange(int node, Optional<NSDictionary> command) {
    }

    private static Exchange send(HttpClient http, List<ServerProcess> nodes, int preferred, FleetDevice device, PrivateKey key, byte[] body,
                                 DeviceLogs logs) throws Exception {
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            int node = (preferred + attempt) % 2;
            String signature = AppleDeviceSimulator.sign(body, device.certificate(), key);
            HttpRequest request = HttpRequest.newBuilder(nodes.get(node).uri("/mdm/" + PLUGIN_ID + "/connect"))
                    .header("Content-Type", "application/x-apple-aspen-mdm").header("Mdm-Signature", signature)
                    .timeout(REQUEST_TIMEOUT).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException gone) {
                // The node went away with the request: it may or may not have acted on it; the device tries the other.
                logs.lost.computeIfAbsent(device.udid(), udid -> new AtomicInteger()).incrementAndGet();
                lastFailure = gone;
                continue;
            }
            logs.answeredBy[node].incrementAndGet();
            if (response.statusCode() != 200) {
                throw new IllegalStateException(device.udid() + ": node " + node + " answered " + response.statusCode() + ": "
                        + new String(response.body(), StandardCharsets.UTF_8));
            }
            return new Exchange(node, response.body().length == 0 ? Optional.empty() : Optional.of(Plists.dictionary(response.body())));
        }
        throw new IllegalStateException(device.udid() + ": no node answered", lastFailure);
    }

    private record CommandRow(String id, String deviceId, String state, int attempts) {
    }

    private static Map<String, CommandRow> commandRows(TestKernel kernel, String batchId) throws Exception {
        Map<String, CommandRow> rows = new HashMap<>();
        try (Connection connection = kernel.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT id, device_id, state, attempts FROM command WHERE batch_id = ?")) {
            select.setString(1, batchId);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    String id = result.getString(1).trim();
                    rows.put(id, new CommandRow(id, result.getString(2).trim(), result.getString(3).trim(), result.getInt(4)));
                }
            }
        }
        return rows;
    }

    private static Map<String, Integer> acknowledgedEvents(TestKernel kernel) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection connection = kernel.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT data FROM event_log WHERE event_type = ?")) {
            select.setString(1, EventTypes.COMMAND_STATE_CHANGED);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    JsonNode data = JSON.readTree(result.getString(1));
                    if (data.path("state").asText().equals("ACKNOWLEDGED")) {
                        counts.merge(data.path("commandId").asText(), 1, Integer::sum);
                    }
                }
            }
        }
        return counts;
    }

    private static int auditEntries(TestKernel kernel, String action, String targetId) throws Exception {
        try (Connection connection = kernel.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM audit_entry WHERE action = ? AND target_id = ?")) {
            select.setString(1, action);
            select.setString(2, targetId);
            try (ResultSet result = select.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    /** The store's database on the test PostgreSQL, as SHEPHERD_DATABASE_* settings. */
    private static Map<String, String> postgresOf(Path store) {
        TestPostgres postgres = TestPostgres.get();
        return Map.of("SHEPHERD_DATABASE_URL", postgres.jdbcUrl(postgres.databaseOf(store)),
                "SHEPHERD_DATABASE_USERNAME", TestPostgres.USER,
                "SHEPHERD_DATABASE_PASSWORD", postgres.password());
    }

    private static Map<String, String> nodeEnvironment(Map<String, String> database, String name) {
        Map<String, String> environment = new HashMap<>(database);
        environment.putAll(Map.of("SHEPHERD_NODE_NAME", name,
                "SHEPHERD_DATABASE_POOL_SIZE", "12",
                // Short, so the test sees the expiry job run on the survivor within seconds.
                "SHEPHERD_COMMANDS_EXPIRY_INTERVAL", "1s"));
        return environment;
    }

    private static HttpRequest.Builder admin(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD));
    }

    private static int status(HttpClient http, URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String body(HttpClient http, URI uri) {
        return body(http, uri, false);
    }

    private static String body(HttpClient http, URI uri, boolean asAdmin) {
        try {
            HttpRequest request = (asAdmin ? admin(uri) : HttpRequest.newBuilder(uri)).build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
