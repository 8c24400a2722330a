package dev.shepherd.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.metrics.PrometheusText.sample;
import static dev.shepherd.metrics.PrometheusText.samples;
import static dev.shepherd.metrics.PrometheusText.total;
import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /metrics} through the running server: after real traffic (admin API calls, a command queued and pushed, a
 * fan-out, device messages to a real plugin, one of which fails) the scrape holds the series an operator watches,
 * each tagged with the node, HTTP by route template rather than raw path. The scrape is an admin route: refused
 * without a credential or without {@code metrics_read}, both as problem+json; the optional metrics listener serves
 * it without a credential and serves nothing else.
 */
class MetricsEndpointTest {

    private static final String PASSWORD = "metrics-test-password";
    private static final String NODE = "node-a";
    private static final Duration WITHIN = Duration.ofSeconds(20);

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private static String deviceId;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(plugin("metricsos", "1.0.0").source(METRICSOS_PLUGIN).buildZip(build, "metricsos.zip"),
                home.resolve("plugins/metricsos.zip"));
        Files.copy(plugin("sleepy", "1.0.0").source(SLEEPY_PLUGIN).buildZip(build, "sleepy.zip"), home.resolve("plugins/sleepy.zip"));
        server = TestServer.start(home, Map.of("SHEPHERD_NODE_NAME", NODE, "SHEPHERD_METRICS_PORT", "0",
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "5s"));
        server.server().adminUsers().create("desk", PASSWORD.toCharArray(), AdminRole.HELPDESK);
        server.server().adminUsers().create("ops", PASSWORD.toCharArray(), AdminRole.OPERATOR);
        server.server().adminUsers().create("auditor", PASSWORD.toCharArray(), AdminRole.AUDITOR);
        // Enrolled, so its commands are pushed (a device that never enrolled is not: its commands wait for it).
        deviceId = server.server().kernel().devices().enroll(Actor.plugin("metricsos"), new EnrollmentClaim(Optional.empty(),
                new Platform("metricsos"), EnrollmentMethod.MANUAL, Map.of("udid", "M-1"), "M1", "Metric", "1.0", "Metrics test"))
                .device().id().toString();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aScrapeAfterTrafficHoldsTheSeriesOperatorsWatchAllTaggedWithTheNode() {
        assertThat(server.getAsAdmin("/api/v1/devices").statusCode()).isEqualTo(200);
        assertThat(server.getAsAdmin("/api/v1/devices/" + deviceId).statusCode()).isEqualTo(200);
        assertThat(postAsAdmin("/api/v1/devices/" + deviceId + "/commands", "{\"type\":\"LOCK\"}").statusCode()).isEqualTo(201);
        assertThat(postAsAdmin("/api/v1/command-batches",
                "{\"type\":\"RESTART\",\"target\":{\"deviceIds\":[\"" + deviceId + "\"]}}").statusCode()).isEqualTo(201);
        assertThat(server.get("/mdm/metricsos/checkin").statusCode()).isEqualTo(200);
        assertThat(server.get("/mdm/metricsos/throw").statusCode()).isEqualTo(500);
        assertThat(server.get("/nothing/here/" + deviceId).statusCode()).isEqualTo(404);

        // The wake-up push and the fan-out's rows are written in the background; the store's gauges refresh every few seconds.
        await().atMost(WITHIN).untilAsserted(() -> {
            String scrape = scrapeAsAdmin();
            assertThat(sample(scrape, "shepherd_pushes_total", Map.of("platform", "metricsos", "outcome", "sent"))).isGreaterThanOrEqualTo(1);
            assertThat(sample(scrape, "shepherd_command_fanout_rows_count", Map.of())).isGreaterThanOrEqualTo(1);
            assertThat(sample(scrape, "shepherd_commands", Map.of("state", "queued"))).isGreaterThanOrEqualTo(2);
            assertThat(sample(scrape, "shepherd_command_queue_depth", Map.of())).isGreaterThanOrEqualTo(2);
        });
        String scrape = scrapeAsAdmin();

        assertThat(samples(scrape)).as("every series names its node").allSatisfy(line -> assertThat(line).contains("node=\"" + NODE + "\""));
        assertThat(sample(scrape, "shepherd_http_server_requests_seconds_count",
                Map.of("route", "/api/v1/devices/{id}/commands", "method", "POST", "status", "201"))).isEqualTo(1);
        assertThat(sample(scrape, "shepherd_http_server_requests_seconds_count",
                Map.of("route", "/api/v1/devices/{id}", "method", "GET", "status", "200"))).isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "shepherd_http_server_requests_seconds_bucket",
                Map.of("route", "/api/v1/devices/{id}", "method", "GET", "status", "200", "le", "+Inf"))).isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "shepherd_http_server_requests_seconds_count",
                Map.of("route", "/mdm/metricsos", "method", "GET", "status", "500"))).isEqualTo(1);
        assertThat(sample(scrape, "shepherd_http_server_requests_seconds_count",
                Map.of("route", "unmatched", "method", "GET", "status", "404"))).isGreaterThanOrEqualTo(1);
        assertThat(scrape).as("routes are templates, never raw paths").doesNotContain(deviceId).doesNotContain("/checkin");

        assertThat(sample(scrape, "shepherd_device_messages_seconds_count", Map.of("platform", "metricsos", "outcome", "answered")))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "shepherd_device_messages_seconds_count", Map.of("platform", "metricsos", "outcome", "failed")))
                .isEqualTo(1);
        assertThat(sample(scrape, "shepherd_plugin_calls_seconds_count", Map.of("plugin", "metricsos", "outcome", "ok")))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(scrape, "shepherd_plugin_calls_seconds_count", Map.of("plugin", "metricsos", "outcome", "failed")))
                .isEqualTo(1);
        assertThat(sample(scrape, "shepherd_plugin_calls_seconds_bucket", Map.of("plugin", "metricsos", "outcome", "ok", "le", "+Inf")))
                .isGreaterThanOrEqualTo(1);

        assertThat(sample(scrape, "shepherd_commands", Map.of("state", "acknowledged"))).isZero();
        assertThat(sample(scrape, "shepherd_command_queue_oldest_age_seconds", Map.of())).isGreaterThanOrEqualTo(0);
        assertThat(sample(scrape, "shepherd_db_commits_total", Map.of())).isGreaterThan(0);
        assertThat(sample(scrape, "shepherd_db_transactions_seconds_count", Map.of())).isGreaterThan(0);

        assertThat(sample(scrape, "hikaricp_connections_max", Map.of("pool", "shepherd"))).isEqualTo(10);
        assertThat(sample(scrape, "hikaricp_connections_active", Map.of("pool", "shepherd"))).isGreaterThanOrEqualTo(0);
        // one heap pool may be empty at the moment of the scrape (the young generation just after a collection)
        assertThat(total(scrape, "jvm_memory_used_bytes", Map.of("area", "heap"))).isGreaterThan(0);
        assertThat(sample(scrape, "jvm_threads_live_threads", Map.of())).isGreaterThan(0);
        assertThat(sample(scrape, "process_cpu_usage", Map.of())).isGreaterThanOrEqualTo(0);
        assertThat(scrape).contains("jvm_gc_", "process_uptime_seconds", "system_cpu_count");
    }

    @Test
    void aPluginCallThatTimesOutIsCountedAsATimeoutAndTheBreakersRefusalsAsOutOfService() {
        assertThat(server.get("/mdm/sleepy/").statusCode()).as("the call timed out").isEqualTo(500);
        assertThat(server.get("/mdm/sleepy/").statusCode()).as("a hung call opens the breaker at once").isEqualTo(503);

        String scrape = scrapeAsAdmin();

        assertThat(sample(scrape, "shepherd_plugin_calls_seconds_count", Map.of("plugin", "sleepy", "outcome", "timeout"))).isEqualTo(1);
        assertThat(sample(scrape, "shepherd_plugin_calls_seconds_count", Map.of("plugin", "sleepy", "outcome", "out_of_service")))
                .isEqualTo(1);
        assertThat(sample(scrape, "shepherd_device_messages_seconds_count", Map.of("platform", "sleepy", "outcome", "failed"))).isEqualTo(1);
        assertThat(sample(scrape, "shepherd_device_messages_seconds_count", Map.of("platform", "sleepy", "outcome", "unavailable")))
                .isEqualTo(1);
    }

    @Test
    void theScrapeIsRefusedWithoutACredentialOrWithoutTheMetricsPermission() throws Exception {
        HttpResponse<String> anonymous = server.get("/metrics");
        HttpResponse<String> helpDesk = server.send(HttpRequest.newBuilder(server.uri("/metrics"))
                .header("Authorization", TestServer.basic("desk", PASSWORD)).GET().build());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(anonymous.body()).doesNotContain("shepherd_");
        assertThat(helpDesk.statusCode()).isEqualTo(403);
        assertThat(helpDesk.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(helpDesk.body()).path("detail").asText()).contains("metrics_read");
    }

    @Test
    void operatorsAndAuditorsMayScrapeAndTheRouteIsDocumentedWithItsPermission() throws Exception {
        for (String username : List.of("ops", "auditor")) {
            HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri("/metrics"))
                    .header("Authorization", TestServer.basic(username, PASSWORD)).GET().build());
            assertThat(response.statusCode()).as(username).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(response.body()).contains("shepherd_http_server_requests_seconds");
        }
        JsonNode operation = json.readTree(server.get("/api/openapi.json").body()).path("paths").path("/metrics").path("get");
        assertThat(operation.path("x-permission").asText()).isEqualTo("metrics_read");
    }

    @Test
    void theMetricsListenerServesTheScrapeAndTheProbesWithoutACredentialAndNothingElse() {
        int port = server.server().metricsPort();
        assertThat(port).isPositive().isNotEqualTo(server.server().httpPort());

        HttpResponse<String> scrape = server.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build());
        HttpResponse<String> ready = server.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).GET().build());
        HttpResponse<String> api = server.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/devices"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).GET().build());

        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(sample(scrape.body(), "jvm_threads_live_threads", Map.of("node", NODE))).isGreaterThan(0);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(api.statusCode()).as("no admin API on the metrics listener").isEqualTo(404);
        assertThat(api.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void theMetricsListenerIsOffUnlessConfigured() throws Exception {
        Path otherHome = Files.createDirectories(build.resolve("plain"));
        try (TestServer plain = TestServer.start(otherHome)) {
            assertThat(plain.server().metricsPort()).isEqualTo(-1);
            assertThat(plain.server().config().metrics().host()).isEqualTo("127.0.0.1");
            assertThat(plain.server().config().node().name()).as("the host name by default").isNotBlank();
        }
    }

    private String scrapeAsAdmin() {
        HttpResponse<String> response = server.getAsAdmin("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> postAsAdmin(String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** An endpoint that never answers within the call timeout. */
    private static final String SLEEPY_PLUGIN = """
            package acme.sleepy;

            import dev.shepherd.api.http.DeviceEndpoint;
            import dev.shepherd.api.http.DeviceRequest;
            import dev.shepherd.api.http.DeviceResponse;
            import org.pf4j.Extension;

            @Extension
            public class Sleepy implements DeviceEndpoint {
                @Override
                public DeviceResponse handle(DeviceRequest request) throws Exception {
                    Thread.sleep(60_000);
                    return DeviceResponse.text(200, "too late");
                }
            }
            """;

    /** A platform plugin: its devices are woken by a push it accepts, its endpoint answers, or fails on {@code /throw}. */
    private static final String METRICSOS_PLUGIN = """
            package acme.metricsos;

            import dev.shepherd.api.device.Device;
            import dev.shepherd.api.device.Platform;
            import dev.shepherd.api.http.DeviceEndpoint;
            import dev.shepherd.api.http.DeviceRequest;
            import dev.shepherd.api.http.DeviceResponse;
            import dev.shepherd.api.platform.PlatformSupport;
            import org.pf4j.Extension;

            @Extension
            public class MetricsOs implements PlatformSupport, DeviceEndpoint {
                @Override
                public Platform platform() {
                    return new Platform("metricsos");
                }

                @Override
                public boolean wake(Device device) {
                    return true;
                }

                @Override
                public DeviceResponse handle(DeviceRequest request) {
                    if (request.path().equals("/throw")) {
                        throw new IllegalStateException("a bug in the plugin");
                    }
                    return DeviceResponse.text(200, "ok");
                }
            }
            """;
}
