package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatSignals;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deliveries through the endpoint with the plugin's real storage code over the test kit's storage, the kernel's real
 * sealer, a settable clock, and a recording stand-in for the kernel's {@link ThreatSignals}: what is refused reaches
 * the kernel never, what is accepted reaches it once.
 */
class WebhookDeliveryEndpointTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-12-05T00:00:00Z"));
    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final SecretSealer sealer = TestSecrets.sealer();
    private final WebhookSources sources = new WebhookSources(storage, sealer, clock);
    private final DeliveryLedger ledger = new DeliveryLedger(storage, clock);
    private final List<List<ThreatAssessment>> reported = new ArrayList<>();
    private final ThreatSignals signals = (connectorId, assessments) -> {
        assertThat(connectorId).isEqualTo("webhook");
        reported.add(assessments);
        return new ThreatSignals.ThreatReport(assessments.size(), 0, assessments.size());
    };
    private final WebhookDeliveryEndpoint endpoint = new WebhookDeliveryEndpoint(sources, ledger, signals, clock);
    private final WebhookSecret secret = WebhookSecret.parse(sources.create("acme", "ACME MTD", Optional.empty(), Optional.empty())
            .orElseThrow().shownOnce().orElseThrow());

    private static final String HIGH = "{\"type\": \"device.assessed\", \"device\": {\"id\": \"d1\"}, \"level\": \"HIGH\"}";

    @Test
    void aGoodDeliveryIsReportedOnceAndAnswered200() {
        DeviceResponse response = deliver("msg_1", clock.instant(), HIGH, secret);

        assertThat(response.status()).isEqualTo(200);
        assertThat(body(response).path("status").asText()).isEqualTo("accepted");
        assertThat(reported).singleElement().satisfies(assessments -> {
            assertThat(assessments).singleElement().satisfies(assessment -> {
                assertThat(assessment.device().vendorDeviceId()).isEqualTo("acme:d1");
                assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
            });
        });
        assertThat(ledger.recent("acme")).singleElement().satisfies(delivery -> assertThat(delivery.outcome()).isEqualTo("accepted"));
    }

    @Test
    void unsignedMisSignedAndStaleDeliveriesAreRefusedAndReachNothing() {
        DeviceResponse unsigned = endpoint.handle(request(Map.of(), HIGH));
        WebhookSecret wrong = WebhookSecret.parse("whsec_" + "A".repeat(43) + "=");
        DeviceResponse misSigned = deliver("msg_2", clock.instant(), HIGH, wrong);
        DeviceResponse stale = deliver("msg_3", clock.instant().minus(Duration.ofMinutes(6)), HIGH, secret);
        DeviceResponse future = deliver("msg_4", clock.instant().plus(Duration.ofMinutes(6)), HIGH, secret);

        assertThat(unsigned.status()).isEqualTo(401);
        assertThat(misSigned.status()).isEqualTo(401);
        assertThat(stale.status()).isEqualTo(400);
        assertThat(future.status()).isEqualTo(400);
        for (DeviceResponse refused : List.of(unsigned, misSigned, stale, future)) {
            assertThat(refused.headers()).containsEntry("Content-Type", "application/problem+json");
        }
        assertThat(reported).isEmpty();
        assertThat(ledger.recent("acme")).isEmpty();
        assertThat(storage.keys("seen/")).isEmpty();
        assertThat(ledger.refusedOnThisNode()).hasSize(4);
    }

    @Test
    void aReplayOfAnAcceptedDeliveryIsAnswered2xxWithoutBeingReportedAgainEvenAfterARestart() {
        String body = HIGH;
        Instant sent = clock.instant();
        assertThat(deliver("msg_replayed", sent, body, secret).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(2));

        DeviceResponse replay = deliver("msg_replayed", sent, body, secret);
        WebhookDeliveryEndpoint afterRestart = new WebhookDeliveryEndpoint(new WebhookSources(storage, sealer, clock),
                new DeliveryLedger(storage, clock), signals, clock);
        DeviceResponse retryElsewhere = afterRestart.handle(signedRequest("msg_replayed", clock.instant(), body, secret));

        assertThat(replay.status()).isEqualTo(200);
        assertThat(body(replay).path("status").asText()).isEqualTo("duplicate");
        assertThat(retryElsewhere.status()).isEqualTo(200);
        assertThat(body(retryElsewhere).path("status").asText()).isEqualTo("duplicate");
        assertThat(reported).hasSize(1);
    }

    @Test
    void idsAreForgottenAfterTheRetentionAndTheirBucketsPruned() {
        assertThat(deliver("msg_old", clock.instant(), HIGH, secret).status()).isEqualTo(200);
        clock.advance(DeliveryLedger.RETENTION.plusHours(2));

        assertThat(deliver("msg_new", clock.instant(), HIGH, secret).status()).isEqualTo(200);

        assertThat(storage.keys("seen/acme/")).singleElement().satisfies(key -> assertThat(key).endsWith("/msg_new"));
    }

    @Test
    void badJsonAPayloadWithoutDeviceIdAndAnUnknownLevelAreClear4xxAndReportNothing() {
        DeviceResponse notJson = deliver("msg_5", clock.instant(), "{not json", secret);
        DeviceResponse noDevice = deliver("msg_6", clock.instant(), "{\"level\": \"HIGH\"}", secret);
        DeviceResponse unknownLevel = deliver("msg_7", clock.instant(), "{\"device\": {\"id\": \"d1\"}, \"level\": \"SEVERE\"}", secret);

        assertThat(notJson.status()).isEqualTo(400);
        assertThat(noDevice.status()).isEqualTo(422);
        assertThat(body(noDevice).path("detail").asText()).contains("/device/id");
        assertThat(unknownLevel.status()).isEqualTo(422);
        assertThat(body(unknownLevel).path("detail").asText()).contains("SEVERE");
        assertThat(reported).isEmpty();
        assertThat(deliver("msg_8", clock.instant(), HIGH, secret).status()).as("one bad delivery harms nothing else").isEqualTo(200);
    }

    @Test
    void aHeartbeatReportsAnEmptyListWhichKeepsTheConnectorFresh() {
        DeviceResponse response = deliver("msg_hb", clock.instant(), "{\"type\": \"heartbeat\"}", secret);

        assertThat(response.status()).isEqualTo(200);
        assertThat(body(response).path("status").asText()).isEqualTo("heartbeat");
        assertThat(reported).containsExactly(List.of());
    }

    @Test
    void aDeliveryTheKernelCouldNotRecordIsNotTakenSoTheRetryIsProcessed() {
        List<Integer> calls = new ArrayList<>();
        ThreatSignals failingOnce = (connectorId, assessments) -> {
            calls.add(1);
            if (calls.size() == 1) {
                throw new IllegalStateException("database unavailable");
            }
            return new ThreatSignals.ThreatReport(1, 0, 1);
        };
        WebhookDeliveryEndpoint flaky = new WebhookDeliveryEndpoint(sources, ledger, failingOnce, clock);

        try {
            flaky.handle(signedRequest("msg_retry", clock.instant(), HIGH, secret));
        } catch (IllegalStateException expected) {
            // The kernel answers the sender 500, so it retries.
        }
        DeviceResponse retry = flaky.handle(signedRequest("msg_retry", clock.instant(), HIGH, secret));

        assertThat(retry.status()).isEqualTo(200);
        assertThat(body(retry).path("status").asText()).isEqualTo("accepted");
        assertThat(calls).hasSize(2);
    }

    @Test
    void rotationKeepsThePreviousSecretValidForTheGracePeriodOnly() {
        WebhookSecret next = WebhookSecret.parse(sources.rotate("acme", Optional.empty(), Duration.ofHours(1)).orElseThrow().shownOnce().orElseThrow());

        assertThat(deliver("msg_old_secret", clock.instant(), HIGH, secret).status()).isEqualTo(200);
        assertThat(deliver("msg_new_secret", clock.instant(), HIGH, next).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(61));
        assertThat(deliver("msg_old_secret_late", clock.instant(), HIGH, secret).status()).isEqualTo(401);
        assertThat(deliver("msg_new_secret_late", clock.instant(), HIGH, next).status()).isEqualTo(200);
    }

    @Test
    void secretsAreStoredSealedAndAnAdminsOwnSecretIsNeverShownBack() {
        String given = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        WebhookSources.WithSecret created = sources.create("wazuh", "Wazuh", Optional.empty(), Optional.of(given)).orElseThrow();

        assertThat(created.shownOnce()).isEmpty();
        String stored = new String(storage.get("source/wazuh").orElseThrow(), StandardCharsets.UTF_8);
        assertThat(stored).doesNotContain(given.substring("whsec_".length())).doesNotContain("0123456789abcdef");
        assertThat(sources.verificationSecrets(created.source())).containsExactly(WebhookSecret.parse(given));
        assertThat(sources.create("wazuh", "again", Optional.empty(), Optional.empty())).isEmpty();
    }

    @Test
    void unknownSourcesAndOtherMethodsAreRefused() {
        assertThat(endpoint.handle(new DeviceRequest("POST", "/sources/nobody", Map.of(), Map.of(), new byte[0], List.of(), "127.0.0.1")).status())
                .isEqualTo(404);
        assertThat(endpoint.handle(new DeviceRequest("GET", "/sources/acme", Map.of(), Map.of(), new byte[0], List.of(), "127.0.0.1")).status())
                .isEqualTo(405);
    }

    private DeviceResponse deliver(String id, Instant sent, String body, WebhookSecret signingSecret) {
        return endpoint.handle(signedRequest(id, sent, body, signingSecret));
    }

    private static DeviceRequest signedRequest(String id, Instant sent, String body, WebhookSecret signingSecret) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("webhook-id", List.of(id));
        headers.put("webhook-timestamp", List.of(Long.toString(sent.getEpochSecond())));
        headers.put("webhook-signature", List.of(StandardWebhooks.sign(signingSecret, id, sent.getEpochSecond(), bytes)));
        headers.put("content-type", List.of("application/json"));
        return new DeviceRequest("POST", "/sources/acme", Map.of(), headers, bytes, List.of(), "127.0.0.1");
    }

    private static DeviceRequest request(Map<String, List<String>> headers, String body) {
        return new DeviceRequest("POST", "/sources/acme", Map.of(), headers, body.getBytes(StandardCharsets.UTF_8), List.of(), "127.0.0.1");
    }

    private static JsonNode body(DeviceResponse response) {
        return WebhookJson.read(response.body()).orElseThrow();
    }
}
