package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 19's must-show 3 through a running server with the plugin loaded from its real file, over real HTTP: an admin
 * adds a source and gets its secret once; unsigned, mis-signed and stale deliveries are refused with a problem the
 * sender can read and leave no trace in the plugin's storage; a good delivery is accepted, and its replay is answered
 * 2xx without being reported again. And with the kernel's threat state: an iPhone enrolled through the iOS plugin (from
 * its file, driven by the Apple device simulator) goes HIGH over REST at once when a signed delivery names its serial
 * number, a later NONE clears it, and a replay of the HIGH delivery changes nothing.
 */
class ThreatWebhookIT {

    static final String SOURCES = "/api/v1/plugins/threat-webhook/sources";
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PUSH_TOPIC = "com.apple.mgmt.External.7a1c0f3e-2b4d-4e6f-8a9b-1c2d3e4f5a6b";

    @TempDir
    static Path home;
    static TestServer server;
    static WebhookSecret secret;

    @BeforeAll
    static void start() throws IOException {
        // The iOS plugin builds enrollment profiles only with its push topic set and an HTTPS address to name.
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    apple-ios:\n      topic: " + PUSH_TOPIC + "\n");
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"));
        Files.copy(Path.of(System.getProperty("shepherd.iosPluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-webhook.zip"));
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(50)).until(() -> server.getAsAdmin(SOURCES).statusCode() == 200
                && server.get("/mdm/apple-ios/checkin").statusCode() == 405);
        HttpResponse<String> created = server.sendAsAdmin("POST", SOURCES, "{\"name\": \"acme\", \"displayName\": \"ACME MTD\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode source = JSON.readTree(created.body());
        assertThat(source.path("deliveryUrl").asText()).endsWith("/mdm/threat-webhook/sources/acme");
        secret = WebhookSecret.parse(source.path("secret").asText());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void unsignedMisSignedStaleAndReplayedDeliveriesAreRefusedAndAGoodOneIsAccepted() throws Exception {
        String body = "{\"type\": \"device.assessed\", \"device\": {\"id\": \"must-show-3\"}, \"level\": \"HIGH\"}";
        assertThat(server.getAsAdmin(SOURCES).body()).as("a secret is never listed").doesNotContain(secret.serialized());

        HttpResponse<String> created = server.sendAsAdmin("POST", SOURCES, "{\"name\": \"must-show\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        WebhookSecret mustShow = WebhookSecret.parse(JSON.readTree(created.body()).path("secret").asText());
        HttpResponse<String> unsigned = server.send(HttpRequest.newBuilder(server.uri("/mdm/threat-webhook/sources/must-show"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        HttpResponse<String> misSigned = deliver("must-show", "msg_mis", Instant.now(), body, WebhookSecret.parse("whsec_" + "B".repeat(43) + "="));
        HttpResponse<String> stale = deliver("must-show", "msg_stale", Instant.now().minus(Duration.ofMinutes(6)), body, mustShow);

        for (HttpResponse<String> refused : List.of(unsigned, misSigned, stale)) {
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(JSON.readTree(refused.body()).path("detail").asText()).isNotBlank();
        }
        assertThat(unsigned.statusCode()).isEqualTo(401);
        assertThat(misSigned.statusCode()).isEqualTo(401);
        assertThat(stale.statusCode()).isEqualTo(400);
        assertThat(source("must-show").path("recentDeliveries")).as("nothing of a refused delivery is recorded").isEmpty();
        assertThat(JSON.readTree(server.getAsAdmin(SOURCES).body()).path("refusedOnThisNode"))
                .filteredOn(refused -> refused.path("source").asText().equals("must-show")).hasSize(3);

        Instant sent = Instant.now();
        HttpResponse<String> good = deliver("must-show", "msg_good", sent, body, mustShow);
        HttpResponse<String> replayed = deliver("must-show", "msg_good", sent, body, mustShow);

        assertThat(good.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(good.body()).path("status").asText()).isEqualTo("accepted");
        assertThat(replayed.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(replayed.body()).path("status").asText()).isEqualTo("duplicate");
        List<String> outcomes = new ArrayList<>();
        source("must-show").path("recentDeliveries").forEach(delivery -> outcomes.add(delivery.path("outcome").asText()));
        assertThat(outcomes).containsExactly("duplicate", "accepted");
    }

    @Test
    void aSignedDeliveryMakesAnEnrolledIphoneHighAtOnceAndALaterNoneClearsIt() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008030-001A2D3E3C41802E");
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        String deviceId = server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
        String high = """
                {"type": "device.assessed", "device": {"id": "mtd-7", "serialNumber": "%s"}, "level": "HIGH", "verdict": "Malicious app",
                 "threats": [{"id": "t-1", "type": "MALWARE", "name": "FakeBank", "severity": "HIGH"}]}
                """.formatted(iphone.serialNumber());
        Instant highSent = Instant.now();

        HttpResponse<String> accepted = deliver("msg_high", highSent, high, secret);

        assertThat(accepted.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(accepted.body()).path("matched").asInt()).isEqualTo(1);
        JsonNode threats = threats(deviceId);
        assertThat(threats.path("level").asText()).isEqualTo("HIGH");
        assertThat(threats.path("verdicts")).singleElement().satisfies(verdict -> {
            assertThat(verdict.path("connectorId").asText()).isEqualTo("webhook");
            assertThat(verdict.path("vendorDeviceId").asText()).isEqualTo("acme:mtd-7");
            assertThat(verdict.path("vendorVerdict").asText()).isEqualTo("Malicious app");
        });

        HttpResponse<String> cleared = deliver("msg_none", Instant.now(), """
                {"type": "device.assessed", "device": {"id": "mtd-7"}, "level": "NONE", "threats": []}
                """, secret);
        assertThat(cleared.statusCode()).isEqualTo(200);
        assertThat(threats(deviceId).path("level").asText()).isEqualTo("NONE");

        HttpResponse<String> replayed = deliver("msg_high", highSent, high, secret);
        assertThat(JSON.readTree(replayed.body()).path("status").asText()).isEqualTo("duplicate");
        assertThat(threats(deviceId).path("level").asText()).as("a replayed HIGH changes nothing").isEqualTo("NONE");

        Instant heartbeatSent = Instant.now();
        HttpResponse<String> heartbeat = deliver("msg_heartbeat", heartbeatSent, "{\"type\": \"heartbeat\"}", secret);
        assertThat(JSON.readTree(heartbeat.body()).path("status").asText()).isEqualTo("heartbeat");
        JsonNode connector = null;
        for (JsonNode item : JSON.readTree(server.getAsAdmin("/api/v1/threats/connectors").body())) {
            connector = item.path("id").asText().equals("webhook") ? item : connector;
        }
        assertThat(connector).as("the kernel lists the plugin's connector").isNotNull();
        assertThat(connector.path("pluginId").asText()).isEqualTo("threat-webhook");
        assertThat(connector.path("pollIntervalSeconds").isNull() || connector.path("pollIntervalSeconds").isMissingNode()).as("push only").isTrue();
        assertThat(Instant.parse(connector.path("lastHeardAt").asText())).as("a heartbeat is hearing from the vendor")
                .isAfterOrEqualTo(heartbeatSent.minusSeconds(1));
        assertThat(connector.path("stale").asBoolean()).isFalse();
    }

    @Test
    void theConsolePageModuleIsServedFromThePluginFile() {
        HttpResponse<String> module = server.getAsAdmin("/ui/plugins/threat-webhook/0.1.0/webhook-sources.js");

        assertThat(module.statusCode()).isEqualTo(200);
        assertThat(module.body()).contains("export async function render");
    }

    static JsonNode threats(String deviceId) throws IOException {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/devices/" + deviceId + "/threats");
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    static JsonNode source(String name) throws IOException {
        return JSON.readTree(server.getAsAdmin(SOURCES + "/" + name).body());
    }

    /** Delivers as a Standard Webhooks sender does: the three headers, the signature over id, timestamp and body. */
    static HttpResponse<String> deliver(String id, Instant sent, String body, WebhookSecret signingSecret) {
        return deliver("acme", id, sent, body, signingSecret);
    }

    static HttpResponse<String> deliver(String source, String id, Instant sent, String body, WebhookSecret signingSecret) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return server.send(HttpRequest.newBuilder(server.uri("/mdm/threat-webhook/sources/" + source))
                .header("Content-Type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(sent.getEpochSecond()))
                .header("webhook-signature", StandardWebhooks.sign(signingSecret, id, sent.getEpochSecond(), bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }
}
