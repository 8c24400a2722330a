package dev.shepherd.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The probes a load balancer or an orchestrator uses, through the running server: {@code /health/live} answers
 * whenever the process serves HTTP; {@code /health/ready} only when the store answers and the plugins are loaded. A
 * plugin that failed leaves the node ready but degraded, listed by id and state without its failure reason, and
 * {@code /health} keeps answering as it always has.
 */
class HealthProbesTest {

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(plugin("boom", "1.0.0").pluginClass("acme.boom.Boom").source("""
                package acme.boom;

                public class Boom extends org.pf4j.Plugin {
                    @Override
                    public void start() {
                        throw new IllegalStateException("secret detail of the failure");
                    }
                }
                """).buildZip(build, "boom.zip"), home.resolve("plugins/boom.zip"));
        server = TestServer.start(home);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void livenessAnswersWheneverTheProcessServesHttp() throws Exception {
        HttpResponse<String> live = server.get("/health/live");

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json.readTree(live.body()).path("status").asText()).isEqualTo("UP");
    }

    @Test
    void aFailedPluginLeavesTheNodeReadyButDegradedAndListsThePluginWithoutItsReason() throws Exception {
        HttpResponse<String> ready = server.get("/health/ready");

        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(ready.body());
        assertThat(body.path("status").asText()).isEqualTo("DEGRADED");
        assertThat(body.path("database").asText()).isEqualTo("UP");
        assertThat(body.path("plugins").path("ready").asBoolean()).isTrue();
        assertThat(body.path("plugins").path("failed").asInt()).isEqualTo(1);
        JsonNode problem = body.path("plugins").path("problems").get(0);
        assertThat(problem.path("id").asText()).isEqualTo("boom");
        assertThat(problem.path("state").asText()).isEqualTo("FAILED");
        assertThat(ready.body()).doesNotContain("secret detail");
    }

    @Test
    void theOlderHealthEndpointAnswersAsBeforeUpWithTheFailedPluginListed() throws Exception {
        HttpResponse<String> health = server.get("/health");

        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(health.body());
        assertThat(body.path("status").asText()).isEqualTo("UP");
        assertThat(body.path("plugins").path("problems").get(0).path("id").asText()).isEqualTo("boom");
    }

    @Test
    void aNodeWhoseStoreIsUnreachableIsNotReadyButStillLive() throws Exception {
        Path otherHome = Files.createDirectories(build.resolve("no-store"));
        try (TestServer cutOff = TestServer.start(otherHome)) {
            assertThat(cutOff.get("/health/ready").statusCode()).isEqualTo(200);

            // The pool closed stands for a store that went away: no connection can be had.
            cutOff.server().kernel().transactions().dataSource().unwrap(HikariDataSource.class).close();
            HttpResponse<String> ready = cutOff.get("/health/ready");

            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(json.readTree(ready.body()).path("status").asText()).isEqualTo("DOWN");
            assertThat(json.readTree(ready.body()).path("database").asText()).isEqualTo("DOWN");
            assertThat(cutOff.get("/health").statusCode()).isEqualTo(503);
            assertThat(cutOff.get("/health/live").statusCode()).isEqualTo(200);
        }
    }
}
