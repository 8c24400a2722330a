package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fleet app inventory and the forbidden-app compliance rule through the running server, with the iOS plugin
 * loaded from its file: iPhones report their apps (InstalledApplicationList), the app-inventory search finds those
 * running an app below a version, a rule forbidding that app below the version makes exactly those non-compliant,
 * saying which app and version, and they are compliant again once they update or remove it.
 */
class AppComplianceIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final String CHAT = "com.example.chat";
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aForbiddenAppBelowAVersionMakesExactlyTheDevicesRunningItNonCompliantUntilTheyUpdateOrRemoveIt() throws Exception {
        AppleDeviceSimulator old = enrolled("B1000001-0011223344556677");
        AppleDeviceSimulator older = enrolled("B2000002-0011223344556677");
        AppleDeviceSimulator current = enrolled("B3000003-0011223344556677");
        AppleDeviceSimulator without = enrolled("B4000004-0011223344556677");
        old.installAppByUser(CHAT, "Chat", "2.3.9");
        older.installAppByUser(CHAT, "Chat", "1.9");
        current.installAppByUser(CHAT, "Chat", "2.10"); // compared number by number: 2.10 is not below 2.4
        List<AppleDeviceSimulator> iphones = List.of(old, older, current, without);
        reportApps(iphones);

        JsonNode below = admin("GET", "/api/v1/app-inventory?identifier=" + CHAT + "&versionBelow=2.4", "", 200);
        assertThat(below).extracting(row -> row.path("deviceId").asText())
                .containsExactlyInAnyOrder(deviceId(old), deviceId(older));
        assertThat(admin("GET", "/api/v1/app-inventory?identifier=" + CHAT, "", 200)).hasSize(3);

        admin("POST", "/api/v1/compliance/rules", JSON.writeValueAsString(Map.of("name", "Chat 2.4 or later", "check", "FORBIDDEN_APPS",
                "parameters", Map.of("apps", List.of(Map.of("identifier", CHAT, "versionBelow", "2.4"), "com.example.torrent")))), 201);

        await().atMost(PATIENCE).until(() -> compliance(old).path("state").asText().equals("NON_COMPLIANT")
                && compliance(older).path("state").asText().equals("NON_COMPLIANT")
                && compliance(current).path("state").asText().equals("COMPLIANT")
                && compliance(without).path("state").asText().equals("COMPLIANT"));
        assertThat(compliance(old).path("failing").get(0).path("detail").asText())
                .isEqualTo("forbidden apps installed: " + CHAT + " 2.3.9 (below 2.4)");
        assertThat(compliance(older).path("failing").get(0).path("detail").asText())
                .isEqualTo("forbidden apps installed: " + CHAT + " 1.9 (below 2.4)");

        // One updates, the other removes it: both are judged again from the apps they report next.
        old.installAppByUser(CHAT, "Chat", "2.4");
        older.removeApp(CHAT);
        reportApps(iphones);
        await().atMost(PATIENCE).until(() -> iphones.stream().allMatch(iphone -> compliance(iphone).path("state").asText().equals("COMPLIANT")));
        assertThat(admin("GET", "/api/v1/app-inventory?identifier=" + CHAT + "&versionBelow=2.4", "", 200)).isEmpty();

        // A device installing an app the rule forbids outright fails it, whatever the version.
        without.installAppByUser("com.example.torrent", "Torrent", "9.0");
        reportApps(List.of(without));
        await().atMost(PATIENCE).until(() -> compliance(without).path("state").asText().equals("NON_COMPLIANT"));
        assertThat(compliance(without).path("failing").get(0).path("detail").asText())
                .isEqualTo("forbidden apps installed: com.example.torrent 9.0");
    }

    @Test
    void anAppRuleWhoseVersionBoundIsNotAVersionIsAProblemSayingWhy() throws Exception {
        HttpResponse<String> refused = server.sendAsAdmin("POST", "/api/v1/compliance/rules", JSON.writeValueAsString(Map.of("name", "Chat",
                "check", "FORBIDDEN_APPS", "parameters", Map.of("apps", List.of(Map.of("identifier", CHAT, "versionBelow", "latest"))))));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(JSON.readTree(refused.body()).path("detail").asText()).contains("versionBelow of " + CHAT + " must be a version");

        HttpResponse<String> wrongBound = server.sendAsAdmin("POST", "/api/v1/compliance/rules", JSON.writeValueAsString(Map.of("name", "Chat",
                "check", "REQUIRED_APPS", "parameters", Map.of("apps", List.of(Map.of("identifier", CHAT, "versionBelow", "2.4"))))));
        assertThat(wrongBound.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(wrongBound.body()).path("detail").asText()).contains("unknown field \"versionBelow\"").contains("minimumVersion");
    }

    /** Each iPhone is asked for its apps (a REFRESH_INVENTORY command batch, as an admin sends) and answers. */
    private void reportApps(List<AppleDeviceSimulator> iphones) throws Exception {
        List<String> ids = new ArrayList<>();
        for (AppleDeviceSimulator iphone : iphones) {
            ids.add(deviceId(iphone));
        }
        admin("POST", "/api/v1/command-batches", JSON.writeValueAsString(Map.of("type", "REFRESH_INVENTORY",
                "parameters", Map.of("query", "InstalledApplicationList"), "target", Map.of("deviceIds", ids))), 201);
        for (AppleDeviceSimulator iphone : iphones) {
            await().atMost(PATIENCE).until(() -> !iphone.acknowledgeAll().isEmpty());
        }
    }

    private AppleDeviceSimulator enrolled(String udid) throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        iphone.acknowledgeAll();
        return iphone;
    }

    private String deviceId(AppleDeviceSimulator iphone) {
        return server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
    }

    private JsonNode compliance(AppleDeviceSimulator iphone) {
        try {
            return admin("GET", "/api/v1/devices/" + deviceId(iphone) + "/compliance", "", 200);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expectedStatus);
        return JSON.readTree(response.body());
    }
}
