package dev.shepherd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.config.ConfigException;
import dev.shepherd.security.SecretBox;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Servers sharing one database, through HTTP: which node leads is shown on {@code /api/v1/cluster} and in the metrics,
 * a plugin's periodic work has one node at a time, the survivor takes over when the leader stops, and a node with
 * another secrets key refuses to start. Several nodes need PostgreSQL; the single-node cases run on both engines.
 */
class ClusterServerTest {

    @TempDir
    Path homeA;
    @TempDir
    Path homeB;
    @TempDir
    Path elsewhere;
    @TempDir
    Path build;
    private final ObjectMapper json = new ObjectMapper();
    private final List<TestServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(TestServer::close);
    }

    @Test
    void aSingleNodeLeadsAndSaysSoOnTheClusterRouteAndInItsMetrics() throws Exception {
        TestServer server = start(homeA, Map.of());

        JsonNode cluster = json.readTree(server.getAsAdmin("/api/v1/cluster").body());

        String node = server.server().cluster().nodeId();
        assertThat(cluster.path("node").asText()).isEqualTo(node);
        assertThat(cluster.path("leader").asText()).isEqualTo(node);
        assertThat(cluster.path("nodes")).extracting(entry -> entry.path("id").asText()).containsExactly(node);
        assertThat(cluster.path("leases")).anySatisfy(lease -> {
            assertThat(lease.path("name").asText()).isEqualTo("kernel");
            assertThat(lease.path("holder").asText()).isEqualTo(node);
            assertThat(lease.path("live").asBoolean()).isTrue();
        });
        assertThat(server.get("/api/v1/cluster").statusCode()).isEqualTo(401);
        assertThat(server.getAsAdmin("/metrics").body().lines())
                .anySatisfy(line -> assertThat(line).startsWith("shepherd_cluster_leader{").endsWith(" 1.0"))
                .anySatisfy(line -> assertThat(line).startsWith("shepherd_cluster_nodes{").endsWith(" 1.0"));
    }

    @Test
    void theSecondNodeFollowsUntilTheLeaderStopsAndThenTakesItsWorkAndItsPluginsWorkOver() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL, "several nodes share a PostgreSQL database");
        installLeaderPlugin(homeA);
        installLeaderPlugin(homeB);
        TestServer first = start(homeA, Map.of());
        TestServer second = start(homeB, sharing(homeA));
        String firstNode = first.server().cluster().nodeId();
        String secondNode = second.server().cluster().nodeId();

        JsonNode cluster = json.readTree(second.getAsAdmin("/api/v1/cluster").body());
        assertThat(cluster.path("leader").asText()).isEqualTo(firstNode);
        assertThat(cluster.path("nodes")).extracting(entry -> entry.path("id").asText()).containsExactlyInAnyOrder(firstNode, secondNode);
        assertThat(first.get("/mdm/leader/am-i").body()).isEqualTo("true");
        assertThat(second.get("/mdm/leader/am-i").body()).isEqualTo("false");

        first.close();
        servers.remove(first);
        second.server().cluster().renewAll(); // what its cluster thread does every 5 s

        assertThat(json.readTree(second.getAsAdmin("/api/v1/cluster").body()).path("leader").asText()).isEqualTo(secondNode);
        assertThat(second.get("/mdm/leader/am-i").body()).isEqualTo("true");
        assertThat(second.getAsAdmin("/metrics").body().lines())
                .anySatisfy(line -> assertThat(line).startsWith("shepherd_cluster_leader{").endsWith(" 1.0"));
    }

    @Test
    void aPluginThatFailsOnTheLeadingNodeHandsItsWorkToANodeWhereItStillRuns() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL, "several nodes share a PostgreSQL database");
        installLeaderPlugin(homeA);
        installLeaderPlugin(homeB);
        TestServer first = start(homeA, Map.of("SHEPHERD_PLUGINS_CALL_TIMEOUT", "300ms"));
        TestServer second = start(homeB, sharing(homeA));
        assertThat(first.get("/mdm/leader/am-i").body()).isEqualTo("true");
        assertThat(second.get("/mdm/leader/am-i").body()).isEqualTo("false");

        // Calls stuck past the timeout: the first node's host takes the plugin out of service there.
        List<Thread> stuck = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Thread caller = new Thread(() -> first.get("/mdm/leader/hang"));
            caller.start();
            stuck.add(caller);
        }
        for (Thread caller : stuck) {
            caller.join(30_000);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        String secondSays = "false";
        while (!secondSays.equals("true") && System.nanoTime() < deadline) {
            Thread.sleep(200);
            second.server().cluster().renewAll(); // what its cluster thread does every 5 s
            secondSays = second.get("/mdm/leader/am-i").body();
        }

        assertThat(first.server().plugins().plugin("leader")).hasValueSatisfying(plugin ->
                assertThat(plugin.state().name()).isIn("OUT_OF_SERVICE", "FAILED"));
        assertThat(secondSays).as("the plugin's lease left the node where it failed, long before it would expire").isEqualTo("true");
        assertThat(json.readTree(second.getAsAdmin("/api/v1/cluster").body()).path("leader").asText())
                .as("the kernel's own work stays where it was").isEqualTo(first.server().cluster().nodeId());
    }

    @Test
    void aNodeStartedWithAnotherSecretsKeyRefusesToStartAndSaysWhy() {
        start(homeA, Map.of()).close();
        servers.clear();
        Path otherKey = elsewhere.resolve("other-secrets.key");

        // On PostgreSQL a second installation over the first one's database; on Derby the same installation again.
        Path home = TestStore.engine() == Dialect.POSTGRESQL ? homeB : homeA;
        Map<String, String> environment = new HashMap<>(TestStore.engine() == Dialect.POSTGRESQL ? databaseOf(homeA) : Map.of());
        environment.put("SHEPHERD_SECURITY_SECRETS_KEY_FILE", otherKey.toString());
        assertThatThrownBy(() -> start(home, environment))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(otherKey.toString())
                .hasMessageContaining("is not the key this database's secrets are sealed with")
                .hasMessageContaining("security.secretsKeyFile");

        // The first node's key, shared, is accepted.
        environment.put("SHEPHERD_SECURITY_SECRETS_KEY_FILE", SecretBox.defaultKeyFile(homeA.resolve("data")).toString());
        assertThat(start(home, environment).get("/health/ready").statusCode()).isEqualTo(200);
    }

    private TestServer start(Path home, Map<String, String> environment) {
        TestServer server = TestServer.start(home, environment);
        servers.add(server);
        return server;
    }

    /** The settings that put a node on another installation's database, with that installation's secrets key. */
    private static Map<String, String> sharing(Path firstHome) {
        Map<String, String> environment = new HashMap<>(databaseOf(firstHome));
        environment.put("SHEPHERD_SECURITY_SECRETS_KEY_FILE", SecretBox.defaultKeyFile(firstHome.resolve("data")).toString());
        return environment;
    }

    private static Map<String, String> databaseOf(Path home) {
        return TestStore.environment(home);
    }

    /** A plugin whose device endpoint says whether this node holds the plugin's lease. */
    private void installLeaderPlugin(Path home) throws Exception {
        Path file = plugin("leader", "1.0.0").source("""
                package acme.leader;

                import dev.shepherd.api.cluster.Leadership;
                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class AmI implements DeviceEndpoint {
                    private final Leadership leadership;

                    @Inject
                    public AmI(Leadership leadership) {
                        this.leadership = leadership;
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) throws InterruptedException {
                        if (request.path().equals("/hang")) {
                            Thread.sleep(Long.MAX_VALUE); // a plugin stuck for good, until the host stops it
                        }
                        return DeviceResponse.text(200, String.valueOf(leadership.isLeader()));
                    }
                }
                """).buildZip(build, "leader-" + home.getFileName() + ".zip");
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(file, home.resolve("plugins/leader.zip"));
    }
}
