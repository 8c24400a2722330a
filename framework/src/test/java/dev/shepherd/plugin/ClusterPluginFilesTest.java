package dev.shepherd.plugin;

import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestPostgres;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Plugin files on a cluster: two servers (nodes A and B) on one PostgreSQL database, each with its own plugins
 * directory. A file dropped on one node serves on both, a replacement upgrades both, a removal unloads it from both,
 * switching a plugin off or on applies on both, and a broken file is refused on both without taking either down.
 * Needs PostgreSQL (a cluster's store); skipped with a message saying so otherwise.
 */
class ClusterPluginFilesTest {

    private static final Duration IN_STEP = Duration.ofSeconds(30);

    @TempDir
    Path home;

    private Map<String, String> database;
    private TestServer nodeA;
    private TestServer nodeB;

    @BeforeEach
    void startTwoNodes() throws IOException {
        assumeTrue(TestPostgres.installed(), TestPostgres.NOT_INSTALLED);
        TestPostgres postgres = TestPostgres.get();
        database = Map.of(
                "SHEPHERD_DATABASE_URL", postgres.jdbcUrl(postgres.databaseOf(home.resolve("cluster"))),
                "SHEPHERD_DATABASE_USERNAME", TestPostgres.USER,
                "SHEPHERD_DATABASE_PASSWORD", postgres.password());
        nodeA = TestServer.start(home.resolve("a"), node(database, "node-a"));
        // The nodes of a cluster share the secrets key that seals what they keep in the database.
        Files.createDirectories(home.resolve("b/data/keys"));
        Files.copy(home.resolve("a/data/keys/secrets.key"), home.resolve("b/data/keys/secrets.key"), StandardCopyOption.COPY_ATTRIBUTES);
        nodeB = TestServer.start(home.resolve("b"), node(database, "node-b"));
    }

    @AfterEach
    void stopNodes() {
        for (TestServer node : new TestServer[]{nodeB, nodeA}) {
            if (node != null) {
                node.close();
            }
        }
    }

    @Test
    void aFileDroppedOnOneNodeServesOnBothAndItsReplacementUpgradesBoth() throws IOException {
        drop(nodeA, plugin("1.0.0"), "cluster-hello.zip");

        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 1.0.0"));
        assertThat(answer(nodeA)).isEqualTo("hello 1.0.0");
        assertThat(Files.readAllBytes(nodeB.pluginsDir().resolve("cluster-hello.zip")))
                .isEqualTo(Files.readAllBytes(nodeA.pluginsDir().resolve("cluster-hello.zip")));

        // Replaced on B, the other node: A follows.
        TestServer.replace(nodeB.pluginsDir().resolve("cluster-hello.zip"), plugin("2.0.0"));
        await().atMost(IN_STEP).until(() -> answer(nodeA).equals("hello 2.0.0") && answer(nodeB).equals("hello 2.0.0"));
        assertThat(storedFiles()).containsExactly(Map.entry("cluster-hello.zip", false));
    }

    @Test
    void aFileRemovedFromOneNodeIsUnloadedFromBoth() throws IOException {
        drop(nodeA, plugin("1.0.0"), "cluster-hello.zip");
        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 1.0.0"));

        Files.delete(nodeA.pluginsDir().resolve("cluster-hello.zip"));

        await().atMost(IN_STEP).until(() -> nodeB.get("/mdm/cluster-hello/").statusCode() == 404
                && nodeA.get("/mdm/cluster-hello/").statusCode() == 404);
        assertThat(nodeB.pluginsDir().resolve("cluster-hello.zip")).doesNotExist();
        assertThat(storedFiles()).containsExactly(Map.entry("cluster-hello.zip", true));
    }

    @Test
    void switchingAPluginOffOnOneNodeSwitchesItOffOnBothAndBackOn() throws IOException {
        drop(nodeA, plugin("1.0.0"), "cluster-hello.zip");
        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 1.0.0"));

        assertThat(post(nodeA, "/api/v1/plugins/cluster-hello/disable").statusCode()).isEqualTo(200);

        await().atMost(IN_STEP).until(() -> nodeB.get("/mdm/cluster-hello/").statusCode() == 404);
        assertThat(PluginListing.entry(nodeB, "cluster-hello").path("state").asText()).isEqualTo("DISABLED");
        assertThat(nodeB.pluginsDir().resolve("cluster-hello.zip")).exists();

        assertThat(post(nodeA, "/api/v1/plugins/cluster-hello/enable").statusCode()).isEqualTo(204);

        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 1.0.0") && answer(nodeA).equals("hello 1.0.0"));
    }

    @Test
    void aBrokenFileIsRefusedOnBothNodesAndNeitherGoesDown() throws IOException {
        Path broken = TestPluginBuilder.corruptFile(Files.createDirectories(home.resolve("built")), "broken.zip");
        drop(nodeA, broken, "broken.zip");

        await().atMost(IN_STEP).until(() -> PluginListing.entry(nodeB, "broken.zip").path("state").asText().equals("FAILED"));
        assertThat(PluginListing.entry(nodeA, "broken.zip").path("state").asText()).isEqualTo("FAILED");
        assertThat(nodeA.get("/health/live").statusCode()).isEqualTo(200);
        assertThat(nodeB.get("/health/live").statusCode()).isEqualTo(200);

        // And a good plugin dropped afterwards still reaches both.
        drop(nodeB, plugin("1.0.0"), "cluster-hello.zip");
        await().atMost(IN_STEP).until(() -> answer(nodeA).equals("hello 1.0.0"));
    }

    @Test
    void theSameFileDroppedOnBothNodesIsStoredOnce() throws IOException {
        Path file = plugin("1.0.0");
        drop(nodeA, file, "cluster-hello.zip");
        drop(nodeB, file, "cluster-hello.zip");

        await().atMost(IN_STEP).until(() -> answer(nodeA).equals("hello 1.0.0") && answer(nodeB).equals("hello 1.0.0"));
        assertThat(storedFiles()).containsExactly(Map.entry("cluster-hello.zip", false));
    }

    @Test
    void aNodeThatWasDownCatchesUpAndAFileRemovedWhileItWasDownStaysRemoved() throws IOException {
        drop(nodeA, plugin("1.0.0"), "cluster-hello.zip");
        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 1.0.0"));
        nodeB.close();

        // While B is down: A upgrades the plugin, and an operator deletes B's copy of the file.
        TestServer.replace(nodeA.pluginsDir().resolve("cluster-hello.zip"), plugin("2.0.0"));
        await().atMost(IN_STEP).until(() -> answer(nodeA).equals("hello 2.0.0"));
        Files.delete(home.resolve("b/plugins/cluster-hello.zip"));
        nodeB = TestServer.start(home.resolve("b"), node(database, "node-b"));

        // B deleted the version it had agreed on, not the upgrade it never saw: the upgrade wins, on both.
        await().atMost(IN_STEP).until(() -> answer(nodeB).equals("hello 2.0.0"));
        assertThat(answer(nodeA)).isEqualTo("hello 2.0.0");

        nodeB.close();
        Files.delete(home.resolve("b/plugins/cluster-hello.zip"));
        nodeB = TestServer.start(home.resolve("b"), node(database, "node-b"));

        // Now it deleted what it had agreed on: removed from the cluster.
        await().atMost(IN_STEP).until(() -> nodeA.get("/mdm/cluster-hello/").statusCode() == 404);
        assertThat(nodeB.pluginsDir().resolve("cluster-hello.zip")).doesNotExist();
        assertThat(storedFiles()).containsExactly(Map.entry("cluster-hello.zip", true));
    }

    private Path plugin(String version) {
        return TestPluginBuilder.plugin("cluster-hello", version).source(TestPlugins.answeringEndpoint("com.acme.cluster", "hello"))
                .buildZip(createDirectories(home.resolve("built-" + version)), "cluster-hello.zip");
    }

    private static Path createDirectories(Path directory) {
        try {
            return Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As operators drop a file: written beside the directory's files, then moved in. */
    private static void drop(TestServer node, Path file, String name) throws IOException {
        Path staging = node.pluginsDir().resolve("." + name + ".copying");
        Files.copy(file, staging, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staging, node.pluginsDir().resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String answer(TestServer node) {
        HttpResponse<String> response = node.get("/mdm/cluster-hello/");
        return response.statusCode() == 200 ? response.body() : "";
    }

    private static HttpResponse<String> post(TestServer node, String path) {
        return node.send(HttpRequest.newBuilder(node.uri(path)).POST(HttpRequest.BodyPublishers.noBody())
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).build());
    }

    /** The cluster's plugin files: name and whether it is marked removed. */
    private Map<String, Boolean> storedFiles() {
        Map<String, Boolean> files = new HashMap<>();
        try (Connection connection = nodeA.server().kernel().transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT name, removed FROM plugin_file");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                files.put(rows.getString(1), rows.getShort(2) != 0);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return files;
    }

    private static Map<String, String> node(Map<String, String> database, String name) {
        Map<String, String> environment = new HashMap<>(database);
        environment.put("SHEPHERD_NODE_NAME", name);
        return environment;
    }
}
