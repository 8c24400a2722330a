package dev.shepherd.threat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Threat defense through the running server, with connector plugins loaded from their files: a polled vendor's verdict
 * drives compliance, remediation and conditional access and is released when the vendor clears it; pushes go through
 * {@code ThreatSignals}; an outage makes the verdicts stale, visibly, with the documented compliance effect; a hanging
 * and a throwing connector harm nobody else. One server for the class; each test has its own devices.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreatDefenseServerTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private TestServer server;
    private Path vendorDirectory;
    private final ObjectMapper json = new ObjectMapper();
    /** The Acme vendor's devices, as its console holds them: vendor id to "serial,level,assessedAt[,threat]". */
    private final Map<String, String> acmeDevices = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        server = TestServer.start(home, Map.of(
                "SHEPHERD_THREAT_POLL_INTERVAL", "200ms",
                "SHEPHERD_THREAT_STALE_AFTER", "4s",
                // A hanging poll is given up after this; the well-behaved plugins answer in milliseconds.
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "2s"));
        vendorDirectory = server.server().config().dataDir().resolve("plugin-data").resolve("acme-mtd");
        Files.copy(FakeThreatVendors.acme().buildZip(build, "acme-mtd.zip"), server.pluginsDir().resolve("acme-mtd.zip"));
        Files.copy(FakeThreatVendors.stuck().buildZip(build, "stuck-mtd.zip"), server.pluginsDir().resolve("stuck-mtd.zip"));
        Files.copy(FakeThreatVendors.broken().buildZip(build, "broken-mtd.zip"), server.pluginsDir().resolve("broken-mtd.zip"));
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(connectors().keySet())
                .containsExactlyInAnyOrder("acme", "acme-push", "stuck", "broken"));
        HttpResponse<String> rule = server.sendAsAdmin("POST", "/api/v1/compliance/rules", """
                {"name": "No high threats", "check": "MAX_THREAT_LEVEL", "parameters": {"level": "MEDIUM"}, "graceHours": 0,
                 "remediation": [{"afterHours": 0, "action": "NOTIFY"}, {"afterHours": 0, "action": "QUARANTINE"}]}""");
        assertThat(rule.statusCode()).as(rule.body()).isEqualTo(201);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPolledHighVerdictQuarantinesTheDeviceDeniesAccessAndTheVendorsClearingReleasesIt() throws Exception {
        DeviceId device = enroll("T1");
        Instant assessed = Instant.now();
        vendor("v-t1", "SER-T1," + "HIGH," + assessed.toEpochMilli() + ",Trojan.Generic");

        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(threats(device).path("level").asText()).isEqualTo("HIGH"));
        JsonNode verdict = threats(device).path("verdicts").get(0);
        assertThat(verdict.path("connectorId").asText()).isEqualTo("acme");
        assertThat(verdict.path("vendorVerdict").asText()).isEqualTo("risk=HIGH");
        assertThat(verdict.path("vendorDeviceId").asText()).isEqualTo("v-t1");
        assertThat(verdict.path("stale").asBoolean()).isFalse();
        assertThat(verdict.path("threats").get(0).path("name").asText()).isEqualTo("Trojan.Generic");
        assertThat(verdict.path("threats").get(0).path("link").asText()).isEqualTo("https://console.acme.example/threats/Trojan.Generic");

        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(status(device)).isEqualTo("QUARANTINED"));
        JsonNode access = json.readTree(server.getAsAdmin("/api/v1/access?deviceId=" + device).body());
        assertThat(access.path("allowed").asBoolean()).isFalse();
        assertThat(access.path("state").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(access.path("failing").get(0).path("detail").asText()).isEqualTo("threat level HIGH from Acme MTD is above MEDIUM");
        assertThat(server.getAsAdmin("/api/v1/events?type=threat.changed").body()).contains(device.toString());

        vendor("v-t1", "SER-T1,NONE," + assessed.plusSeconds(60).toEpochMilli());
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            assertThat(status(device)).isEqualTo("ENROLLED");
            assertThat(json.readTree(server.getAsAdmin("/api/v1/access?deviceId=" + device).body()).path("allowed").asBoolean()).isTrue();
        });
        assertThat(threats(device).path("level").asText()).isEqualTo("NONE");
        assertThat(Files.readAllLines(vendorDirectory.resolve(FakeThreatVendors.CURSOR_LOG)))
                .as("each poll resumes from the cursor the previous one returned").contains("-").anyMatch(line -> line.startsWith("page-"));
    }

    @Test
    void anOutageBacksOffAsTheVendorAsksMakesTheVerdictStaleVisiblyAndFailsTheThreatRule() throws Exception {
        DeviceId device = enroll("T2");
        vendor("v-t2", "SER-T2,NONE," + Instant.now().toEpochMilli());
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(compliance(device)).isEqualTo("COMPLIANT"));
        try {
            vendorOutage("Acme's API answers 503", 3);
            await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
                JsonNode acme = connectors().get("acme");
                assertThat(acme.path("lastError").asText()).isEqualTo("Acme's API answers 503");
                assertThat(acme.path("consecutiveFailures").asInt()).isGreaterThanOrEqualTo(1);
                assertThat(Duration.between(Instant.parse(acme.path("lastFailureAt").asText()), Instant.parse(acme.path("nextPollAt").asText())))
                        .as("the next poll waits as long as the vendor's Retry-After").isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            });
            await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
                assertThat(connectors().get("acme").path("stale").asBoolean()).isTrue();
                JsonNode state = threats(device);
                assertThat(state.path("level").asText()).isEqualTo("UNKNOWN");
                assertThat(state.path("staleConnectors").get(0).asText()).isEqualTo("Acme MTD");
                assertThat(state.path("verdicts").get(0).path("stale").asBoolean()).isTrue();
                assertThat(status(device)).isEqualTo("QUARANTINED");
            });
            JsonNode access = json.readTree(server.getAsAdmin("/api/v1/access?deviceId=" + device).body());
            assertThat(access.path("allowed").asBoolean()).isFalse();
            assertThat(access.path("failing").get(0).path("detail").asText()).startsWith("threat verdict from Acme MTD stale since ");
            assertThat(server.getAsAdmin("/api/v1/threats/devices?level=UNKNOWN").body()).contains(device.toString());
        } finally {
            vendorOutage(null, 0);
        }
        HttpResponse<String> poll = server.sendAsAdmin("POST", "/api/v1/threats/connectors/acme/poll", "");
        assertThat(poll.statusCode()).as(poll.body()).isEqualTo(202);
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            assertThat(connectors().get("acme").path("stale").asBoolean()).isFalse();
            assertThat(threats(device).path("level").asText()).isEqualTo("NONE");
            assertThat(status(device)).isEqualTo("ENROLLED");
        });
    }

    @Test
    void pushesAreDurableAtOnceUnchangedOrOlderOnesWriteNothingAndAnotherPluginsConnectorIsRefused() throws Exception {
        DeviceId device = enroll("T3");
        long now = Instant.now().toEpochMilli();
        assertThat(push("acme-push|p-3|SER-T3|HIGH|" + now)).isEqualTo("200 matched=1 unmatched=0 changed=1");
        assertThat(threats(device).path("verdicts")).extracting(verdict -> verdict.path("connectorId").asText()).containsExactly("acme-push");
        assertThat(threats(device).path("level").asText()).isEqualTo("HIGH");

        assertThat(push("acme-push|p-3|SER-T3|HIGH|" + now)).isEqualTo("200 matched=1 unmatched=0 changed=0");
        assertThat(push("acme-push|p-3|SER-T3|LOW|" + (now - 60_000))).as("older than the stored verdict")
                .isEqualTo("200 matched=1 unmatched=0 changed=0");
        assertThat(threats(device).path("level").asText()).isEqualTo("HIGH");
        assertThat(push("stuck|p-3|SER-T3|NONE|" + now)).isEqualTo("400 plugin acme-mtd has no threat-defense connector stuck");
        assertThat(push("acme-push")).as("a heartbeat").isEqualTo("200 matched=0 unmatched=0 changed=0");
    }

    @Test
    void anUnmatchedSignalIsListedAndLinkingItRecordsTheVendorIdAndAppliesTheVerdict() throws Exception {
        DeviceId device = enroll("T4");
        long now = Instant.now().toEpochMilli();
        assertThat(push("acme-push|p-unknown|NOT-OURS|MEDIUM|" + now)).isEqualTo("200 matched=0 unmatched=1 changed=0");
        JsonNode unmatched = json.readTree(server.getAsAdmin("/api/v1/threats/unmatched?connectorId=acme-push").body());
        assertThat(unmatched).anySatisfy(signal -> {
            assertThat(signal.path("vendorDeviceId").asText()).isEqualTo("p-unknown");
            assertThat(signal.path("reason").asText()).isEqualTo("matches no managed device");
            assertThat(signal.path("device").path("serialNumber").asText()).isEqualTo("NOT-OURS");
        });
        assertThat(server.sendAsAdmin("POST", "/api/v1/threats/unmatched/link",
                "{\"connectorId\": \"acme-push\", \"vendorDeviceId\": \"p-nobody\", \"deviceId\": \"" + device + "\"}").statusCode()).isEqualTo(404);

        HttpResponse<String> linked = server.sendAsAdmin("POST", "/api/v1/threats/unmatched/link",
                "{\"connectorId\": \"acme-push\", \"vendorDeviceId\": \"p-unknown\", \"deviceId\": \"" + device + "\"}");
        assertThat(linked.statusCode()).as(linked.body()).isEqualTo(200);
        assertThat(json.readTree(linked.body()).path("level").asText()).isEqualTo("MEDIUM");
        assertThat(server.getAsAdmin("/api/v1/threats/unmatched?connectorId=acme-push").body()).doesNotContain("p-unknown");
        assertThat(push("acme-push|p-unknown|STILL-NOT-OURS|LOW|" + (now + 1_000))).as("the recorded link finds the device")
                .isEqualTo("200 matched=1 unmatched=0 changed=1");
        assertThat(threats(device).path("level").asText()).isEqualTo("LOW");
    }

    @Test
    void aHangingAndAThrowingConnectorShowTheirFailuresWhileTheOthersKeepPolling() throws Exception {
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            Map<String, JsonNode> connectors = connectors();
            assertThat(connectors.get("stuck").path("consecutiveFailures").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(connectors.get("stuck").path("lastError").asText()).contains("stuck-mtd");
            assertThat(connectors.get("broken").path("lastError").asText()).contains("broken-mtd");
        });
        Instant before = Instant.parse(connectors().get("acme").path("lastPollAt").asText());
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() ->
                assertThat(Instant.parse(connectors().get("acme").path("lastPollAt").asText())).isAfter(before));
        assertThat(server.get("/health").statusCode()).isEqualTo(200);

        // Unloaded, a connector is no longer polled but keeps its health and verdicts; reloaded, it is polled again.
        Files.delete(server.pluginsDir().resolve("broken-mtd.zip"));
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(connectors().get("broken").path("running").asBoolean()).isFalse());
        Files.copy(FakeThreatVendors.broken().buildZip(build, "broken-mtd-again.zip"), server.pluginsDir().resolve("broken-mtd.zip"));
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(connectors().get("broken").path("running").asBoolean()).isTrue());
        HttpResponse<String> badLevel = server.getAsAdmin("/api/v1/threats/devices?level=SEVERE");
        assertThat(badLevel.statusCode()).isEqualTo(400);
        assertThat(badLevel.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.sendAsAdmin("PUT", "/api/v1/threats/connectors/acme-push/stale-after", "{\"staleAfterSeconds\": 5}").statusCode())
                .as("under a minute").isEqualTo(400);
        HttpResponse<String> set = server.sendAsAdmin("PUT", "/api/v1/threats/connectors/acme-push/stale-after", "{\"staleAfterSeconds\": 7200}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(json.readTree(set.body()).path("staleAfterSeconds").asLong()).isEqualTo(7200);
        assertThat(server.sendAsAdmin("POST", "/api/v1/threats/connectors/acme-push/poll", "").statusCode()).as("push only").isEqualTo(409);
        assertThat(server.sendAsAdmin("POST", "/api/v1/threats/connectors/nobody/poll", "").statusCode()).isEqualTo(404);
    }

    // ---- helpers ----

    private DeviceId enroll(String udid) {
        Kernel kernel = server.server().kernel();
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("threats", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    private synchronized void vendor(String vendorId, String line) {
        acmeDevices.put(vendorId, line);
        writeVendor(Optional.empty(), 0);
    }

    private synchronized void vendorOutage(String message, int retryAfterSeconds) {
        writeVendor(Optional.ofNullable(message), retryAfterSeconds);
    }

    private void writeVendor(Optional<String> outage, int retryAfterSeconds) {
        List<String> lines = new ArrayList<>();
        outage.ifPresent(message -> {
            lines.add("outage=" + message);
            lines.add("retryAfterSeconds=" + retryAfterSeconds);
        });
        acmeDevices.forEach((id, line) -> lines.add("device." + id + "=" + line));
        try {
            Files.createDirectories(vendorDirectory);
            Path next = vendorDirectory.resolve(FakeThreatVendors.VENDOR_FILE + ".next");
            Files.write(next, lines);
            Files.move(next, vendorDirectory.resolve(FakeThreatVendors.VENDOR_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String push(String body) {
        HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri("/mdm/acme-mtd/"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        return response.statusCode() + " " + response.body();
    }

    private Map<String, JsonNode> connectors() throws IOException {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        json.readTree(server.getAsAdmin("/api/v1/threats/connectors").body()).forEach(connector -> byId.put(connector.path("id").asText(), connector));
        return byId;
    }

    private JsonNode threats(DeviceId device) throws IOException {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/devices/" + device + "/threats");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private String status(DeviceId device) throws IOException {
        return json.readTree(server.getAsAdmin("/api/v1/devices/" + device).body()).path("device").path("status").asText();
    }

    private String compliance(DeviceId device) throws IOException {
        return json.readTree(server.getAsAdmin("/api/v1/devices/" + device + "/compliance").body()).path("state").asText();
    }
}
