package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 19's must-show 3 through a running server with the plugin loaded from its real file, over real HTTP: an admin
 * adds a source and gets its secret once; unsigned, mis-signed and stale deliveries are refused with a problem the
 * sender can read and leave no trace in the plugin's storage; a good delivery is accepted, and its replay is answered
 * 2xx without being reported again.
 */
class ThreatWebhookIT {

    static final String SOURCES = "/api/v1/plugins/threat-webhook/sources";
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    static TestServer server;
    static WebhookSecret secret;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-webhook.zip"));
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(50)).until(() -> server.getAsAdmin(SOURCES).statusCode() == 200);
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

        HttpResponse<String> unsigned = server.send(HttpRequest.newBuilder(server.uri("/mdm/threat-webhook/sources/acme"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        HttpResponse<String> misSigned = deliver("msg_mis", Instant.now(), body, WebhookSecret.parse("whsec_" + "B".repeat(43) + "="));
        HttpResponse<String> stale = deliver("msg_stale", Instant.now().minus(Duration.ofMinutes(6)), body, secret);

        for (HttpResponse<String> refused : List.of(unsigned, misSigned, stale)) {
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(JSON.readTree(refused.body()).path("detail").asText()).isNotBlank();
        }
        assertThat(unsigned.statusCode()).isEqualTo(401);
        assertThat(misSigned.statusCode()).isEqualTo(401);
        assertThat(stale.statusCode()).isEqualTo(400);
        assertThat(source("acme").path("recentDeliveries")).as("nothing of a refused delivery is recorded").isEmpty();
        assertThat(JSON.readTree(server.getAsAdmin(SOURCES).body()).path("refusedOnThisNode")).hasSize(3);

        Instant sent = Instant.now();
        HttpResponse<String> good = deliver("msg_good", sent, body, secret);
        HttpResponse<String> replayed = deliver("msg_good", sent, body, secret);

        assertThat(good.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(good.body()).path("status").asText()).isEqualTo("accepted");
        assertThat(replayed.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(replayed.body()).path("status").asText()).isEqualTo("duplicate");
        List<String> outcomes = new ArrayList<>();
        source("acme").path("recentDeliveries").forEach(delivery -> outcomes.add(delivery.path("outcome").asText()));
        assertThat(outcomes).containsExactly("duplicate", "accepted");
    }

    static JsonNode source(String name) throws IOException {
        return JSON.readTree(server.getAsAdmin(SOURCES + "/" + name).body());
    }

    /** Delivers as a Standard Webhooks sender does: the three headers, the signature over id, timestamp and body. */
    static HttpResponse<String> deliver(String id, Instant sent, String body, WebhookSecret signingSecret) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return server.send(HttpRequest.newBuilder(server.uri("/mdm/threat-webhook/sources/acme"))
                .header("Content-Type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(sent.getEpochSecond()))
                .header("webhook-signature", StandardWebhooks.sign(signingSecret, id, sent.getEpochSecond(), bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }
}
