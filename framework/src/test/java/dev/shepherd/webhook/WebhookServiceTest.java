package dev.shepherd.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Webhooks delivered over real HTTP on loopback to a receiver that checks the signature. */
class WebhookServiceTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T08:00:00Z"));
    private TestKernel test;
    private WebhookService webhooks;
    private HttpServer receiver;
    private final List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresToGo = new AtomicInteger();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws IOException {
        test = TestKernel.open(home, clock);
        webhooks = test.kernel().webhooks();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(Map.of("body", body, "signature", exchange.getRequestHeaders().getFirst("Shepherd-Signature"),
                    "event", exchange.getRequestHeaders().getFirst("Shepherd-Event")));
            int status = failuresToGo.getAndDecrement() > 0 ? 503 : 204;
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
        test.close();
    }

    @Test
    void matchingEventsAreDeliveredSignedWithTheWebhooksSecret() throws IOException {
        WebhookService.Created hook = webhooks.create(ADMIN, "SIEM", url(), List.of("device.*"));

        test.enrollId(Platform.IOS, "HOOKED");
        assertThat(webhooks.deliverDue()).isEqualTo(1);

        assertThat(received).singleElement().satisfies(request -> {
            assertThat(request.get("event")).isEqualTo("device.enrolled");
            String[] parts = request.get("signature").split(",");
            long timestamp = Long.parseLong(parts[0].substring(2));
            assertThat(parts[1]).isEqualTo("v1=" + WebhookService.sign(hook.secret(), timestamp, request.get("body")));
            assertThat(parts[1]).isNotEqualTo("v1=" + WebhookService.sign("whsec_wrong", timestamp, request.get("body")));
        });
        JsonNode body = json.readTree(received.get(0).get("body"));
        assertThat(body.path("type").asText()).isEqualTo("device.enrolled");
        assertThat(body.path("data").path("platform").asText()).isEqualTo("ios");
        assertThat(webhooks.deliveries(hook.webhook().id(), 10)).singleElement()
                .satisfies(delivery -> assertThat(delivery.state()).isEqualTo("DELIVERED"));
    }

    @Test
    void aFailingEndpointIsRetriedWithBackoffAndEveryAttemptIsRecorded() {
        WebhookService.Created hook = webhooks.create(ADMIN, "Flaky", url(), List.of("*"));
        failuresToGo.set(2);
        test.enrollId(Platform.ANDROID, "RETRY");

        webhooks.deliverDue();
        WebhookDelivery afterFirst = webhooks.deliveries(hook.webhook().id(), 10).get(0);
        assertThat(afterFirst.state()).isEqualTo("PENDING");
        assertThat(afterFirst.lastStatus()).hasValue(503);
        assertThat(afterFirst.nextAttemptAt()).isEqualTo(clock.instant().plusSeconds(30));
        assertThat(webhooks.deliverDue()).isZero(); // not due yet

        clock.advance(Duration.ofSeconds(31));
        webhooks.deliverDue();
        clock.advance(Duration.ofSeconds(61));
        webhooks.deliverDue();

        WebhookDelivery delivered = webhooks.deliveries(hook.webhook().id(), 10).get(0);
        assertThat(delivered.state()).isEqualTo("DELIVERED");
        assertThat(delivered.attempts()).isEqualTo(3);
        assertThat(received).hasSize(3);

        WebhookDeliveryDetail detail = webhooks.delivery(delivered.id()).orElseThrow();
        assertThat(detail.attempts()).extracting(WebhookAttempt::attempt).containsExactly(1, 2, 3);
        assertThat(detail.attempts()).extracting(attempt -> attempt.status().orElse(0)).containsExactly(503, 503, 204);
        assertThat(detail.attempts().get(0).error()).contains("the endpoint answered 503");
        assertThat(detail.attempts().get(2).error()).isEmpty();
        assertThat(detail.payload()).as("the body every attempt sent").isEqualTo(received.get(2).get("body"));
        assertThat(webhooks.delivery("00000000-0000-0000-0000-000000000000")).isEmpty();
    }

    @Test
    void anEditChangesTheEndpointAndTypesButKeepsTheSecretAndIsAudited() {
        WebhookService.Created hook = webhooks.create(ADMIN, "Before", "http://127.0.0.1:1/old", List.of("command.*"));

        Webhook edited = webhooks.update(ADMIN, hook.webhook().id(), "After", url(), List.of("device.*")).orElseThrow();
        test.enrollId(Platform.IOS, "EDITED");
        webhooks.deliverDue();

        assertThat(edited.name()).isEqualTo("After");
        assertThat(edited.eventTypes()).containsExactly("device.*");
        assertThat(received).singleElement().satisfies(request -> {
            long timestamp = Long.parseLong(request.get("signature").split(",")[0].substring(2));
            assertThat(request.get("signature")).endsWith("v1=" + WebhookService.sign(hook.secret(), timestamp, request.get("body")));
        });
        assertThat(test.kernel().audit().read(AuditFilter.ALL, 0, 100))
                .anySatisfy(entry -> assertThat(entry.action()).isEqualTo("webhook.update"));
        assertThat(webhooks.update(ADMIN, "00000000-0000-0000-0000-000000000000", "X", url(), List.of("*"))).isEmpty();
        assertThatThrownBy(() -> webhooks.update(ADMIN, hook.webhook().id(), "X", "ftp://example.com/x", List.of("*")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnreachableEndpointGivesUpAfterTheLastAttemptAndCanBeRedelivered() {
        WebhookService.Created hook = webhooks.create(ADMIN, "Gone", "http://127.0.0.1:1/hook", List.of("device.enrolled"));
        test.enrollId(Platform.IOS, "UNREACHABLE");

        for (int attempt = 0; attempt < WebhookService.MAX_ATTEMPTS; attempt++) {
            webhooks.deliverDue();
            clock.advance(Duration.ofHours(7));
        }

        WebhookDelivery failed = webhooks.deliveries(hook.webhook().id(), 10).get(0);
        assertThat(failed.state()).isEqualTo("FAILED");
        assertThat(failed.lastError()).hasValueSatisfying(error -> assertThat(error).startsWith("cannot reach the endpoint"));
        assertThat(webhooks.redeliver(ADMIN, failed.id())).isTrue();
        assertThat(webhooks.deliveries(hook.webhook().id(), 10).get(0).state()).isEqualTo("PENDING");
    }

    @Test
    void eventsOutsideTheWebhooksTypesAndRolledBackChangesAreNotSent() {
        webhooks.create(ADMIN, "Commands only", url(), List.of("command.state_changed"));
        test.enrollId(Platform.IOS, "QUIET");

        assertThat(webhooks.deliverDue()).isZero();
        assertThat(received).isEmpty();
    }

    @Test
    void theSecretIsStoredEncryptedAndBadWebhooksAreRefused() throws Exception {
        WebhookService.Created hook = webhooks.create(ADMIN, "Secret", url(), List.of("*"));
        try (var connection = test.database().dataSource().getConnection();
             var select = connection.prepareStatement("SELECT secret_encrypted FROM webhook");
             var rows = select.executeQuery()) {
            rows.next();
            assertThat(rows.getString(1)).startsWith("v1:").doesNotContain(hook.secret());
        }
        assertThat(Files.exists(home.resolve("data/keys/secrets.key"))).isTrue();
        assertThat(hook.toString()).doesNotContain(hook.secret());
        assertThatThrownBy(() -> webhooks.create(ADMIN, "Bad", "ftp://example.com/x", List.of("*")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> webhooks.create(ADMIN, "Bad", url(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backoffDoublesAndIsCapped() {
        assertThat(WebhookService.backoff(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(WebhookService.backoff(2)).isEqualTo(Duration.ofMinutes(1));
        assertThat(WebhookService.backoff(5)).isEqualTo(Duration.ofMinutes(8));
        assertThat(WebhookService.backoff(30)).isEqualTo(Duration.ofHours(6));
    }

    private String url() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    }
}
