package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The plugin loaded from its real file into a running server beside the iOS plugin, pointed at {@link LocalDefender}:
 * the settings endpoint behind {@code plugin_manage} with the secret never returned, the console page, and issue 19's
 * first must-show end to end: an iPhone enrolled through the Apple simulator is matched to its Defender machine by
 * name (Defender carries no serial number and no MDM id; see the README), goes High in Defender, and after one poll
 * (asked for through the kernel's poll route) its threat level is HIGH, a {@code MAX_THREAT_LEVEL} rule makes it
 * non-compliant, remediation quarantines it and conditional access denies it; Defender clears it and one poll later it
 * is compliant, released and allowed. Last, the plugin's console page in a real browser. One server for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DefenderEndToEndIT {

    private static final String SETTINGS = "/api/v1/plugins/threat-defender/settings";
    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    @TempDir
    static Path profile;
    private LocalDefender defender;
    private TestServer server;

    @BeforeAll
    void start() throws Exception {
        defender = LocalDefender.start(Clock.systemUTC());
        Files.createDirectories(home.resolve("conf"));
        // Polls come when the test asks (the kernel's poll route), not on a timer; every sweep reads every machine.
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n"
                + "    apple-ios:\n      topic: " + TOPIC + "\n"
                + "    threat-defender:\n      loginUrl: \"" + defender.url() + "\"\n      pollInterval: PT1H\n      fullSweepEvery: PT0S\n");
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"), Clock.systemUTC());
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
        Files.copy(Path.of(System.getProperty("shepherd.iosPluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-defender.zip"));
        await().atMost(WITHIN).pollInterval(POLL).until(() -> server.get("/mdm/apple-ios/checkin").statusCode() == 405
                && server.getAsAdmin(SETTINGS).statusCode() == 200
                && server.getAsAdmin("/api/v1/threats/connectors").body().contains("\"id\":\"defender\""));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (defender != null) {
            defender.close();
        }
    }

    @Test
    @Order(1)
    void anAdminConnectsDefenderAndNeverSeesTheSecretAgain() throws Exception {
        assertThat(JSON.readTree(server.getAsAdmin(SETTINGS).body()).path("configured").asBoolean()).isFalse();
        assertThat(connector().path("setupProblem").asText()).contains("client id and secret");

        HttpResponse<String> refused = server.sendAsAdmin("PUT", SETTINGS, settings("wrong-secret-value"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("AADSTS7000215").doesNotContain("wrong-secret-value");

        connect();
        pollDefender(); // the kernel reads the connector's setup at its polls; an admin asks for one at once
        JsonNode shown = JSON.readTree(server.getAsAdmin(SETTINGS).body());
        assertThat(shown.path("configured").asBoolean()).isTrue();
        assertThat(shown.path("apiBaseUrl").asText()).isEqualTo(defender.url().toString());
        assertThat(shown.toString()).doesNotContain(LocalDefender.CLIENT_SECRET);
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(connector().path("setupProblem").isTextual()).isFalse());
    }

    @Test
    @Order(2)
    void onlyAdminsWhoMayManagePluginsReachTheSettingsOrSeeThePage() throws Exception {
        HttpResponse<String> helpdesk = server.send(HttpRequest.newBuilder(server.uri(SETTINGS))
                .header("Authorization", TestServer.basic("desk", "desk-password-123")).GET().build());
        assertThat(helpdesk.statusCode()).isEqualTo(403);
        assertThat(server.get(SETTINGS).statusCode()).isEqualTo(401);

        assertThat(server.getAsAdmin("/api/v1/console/pages").body()).contains("defender-settings").contains("Defender connection");
        HttpResponse<String> deskPages = server.send(HttpRequest.newBuilder(server.uri("/api/v1/console/pages"))
                .header("Authorization", TestServer.basic("desk", "desk-password-123")).GET().build());
        assertThat(deskPages.body()).doesNotContain("defender-settings");
    }

    @Test
    @Order(3)
    void anIphoneDefenderRatesHighIsQuarantinedAndDeniedAfterOnePollAndReleasedOnceDefenderClearsIt() throws Exception {
        connect();
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008110-000A1D2E3F40001E");
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        String device = server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
        String name = admin("GET", "/api/v1/devices/" + device, null, 200).path("device").path("name").asText();
        assertThat(name).as("the name the iPhone gave when it enrolled").isEqualTo("Simulated iPhone");
        admin("POST", "/api/v1/compliance/rules", """
                {"name": "No high threats", "check": "MAX_THREAT_LEVEL", "parameters": {"level": "MEDIUM"}, "graceHours": 0,
                 "remediation": [{"afterHours": 0, "action": "QUARANTINE"}]}""", 201);

        // Defender knows the iPhone by the name its app reports, and no serial number.
        defender.machine("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0", name, "None", Optional.empty());
        pollDefender();
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            JsonNode threats = admin("GET", "/api/v1/devices/" + device + "/threats", null, 200);
            assertThat(threats.path("level").asText()).isEqualTo("NONE");
            assertThat(threats.path("verdicts").get(0).path("vendorDeviceId").asText()).isEqualTo("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0");
            assertThat(access(device).path("allowed").asBoolean()).isTrue();
        });

        Instant attack = Instant.now().minusSeconds(600);
        defender.addAlert("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0", new LocalDefender.Alert("da638690_-1234", "Malicious configuration profile",
                "High", "Malware", "New", attack, attack.plusSeconds(300)));
        defender.setRisk("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0", "High");
        pollDefender();

        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            JsonNode threats = admin("GET", "/api/v1/devices/" + device + "/threats", null, 200);
            assertThat(threats.path("level").asText()).isEqualTo("HIGH");
            JsonNode verdict = threats.path("verdicts").get(0);
            assertThat(verdict.path("connectorId").asText()).isEqualTo("defender");
            assertThat(verdict.path("vendorVerdict").asText()).startsWith("riskScore=High, exposureLevel=Low");
            assertThat(verdict.path("threats").get(0).path("name").asText()).isEqualTo("Malicious configuration profile");
            assertThat(verdict.path("threats").get(0).path("link").asText()).isEqualTo("https://security.microsoft.com/alerts/da638690_-1234");
        });
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(status(device)).isEqualTo("QUARANTINED"));
        JsonNode denied = access(device);
        assertThat(denied.path("allowed").asBoolean()).isFalse();
        assertThat(denied.path("state").asText()).isEqualTo("NON_COMPLIANT");

        defender.resolveAlerts("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0");
        defender.setRisk("4b1f0c9e7d2a58e3b6c0f1a2d3e4f5a6b7c8d9e0", "None");
        pollDefender();

        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> {
            assertThat(admin("GET", "/api/v1/devices/" + device + "/threats", null, 200).path("level").asText()).isEqualTo("NONE");
            assertThat(status(device)).isEqualTo("ENROLLED");
            assertThat(access(device).path("allowed").asBoolean()).isTrue();
        });
        JsonNode health = connector();
        assertThat(health.path("matched").asLong()).isEqualTo(1);
        assertThat(health.path("consecutiveFailures").asInt()).isZero();
    }

    @Test
    @Order(4)
    void anAdminChangesTheConnectionOnThePluginsOwnPage() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        connect();
        try (ConsoleBrowser console = ConsoleBrowser.open(server, profile)) {
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            console.open("#/plugins", "Plugins");
            console.driver().findElement(By.cssSelector("a[aria-label='Defender connection (threat-defender)']")).click();
            console.waitForHeading("Defender connection");
            assertThat(console.labelledControl("Tenant id").getAttribute("value")).isEqualTo(LocalDefender.TENANT);

            console.labelledControl("Client secret (leave empty to keep the stored one)").sendKeys("a-wrong-secret-value");
            console.driver().findElement(By.xpath("//button[.='Save and check']")).click();
            console.waitForText("AADSTS7000215");
            assertThat(console.mainText()).doesNotContain("a-wrong-secret-value");

            console.labelledControl("Client secret (leave empty to keep the stored one)").clear();
            console.labelledControl("Client secret (leave empty to keep the stored one)").sendKeys(LocalDefender.CLIENT_SECRET);
            console.driver().findElement(By.xpath("//button[.='Save and check']")).click();
            console.waitForText("Connected: Entra issued a token for the app.");
            assertThat(console.mainText()).doesNotContain(LocalDefender.CLIENT_SECRET);
            assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
            assertThat(console.requests("/ui/plugins/")).singleElement().asString()
                    .matches("GET /ui/plugins/threat-defender/[0-9.]+/defender-settings\\.js");

            console.driver().findElement(By.xpath("//button[.='Disconnect']")).click();
            console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Disconnect']"))).click();
            console.waitForText("Defender is disconnected.");
            assertThat(JSON.readTree(server.getAsAdmin(SETTINGS).body()).path("configured").asBoolean()).isFalse();
        }
    }

    private void connect() throws Exception {
        admin("PUT", SETTINGS, settings(LocalDefender.CLIENT_SECRET), 200);
    }

    /** Asks the kernel to poll Defender now, and waits until that poll has run. */
    private void pollDefender() throws Exception {
        Optional<String> before = lastPollAt();
        admin("POST", "/api/v1/threats/connectors/defender/poll", null, 202);
        await().atMost(WITHIN).pollInterval(POLL).untilAsserted(() -> assertThat(lastPollAt()).isPresent().isNotEqualTo(before));
    }

    private Optional<String> lastPollAt() throws Exception {
        return Optional.of(connector().path("lastPollAt")).filter(JsonNode::isTextual).map(JsonNode::asText);
    }

    private JsonNode connector() throws Exception {
        for (JsonNode connector : admin("GET", "/api/v1/threats/connectors", null, 200)) {
            if (connector.path("id").asText().equals(DefenderConnector.ID)) {
                return connector;
            }
        }
        throw new AssertionError("the defender connector is not listed");
    }

    private String status(String device) throws Exception {
        return admin("GET", "/api/v1/devices/" + device, null, 200).path("device").path("status").asText();
    }

    private JsonNode access(String device) throws Exception {
        return admin("GET", "/api/v1/access?deviceId=" + device, null, 200);
    }

    private JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expectedStatus);
        return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    private String settings(String secret) {
        return "{\"tenantId\":\"" + LocalDefender.TENANT + "\",\"clientId\":\"" + LocalDefender.CLIENT_ID + "\",\"clientSecret\":\""
                + secret + "\",\"apiBaseUrl\":\"" + defender.url() + "\"}";
    }
}
