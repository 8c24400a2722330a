package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API of sources over the plugin's real storage code and the kernel's real sealer: a generated secret is
 * answered once and never again, mappings are validated when set, a mapping can be tried on a sample payload, and
 * every mistake is a 4xx problem.
 */
class SourcesAdminEndpointTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-12-05T00:00:00Z"));
    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final SecretSealer sealer = TestSecrets.sealer();
    private final WebhookSources sources = new WebhookSources(storage, sealer, clock);
    private final DeliveryLedger ledger = new DeliveryLedger(storage, clock);
    private final SourcesAdminEndpoint endpoint = new SourcesAdminEndpoint(sources, ledger, () -> "https://shepherd.example/", clock);

    @Test
    void aGeneratedSecretIsAnsweredOnceAndNeverListed() {
        DeviceResponse created = call("POST", "/sources", "{\"name\": \"zimperium\", \"displayName\": \"Zimperium MTD\", \"mapping\": "
                + PayloadMappingTest.resource("zimperium-mapping.json") + "}");

        assertThat(created.status()).isEqualTo(201);
        JsonNode body = json(created);
        String secret = body.path("secret").asText();
        assertThat(secret).startsWith("whsec_");
        assertThat(body.path("deliveryUrl").asText()).isEqualTo("https://shepherd.example/mdm/threat-webhook/sources/zimperium");
        assertThat(body.path("mapping").path("level").asText()).isEqualTo("/severityName");
        String listed = new String(call("GET", "/sources", "").body(), StandardCharsets.UTF_8);
        String one = new String(call("GET", "/sources/zimperium", "").body(), StandardCharsets.UTF_8);
        assertThat(listed).contains("Zimperium MTD").doesNotContain(secret).doesNotContain(secret.substring(6));
        assertThat(one).doesNotContain(secret.substring(6));
        assertThat(created.headers()).containsEntry("Cache-Control", "no-store");
    }

    @Test
    void aSourceWithoutAMappingUsesShepherdsShapeAndItsMappingCanBeTried() {
        call("POST", "/sources", "{\"name\": \"acme\"}");

        DeviceResponse tried = call("POST", "/sources/acme/try-mapping", "{\"device\": {\"id\": \"d1\"}, \"level\": \"critical\"}");
        DeviceResponse misfit = call("POST", "/sources/acme/try-mapping", "{\"device\": {}, \"level\": \"HIGH\"}");

        assertThat(tried.status()).isEqualTo(200);
        assertThat(json(tried).path("assessment").path("level").asText()).isEqualTo("CRITICAL");
        assertThat(json(tried).path("assessment").path("device").path("vendorDeviceId").asText()).isEqualTo("acme:d1");
        assertThat(misfit.status()).isEqualTo(422);
        assertThat(json(misfit).path("detail").asText()).contains("/device/id");
        assertThat(ledger.recent("acme")).as("trying reports and records nothing").isEmpty();
    }

    @Test
    void rotationAnswersTheNewSecretAndListsThePreviousWithItsEnd() {
        call("POST", "/sources", "{\"name\": \"acme\"}");

        DeviceResponse rotated = call("POST", "/sources/acme/rotate-secret", "{\"graceHours\": 2}");

        assertThat(rotated.status()).isEqualTo(200);
        assertThat(json(rotated).path("secret").asText()).startsWith("whsec_");
        assertThat(json(rotated).path("secrets")).hasSize(2);
        assertThat(json(rotated).path("secrets").get(1).path("retiresAt").asText()).isEqualTo("2026-12-05T02:00:00Z");
        assertThat(call("POST", "/sources/acme/rotate-secret", "{\"graceHours\": 200}").status()).isEqualTo(400);
    }

    @Test
    void mistakesAreClearProblems() {
        call("POST", "/sources", "{\"name\": \"acme\"}");

        assertProblem(call("POST", "/sources", "{\"name\": \"acme\"}"), 409);
        assertProblem(call("POST", "/sources", "{\"name\": \"Not A Name\"}"), 400);
        assertProblem(call("POST", "/sources", "{\"name\": \"other\", \"secret\": \"whsec_short\"}"), 400);
        assertProblem(call("POST", "/sources", "{\"name\": \"other\", \"colour\": \"red\"}"), 400);
        assertProblem(call("POST", "/sources", "not json"), 400);
        assertProblem(call("PUT", "/sources/acme", "{\"mapping\": {\"device\": {}}}"), 400);
        assertProblem(call("GET", "/sources/nobody", ""), 404);
        assertProblem(call("PATCH", "/sources", ""), 405);
    }

    @Test
    void removingASourceForgetsItsDeliveries() {
        call("POST", "/sources", "{\"name\": \"acme\"}");
        ledger.record("acme", new DeliveryLedger.Delivery(clock.instant(), "msg_1", "accepted", "acme:d1 HIGH"));

        assertThat(call("DELETE", "/sources/acme", "").status()).isEqualTo(204);

        assertThat(call("GET", "/sources/acme", "").status()).isEqualTo(404);
        assertThat(storage.keys("")).isEmpty();
    }

    private DeviceResponse call(String method, String path, String body) {
        return endpoint.handle(new AdminRequest(method, path, Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8), "admin", "ADMIN"));
    }

    private static void assertProblem(DeviceResponse response, int status) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.headers()).containsEntry("Content-Type", "application/problem+json");
        assertThat(json(response).path("detail").asText()).isNotBlank();
    }

    private static JsonNode json(DeviceResponse response) {
        return WebhookJson.read(response.body()).orElseThrow();
    }
}
