package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 19's must-shows through the running server and the real connector, loaded from its file and pointed at
 * {@link LocalLookout}: a device goes THREATS_HIGH in Lookout's stream and is HIGH over REST after a poll, is
 * quarantined by a MAX_THREAT_LEVEL rule and denied by conditional access; the stream drops in the middle of events
 * and the connector resumes without losing any; Lookout clears the threats and the device is released. Then Lookout
 * goes down: the connector's health shows the failure and its verdicts go stale, visibly, with the documented
 * compliance effect. The admin endpoint checks the application key with Lookout before sealing it, never returns it,
 * and refuses bad input with problem+json; its console page does the same in a real browser. One server for the
 * class; polls are fast through configuration, never waited out.
 */
class LookoutEndToEndIT {

    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final String SETTINGS = "/api/v1/plugins/threat-lookout/settings";

    @TempDir
    static Path home;
    private static TestServer server;
    private static LocalLookout lookout;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        lookout = new LocalLookout();
        lookout.heartbeatEvery(Duration.ofMillis(100));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    threat-lookout:
                      streamReadTime: "PT1S"
                      streamIdleTime: "PT0.3S"
                """);
        server = TestServer.start(home, Map.of("SHEPHERD_THREAT_POLL_INTERVAL", "200ms", "SHEPHERD_THREAT_STALE_AFTER", "4s"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-lookout.zip"));
        await().atMost(WITHIN).pollInterval(POLL).until(() -> server.getAsAdmin("/api/v1/threats/connectors").body().contains("\"lookout\""));
        assertThat(server.getAsAdmin("/api/v1/threats/connectors").body()).as("not polled before an admin sets the key")
                .contains("Set a Lookout application key");
        HttpResponse<String> rule = server.sendAsAdmin("POST", "/api/v1/compliance/rules", """
                {"name": "No high threats", "check": "MAX_THREAT_LEVEL", "parameters": {"level": "MEDIUM"}, "graceHours": 0,
                 "remediation": [{"afterHours": 0, "action": "NOTIFY"}, {"afterHours": 0, "action": "QUARANTINE"}]}""");
        assertThat(rule.statusCode()).as(rule.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (lookout != null) {
            lookout.close();
        }
    }

    @Test
    void aDeviceLookoutSeesGoHighIsQuarantinedAndDeniedSurvivesStreamDropsAndIsReleasedWhenLookoutClearsIt() throws Exception {
        DeviceId device = enroll("LK-1");
        String guid = lookout.addDevice(Optional.of(device.toString()), "SECURE");
        connect();

        // The full read finds the device by the MDM id Lookout imported with it.
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(threats(device).path("level").asText()).isEqualTo("NONE"));
        assertThat(verdict(device).path("vendorDeviceId").asText()).isEqualTo(guid);

        String rootkit = lookout.openThreat(guid, "ROOT_ENABLER", "HIGH");
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(threats(device).path("level").asText()).isEqualTo("HIGH"));
        JsonNode verdict = verdict(device);
        assertThat(verdict.path("connectorId").asText()).isEqualTo("lookout");
        assertThat(verdict.path("vendorVerdict").asText()).contains("security_status=THREATS_HIGH");
        assertThat(verdict.path("threats").get(0).path("id").asText()).isEqualTo(rootkit);
        assertThat(verdict.path("threats").get(0).path("name").asText()).isEqualTo("Root enabler");
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(status(device)).isEqualTo("QUARANTINED"));
        assertThat(access(device).path("allowed").asBoolean()).isFalse();

        // Each stream connection now drops in the middle of its second event: the connector resumes after the last
        // whole one, so the new threat arrives and the resolved one leaves, whatever the drops.
        lookout.disconnectStreamsAfter(1);
        String phishing = lookout.openThreat(guid, "PHISHING", "MEDIUM");
        lookout.resolveThreat(rootkit);
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            JsonNode current = verdict(device);
            assertThat(current.path("level").asText()).isEqualTo("MEDIUM");
            assertThat(current.path("threats")).extracting(threat -> threat.path("id").asText()).containsExactly(phishing);
        });
        lookout.disconnectStreamsAfter(-1);

        lookout.resolveThreat(phishing);
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            assertThat(threats(device).path("level").asText()).isEqualTo("NONE");
            assertThat(status(device)).isEqualTo("ENROLLED");
            assertThat(access(device).path("allowed").asBoolean()).isTrue();
        });
        assertThat(lookout.received()).filteredOn(request -> request.path().equals(LookoutClient.STREAM_PATH))
                .as("the stream is read from the last event id").anySatisfy(request -> assertThat(request.query()).containsKey("id"));
    }

    @Test
    void whenLookoutIsDownTheConnectorsHealthSaysSoAndItsVerdictsGoStaleAndFailCompliance() throws Exception {
        DeviceId device = enroll("LK-2");
        lookout.addDevice(Optional.of(device.toString()), "SECURE");
        connect();
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(threats(device).path("level").asText()).isEqualTo("NONE"));
        try {
            lookout.down(true);
            await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
                JsonNode health = connector();
                assertThat(health.path("lastError").asText()).contains("Lookout is unavailable (HTTP 503)");
                assertThat(health.path("consecutiveFailures").asInt()).isGreaterThanOrEqualTo(1);
            });
            await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
                assertThat(connector().path("stale").asBoolean()).isTrue();
                JsonNode state = threats(device);
                assertThat(state.path("level").asText()).isEqualTo("UNKNOWN");
                assertThat(state.path("verdicts").get(0).path("stale").asBoolean()).isTrue();
                // The documented effect: a stale verdict fails the MAX_THREAT_LEVEL rule, so access is denied.
                JsonNode access = access(device);
                assertThat(access.path("allowed").asBoolean()).isFalse();
                assertThat(access.path("failing").get(0).path("detail").asText())
                        .startsWith("threat verdict from Lookout Mobile Endpoint Security stale since ");
            });
        } finally {
            lookout.down(false);
        }
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            assertThat(connector().path("stale").asBoolean()).isFalse();
            assertThat(threats(device).path("level").asText()).isEqualTo("NONE");
            assertThat(access(device).path("allowed").asBoolean()).isTrue();
        });
    }

    @Test
    void anAdminsApplicationKeyIsCheckedWithLookoutSealedAndNeverShownAgain() throws Exception {
        HttpResponse<String> refused = server.sendAsAdmin("PUT", SETTINGS, settings("not-a-key-lookout-issued"));
        assertProblem(refused, 400, "Lookout refused the application key (invalid_client)");
        assertThat(refused.body()).doesNotContain("not-a-key-lookout-issued");
        String key = lookout.issueApplicationKey();
        try {
            lookout.down(true);
            assertProblem(server.sendAsAdmin("PUT", SETTINGS, settings(key)), 502, "nothing was stored");
        } finally {
            lookout.down(false);
        }

        HttpResponse<String> set = server.sendAsAdmin("PUT", SETTINGS, settings(key));
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        JsonNode stored = json.readTree(set.body());
        assertThat(stored.path("applicationKeySet").asBoolean()).isTrue();
        assertThat(stored.path("apiBaseUrl").asText()).isEqualTo(lookout.baseUrl().toString());
        assertThat(stored.path("connectorId").asText()).isEqualTo("lookout");
        assertThat(set.body()).doesNotContain(key);
        assertThat(server.getAsAdmin(SETTINGS).body()).doesNotContain(key);

        assertThat(server.sendAsAdmin("DELETE", SETTINGS, null).statusCode()).isEqualTo(204);
        assertThat(json.readTree(server.getAsAdmin(SETTINGS).body()).path("applicationKeySet").asBoolean()).isFalse();
        connect();
    }

    @Test
    void badSettingsAreRefusedWithProblemDetailsAndTheConsoleListsTheConnectorsPage() {
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "[1, 2"), 400, "JSON object");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"applicationKey\": 42}"), 400, "must be strings");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"apiBaseUrl\": \"http://lookout.example.com\"}"), 400, "must use https");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"apiBaseUrl\": \"https://api.lookout.com/mra?x=1\"}"), 400, "scheme, a host");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"applicationKey\": \"has spaces in it\"}"), 400, "printable ASCII");
        assertProblem(server.sendAsAdmin("POST", SETTINGS, "{}"), 405, "Use GET, PUT or DELETE");
        assertThat(server.get(SETTINGS).statusCode()).isEqualTo(401);
        assertThat(server.getAsAdmin("/api/v1/console/pages").body()).contains("threat-lookout").contains("lookout-settings.js");
    }

    @Test
    void anAdminSetsTheKeyOnTheConnectorsConsolePageWhichNeverShowsItAgain(@TempDir Path profile) throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        try (ConsoleBrowser console = ConsoleBrowser.open(server, profile)) {
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            console.open("#/plugins/threat-lookout/settings", "Lookout");
            console.waitForText("Poll interval");
            WebElement address = console.labelledControl("API address");
            address.clear();
            address.sendKeys(lookout.baseUrl().toString());

            console.labelledControl("Application key").sendKeys("not-a-key-lookout-issued");
            console.driver().findElement(By.cssSelector("main form button[type='submit']")).click();
            console.waitForText("Lookout refused the application key (invalid_client)");

            String key = lookout.issueApplicationKey();
            WebElement keyInput = console.labelledControl("Application key");
            keyInput.clear();
            keyInput.sendKeys(key);
            console.driver().findElement(By.cssSelector("main form button[type='submit']")).click();
            console.waitForText("Lookout accepted the key");
            assertThat(console.mainText()).contains("Set (sealed, never shown)", lookout.baseUrl().toString()).doesNotContain(key);
            assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
            assertThat(console.requests("/ui/plugins/")).singleElement().asString()
                    .matches("GET /ui/plugins/threat-lookout/[0-9.]+/lookout-settings\\.js");
            assertThat(console.browserErrors()).as("only the refused key's answer").singleElement().asString().contains("status of 400");
        }
    }

    /** Sets the application key (once for the class; Lookout checks it) and the fake's address. */
    private void connect() throws IOException {
        if (json.readTree(server.getAsAdmin(SETTINGS).body()).path("applicationKeySet").asBoolean()) {
            return;
        }
        HttpResponse<String> set = server.sendAsAdmin("PUT", SETTINGS, settings(lookout.issueApplicationKey()));
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    }

    private String settings(String key) {
        return json.createObjectNode().put("applicationKey", key).put("apiBaseUrl", lookout.baseUrl().toString()).toString();
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.body()).contains(detail);
    }

    /** Enrolls a device through the kernel test kit's enrollment (an iPhone with this UDID). */
    private static DeviceId enroll(String udid) {
        Kernel kernel = server.server().kernel();
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("lookout", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    private JsonNode connector() throws IOException {
        for (JsonNode connector : json.readTree(server.getAsAdmin("/api/v1/threats/connectors").body())) {
            if (connector.path("id").asText().equals("lookout")) {
                return connector;
            }
        }
        throw new AssertionError("the lookout connector is not listed");
    }

    private JsonNode threats(DeviceId device) throws IOException {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/devices/" + device + "/threats");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private JsonNode verdict(DeviceId device) throws IOException {
        for (JsonNode verdict : threats(device).path("verdicts")) {
            if (verdict.path("connectorId").asText().equals("lookout")) {
                return verdict;
            }
        }
        throw new AssertionError("no verdict from lookout on " + device);
    }

    private String status(DeviceId device) throws IOException {
        return json.readTree(server.getAsAdmin("/api/v1/devices/" + device).body()).path("device").path("status").asText();
    }

    private JsonNode access(DeviceId device) throws IOException {
        return json.readTree(server.getAsAdmin("/api/v1/access?deviceId=" + device).body());
    }
}
