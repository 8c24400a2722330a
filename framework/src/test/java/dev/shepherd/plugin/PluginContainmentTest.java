package dev.shepherd.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.event.Event;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One request never takes a plugin down: a plugin that throws (even a StackOverflowError) fails that request only;
 * a plugin whose calls keep failing is taken out of service by its circuit breaker and tried again after a
 * cool-down; a plugin that failed to start comes back when an admin switches it off and on. Real plugin files in
 * real class loaders, real HTTP on loopback, real Derby.
 */
class PluginContainmentTest {

    private static final Duration WITHIN = Duration.ofSeconds(15);
    private static final int FAILURES_IN_A_ROW = 3;

    @TempDir
    Path home;
    @TempDir
    Path build;
    private Path switchFile;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void startServer() throws IOException {
        // The "moody" plugin reads whether to fail at start from a file its configuration names.
        switchFile = home.resolve("moody-switch.txt");
        Files.writeString(switchFile, "fine");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    moody:
                      switchFile: "%s"
                """.formatted(switchFile.toString().replace("\\", "/")));
        server = TestServer.start(home, Map.of(
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "3s",
                "SHEPHERD_PLUGINS_BREAKER_FAILURES", Integer.toString(FAILURES_IN_A_ROW),
                "SHEPHERD_PLUGINS_BREAKER_COOL_DOWN", "2s"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aRequestThatThrowsFailsAloneWithAProblemAndTheNextRequestIsServed() throws IOException {
        installMisbehaving("buggy");

        HttpResponse<String> failed = server.get("/mdm/buggy/throw");

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(failed.body()).path("detail").asText()).isEqualTo(
                "Plugin buggy failed while handling this request; the failure is logged on the server.");
        assertThat(failed.body()).doesNotContain("IllegalArgumentException").doesNotContain("bug in plugin").doesNotContain("at acme.");
        assertThat(server.get("/mdm/buggy/").body()).isEqualTo("fine");
        assertThat(pluginInfo("buggy").path("state").asText()).isEqualTo("STARTED");
    }

    @Test
    void aStackOverflowFromADeeplyRecursiveHandlerFailsThatRequestOnlyAndThePluginsThreadsSurvive() throws IOException {
        installMisbehaving("recursive");

        // More overflows than the breaker's threshold, each followed by a good request: none takes the plugin down.
        for (int round = 0; round < FAILURES_IN_A_ROW + 2; round++) {
            HttpResponse<String> overflowed = server.get("/mdm/recursive/deep");
            assertThat(overflowed.statusCode()).isEqualTo(500);
            assertThat(overflowed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(overflowed.body()).doesNotContain("StackOverflowError").doesNotContain("nest");

            assertThat(server.get("/mdm/recursive/").body()).isEqualTo("fine");
        }
        assertThat(pluginInfo("recursive").path("state").asText()).isEqualTo("STARTED");
    }

    @Test
    void aRequestThePluginRefusesIsAnsweredWithItsOwnStatusAndNeverCountsAgainstThePlugin() throws IOException {
        installMisbehaving("picky");

        for (int i = 0; i < FAILURES_IN_A_ROW + 2; i++) {
            HttpResponse<String> refused = server.get("/mdm/picky/refuse");
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(json.readTree(refused.body()).path("detail").asText()).isEqualTo("the body nests too deeply");
        }
        assertThat(pluginInfo("picky").path("state").asText()).isEqualTo("STARTED");
    }

    @Test
    void failuresInARowOpenTheBreakerWhichHalfOpensAfterTheCoolDownAndClosesOnSuccess() throws IOException {
        installMisbehaving("flaky");
        install(plugin("steady", "1.0.0").source(TestPlugins.answeringEndpoint("acme.steady", "ok")).buildZip(build, "steady.zip"), "steady.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/steady/").statusCode()).isEqualTo(200));

        for (int i = 0; i < FAILURES_IN_A_ROW; i++) {
            assertThat(server.get("/mdm/flaky/throw").statusCode()).isEqualTo(500);
        }

        // Open: the plugin is out of service, the reason listed, its calls refused at once; the others serve on.
        HttpResponse<String> refused = server.get("/mdm/flaky/");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(seconds -> assertThat(Long.parseLong(seconds)).isBetween(1L, 2L));
        JsonNode info = pluginInfo("flaky");
        assertThat(info.path("state").asText()).isEqualTo("OUT_OF_SERVICE");
        assertThat(info.path("failureReason").asText())
                .isEqualTo(FAILURES_IN_A_ROW + " calls failed in a row, the last: DeviceEndpoint.handle threw IllegalArgumentException: bug in plugin");
        assertThat(Instant.parse(info.path("retryAt").asText())).isAfter(Instant.parse(info.path("since").asText()));
        JsonNode health = health();
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("plugins").path("outOfService").asInt()).isEqualTo(1);
        assertThat(health.path("plugins").path("problems").toString()).contains("\"id\":\"flaky\"").contains("\"state\":\"OUT_OF_SERVICE\"")
                .doesNotContain("bug in plugin");
        assertThat(server.get("/mdm/steady/").body()).isEqualTo("ok 1.0.0");

        // After the cool-down one call goes through as a trial; it succeeds, and the breaker closes.
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(server.get("/mdm/flaky/").statusCode()).isEqualTo(200));
        assertThat(pluginInfo("flaky").path("state").asText()).isEqualTo("STARTED");
        assertThat(pluginInfo("flaky").has("failureReason") && !pluginInfo("flaky").path("failureReason").isNull()).isFalse();
        assertThat(health().path("plugins").path("problems").size()).isZero();
    }

    @Test
    void aTrialCallThatFailsOpensTheBreakerForAnotherCoolDown() throws IOException {
        installMisbehaving("stubborn");
        for (int i = 0; i < FAILURES_IN_A_ROW; i++) {
            assertThat(server.get("/mdm/stubborn/throw").statusCode()).isEqualTo(500);
        }
        assertThat(server.get("/mdm/stubborn/throw").statusCode()).as("refused while open").isEqualTo(503);
        Instant firstRetry = Instant.parse(pluginInfo("stubborn").path("retryAt").asText());

        // Once the cool-down has passed, the next call is the trial: it fails, and one failure opens the breaker again.
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(server.get("/mdm/stubborn/throw").statusCode()).isEqualTo(500));

        assertThat(server.get("/mdm/stubborn/").statusCode()).isEqualTo(503);
        JsonNode info = pluginInfo("stubborn");
        assertThat(info.path("state").asText()).isEqualTo("OUT_OF_SERVICE");
        assertThat(Instant.parse(info.path("retryAt").asText())).isAfter(firstRetry);
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(server.get("/mdm/stubborn/").statusCode()).isEqualTo(200));
    }

    @Test
    void aHungCallIsReportedAndTakesThePluginOutOfServiceAtOnceUntilATrialSucceeds() throws IOException {
        installMisbehaving("sleepy");

        HttpResponse<String> hung = server.get("/mdm/sleepy/hang");

        assertThat(hung.statusCode()).isEqualTo(500);
        assertThat(hung.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode info = pluginInfo("sleepy");
        assertThat(info.path("state").asText()).isEqualTo("OUT_OF_SERVICE");
        assertThat(info.path("failureReason").asText()).isEqualTo("DeviceEndpoint.handle did not return within 3000 ms");
        assertThat(server.get("/mdm/sleepy/").statusCode()).isEqualTo(503);
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(server.get("/mdm/sleepy/").body()).isEqualTo("fine"));
    }

    @Test
    void aPluginWhoseHungCallsKeepTheirThreadsIsFailedAndComesBackWithDisableAndEnable() throws Exception {
        server.close();
        server = TestServer.start(Files.createDirectories(home.resolve("deaf-home")), Map.of(
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "2s", "SHEPHERD_PLUGINS_BREAKER_COOL_DOWN", "100ms"));
        installMisbehaving("deaf");

        // Calls that ignore the interruption keep their threads after the timeout. The breaker lets one trial through
        // per cool-down (a short one here), so they pile up one by one, or several at once when they arrive together.
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 8; i++) {
                callers.submit(() -> server.get("/mdm/deaf/stuck"));
            }
        } finally {
            callers.shutdown();
        }
        await().atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (pluginInfo("deaf").path("state").asText().equals("FAILED")) {
                return true;
            }
            server.get("/mdm/deaf/stuck");
            return false;
        });

        assertThat(pluginInfo("deaf").path("failureReason").asText())
                .isEqualTo("16 calls are stuck past the call timeout, the last: DeviceEndpoint.handle did not return within 2000 ms");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/deaf/").statusCode()).isEqualTo(404));
        assertThat(health().path("plugins").path("problems").toString()).contains("\"id\":\"deaf\"");

        assertThat(post("/api/v1/plugins/deaf/disable").statusCode()).isEqualTo(200);
        assertThat(post("/api/v1/plugins/deaf/enable").statusCode()).isEqualTo(204);
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/deaf/").body()).isEqualTo("fine"));
    }

    @Test
    void aPluginThatFailedToStartComesBackWithDisableAndEnableOnceFixedWithoutTouchingItsFile() throws IOException {
        Files.writeString(switchFile, "broken");
        Path installed = install(plugin("moody", "1.0.0").pluginClass("acme.moody.Moody")
                .source(TestPlugins.pluginClassFailingWhileSwitchFileSaysBroken("acme.moody"))
                .source(TestPlugins.answeringEndpoint("acme.moody", "up")).buildZip(build, "moody.zip"), "moody.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("moody").path("state").asText()).isEqualTo("FAILED"));
        assertThat(pluginInfo("moody").path("failureReason").asText()).isEqualTo("Plugin.start threw IllegalStateException: configured to fail");
        JsonNode health = health();
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("plugins").path("failed").asInt()).isEqualTo(1);
        JsonNode problem = health.path("plugins").path("problems").get(0);
        assertThat(problem.path("id").asText()).isEqualTo("moody");
        assertThat(problem.path("state").asText()).isEqualTo("FAILED");
        assertThat(problem.toString()).doesNotContain("configured to fail").doesNotContain(switchFile.toString());
        byte[] file = Files.readAllBytes(installed);
        Instant modified = Files.getLastModifiedTime(installed).toInstant();

        Files.writeString(switchFile, "fine"); // what the plugin depends on is fixed; its file is not touched
        assertThat(post("/api/v1/plugins/moody/disable").statusCode()).isEqualTo(200);
        assertThat(pluginInfo("moody").path("state").asText()).isEqualTo("DISABLED");
        assertThat(post("/api/v1/plugins/moody/enable").statusCode()).isEqualTo(204);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/moody/").body()).isEqualTo("up 1.0.0"));
        assertThat(pluginInfo("moody").path("state").asText()).isEqualTo("STARTED");
        assertThat(health().path("plugins").path("failed").asInt()).isZero();
        assertThat(Files.readAllBytes(installed)).isEqualTo(file);
        assertThat(Files.getLastModifiedTime(installed).toInstant()).isEqualTo(modified);
    }

    @Test
    void aPluginOutOfServiceComesBackAtOnceWithDisableAndEnable() throws IOException {
        installMisbehaving("restless");
        for (int i = 0; i < FAILURES_IN_A_ROW; i++) {
            assertThat(server.get("/mdm/restless/throw").statusCode()).isEqualTo(500);
        }
        assertThat(pluginInfo("restless").path("state").asText()).isEqualTo("OUT_OF_SERVICE");
        PluginGeneration broken = host().generation("restless").orElseThrow();

        assertThat(post("/api/v1/plugins/restless/disable").statusCode()).isEqualTo(200);
        assertThat(post("/api/v1/plugins/restless/enable").statusCode()).isEqualTo(204);

        // A fresh generation, with a closed breaker, from the same file.
        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("restless").path("state").asText()).isEqualTo("STARTED"));
        assertThat(host().generation("restless")).hasValueSatisfying(fresh -> assertThat(fresh).isNotSameAs(broken));
        assertThat(server.get("/mdm/restless/").body()).isEqualTo("fine");
    }

    @Test
    void anEventDeliveryThatThrowsOrOverflowsFailsThatDeliveryOnlyAndLaterEventsArrive() throws IOException {
        installListening("listening");

        publishPoke("throw");
        publishPoke("overflow");
        publishPoke("count");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/listening/").body()).isEqualTo("heard 1"));
        assertThat(pluginInfo("listening").path("state").asText()).isEqualTo("STARTED");
    }

    @Test
    void anAdminEndpointRequestThatThrowsFailsWithAProblemAndTheNextIsServed() throws IOException {
        installListening("operated");

        HttpResponse<String> failed = server.getAsAdmin("/api/v1/plugins/operated/ops/throw");

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(failed.body()).doesNotContain("IllegalStateException").doesNotContain("admin endpoint bug").doesNotContain("at acme.");
        HttpResponse<String> next = server.getAsAdmin("/api/v1/plugins/operated/ops/status");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ops ok");
        assertThat(pluginInfo("operated").path("state").asText()).isEqualTo("STARTED");
    }

    private void installListening(String id) throws IOException {
        TestPluginBuilder builder = plugin(id, "1.0.0");
        TestPlugins.listeningPlugin("acme." + id).forEach(builder::source);
        install(builder.buildZip(build, id + ".zip"), id + ".zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/" + id + "/").body()).isEqualTo("heard 0"));
    }

    private void publishPoke(String mode) {
        server.server().kernel().events().publish(Event.of("test.poke", "test", Map.of("mode", mode)));
    }

    private void installMisbehaving(String id) throws IOException {
        install(plugin(id, "1.0.0").source(TestPlugins.misbehavingEndpoint("acme." + id)).buildZip(build, id + ".zip"), id + ".zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/" + id + "/").body()).isEqualTo("fine"));
    }

    private PluginHost host() {
        return server.server().plugins();
    }

    private Path install(Path built, String fileName) throws IOException {
        return Files.copy(built, server.pluginsDir().resolve(fileName));
    }

    private HttpResponse<String> post(String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.noBody())
                .header("Content-Type", "application/json")
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).build());
    }

    private JsonNode health() {
        return PluginListing.health(server);
    }

    private JsonNode pluginInfo(String id) {
        return PluginListing.entry(server, id);
    }
}
