package dev.shepherd.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two plugin files claiming one plugin id: the newest version runs, files of one version with different contents are
 * all refused with the reason, and what runs depends only on the files present, at run time as at start-up, never on
 * their names or the order they arrived in. Real plugin files, real class loaders, real HTTP on loopback.
 */
class PluginIdClaimsTest {

    private static final Duration WITHIN = Duration.ofSeconds(15);

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void atRunTimeTheNewestVersionWinsAndRemovingItBringsBackTheVersionItSuperseded() throws IOException {
        server = TestServer.start(home);
        install(twin("1.0.0", "rightful", "rightful.zip"), "twin-a.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("rightful 1.0.0"));

        install(twin("0.9.0", "older", "older.zip"), "twin-0.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(info("twin", "twin-0.zip").path("state").asText()).isEqualTo("SUPERSEDED"));
        assertThat(info("twin", "twin-0.zip").path("failureReason").asText()).isEqualTo("plugin twin 0.9.0 is superseded by 1.0.0 from twin-a.zip");
        assertThat(server.get("/mdm/twin/").body()).as("an older file changes nothing").isEqualTo("rightful 1.0.0");

        Path newer = install(twin("1.1.0", "newer", "newer.zip"), "twin-b.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("newer 1.1.0"));
        assertThat(info("twin", "twin-a.zip").path("state").asText()).isEqualTo("SUPERSEDED");
        assertThat(info("twin", "twin-a.zip").path("failureReason").asText()).isEqualTo("plugin twin 1.0.0 is superseded by 1.1.0 from twin-b.zip");

        Files.delete(newer);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("rightful 1.0.0"));
        assertThat(info("twin", "twin-a.zip").path("state").asText()).isEqualTo("STARTED");
        assertThat(info("twin", "twin-0.zip").path("state").asText()).isEqualTo("SUPERSEDED");
    }

    @Test
    void atRunTimeATieIsRefusedWithTheReasonAndRemovingTheImpostorBringsBackTheRightfulPlugin() throws IOException {
        server = TestServer.start(home);
        install(twin("1.0.0", "rightful", "rightful.zip"), "twin-a.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("rightful 1.0.0"));

        Path impostor = install(twin("1.0.0", "impostor", "impostor.zip"), "twin-b.zip");

        // The server cannot tell which of the two is genuine, so neither runs until one is removed.
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").statusCode()).isEqualTo(404));
        String reason = "plugin twin 1.0.0 is claimed by 2 files with different contents (twin-a.zip, twin-b.zip);"
                + " none of them is loaded until all but one are removed";
        for (String file : List.of("twin-a.zip", "twin-b.zip")) {
            assertThat(info("twin", file).path("state").asText()).isEqualTo("FAILED");
            assertThat(info("twin", file).path("failureReason").asText()).isEqualTo(reason);
        }
        JsonNode health = health();
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("plugins").path("failed").asInt()).isEqualTo(2);
        assertThat(health.path("plugins").path("problems").toString()).contains("\"id\":\"twin\"");

        Files.delete(impostor);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("rightful 1.0.0"));
        assertThat(info("twin", "twin-a.zip").path("state").asText()).isEqualTo("STARTED");
        assertThat(health().path("plugins").path("failed").asInt()).isZero();
    }

    @Test
    void atStartUpTheSameFilesGiveTheSameOutcomeWhateverTheirNames() throws IOException {
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        // The newer file sorts first for one plugin and last for the other.
        Files.copy(plugin("left", "1.1.0").source(TestPlugins.answeringEndpoint("acme.left", "new")).buildZip(build, "left-new.zip"),
                plugins.resolve("a-left.zip"));
        Files.copy(plugin("left", "1.0.0").source(TestPlugins.answeringEndpoint("acme.left", "old")).buildZip(build, "left-old.zip"),
                plugins.resolve("z-left.zip"));
        Files.copy(plugin("right", "1.0.0").source(TestPlugins.answeringEndpoint("acme.right", "old")).buildZip(build, "right-old.zip"),
                plugins.resolve("a-right.zip"));
        Files.copy(plugin("right", "1.1.0").source(TestPlugins.answeringEndpoint("acme.right", "new")).buildZip(build, "right-new.zip"),
                plugins.resolve("z-right.zip"));
        Files.copy(twin("1.0.0", "rightful", "rightful.zip"), plugins.resolve("twin-a.zip"));
        Path impostor = Files.copy(twin("1.0.0", "impostor", "impostor.zip"), plugins.resolve("twin-b.zip"));
        // The very same file under a second name is a copy, not an impostor: one of them runs.
        Path same = plugin("same", "1.0.0").source(TestPlugins.answeringEndpoint("acme.same", "same")).buildZip(build, "same.zip");
        Files.copy(same, plugins.resolve("same-1.zip"));
        Files.copy(same, plugins.resolve("same-2.zip"));

        server = TestServer.start(home);

        assertThat(server.get("/mdm/left/").body()).isEqualTo("new 1.1.0");
        assertThat(server.get("/mdm/right/").body()).isEqualTo("new 1.1.0");
        assertThat(info("left", "z-left.zip").path("failureReason").asText()).isEqualTo("plugin left 1.0.0 is superseded by 1.1.0 from a-left.zip");
        assertThat(info("right", "a-right.zip").path("failureReason").asText()).isEqualTo("plugin right 1.0.0 is superseded by 1.1.0 from z-right.zip");
        assertThat(server.get("/mdm/twin/").statusCode()).isEqualTo(404);
        assertThat(info("twin", "twin-a.zip").path("state").asText()).isEqualTo("FAILED");
        assertThat(info("twin", "twin-b.zip").path("failureReason").asText()).contains("is claimed by 2 files with different contents");
        assertThat(server.get("/mdm/same/").body()).isEqualTo("same 1.0.0");
        assertThat(info("same", "same-1.zip").path("state").asText()).isEqualTo("STARTED");
        assertThat(info("same", "same-2.zip").path("state").asText()).isEqualTo("SUPERSEDED");
        assertThat(info("same", "same-2.zip").path("failureReason").asText()).isEqualTo("the same file as same-1.zip, which provides plugin same");

        Files.delete(impostor);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/twin/").body()).isEqualTo("rightful 1.0.0"));
    }

    private Path twin(String version, String text, String builtName) {
        return plugin("twin", version).source(TestPlugins.answeringEndpoint("acme.twin", text)).buildZip(build, builtName);
    }

    private Path install(Path built, String fileName) throws IOException {
        return Files.copy(built, server.pluginsDir().resolve(fileName));
    }

    private JsonNode health() {
        return PluginListing.health(server);
    }

    private JsonNode info(String id, String file) {
        return PluginListing.entry(server, id, file);
    }
}
