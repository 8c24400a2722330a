package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ChromeOS apps in the kernel's app catalog, through a real server with the ChromeOS plugin loaded from its file: an
 * app a {@code chromeos.app} policy setting deploys is synced from the store {@code chrome-web-store} with the name the
 * Chrome Management API gives it, another is added by its Web Store id, and assigning that one REQUIRED to the
 * Chromebooks leaves each of them FAILED with the explanation that ChromeOS installs apps through its org unit's
 * policy, not PENDING for ever and not tried again in a loop.
 */
class ChromeWebStoreIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DRAWINGS = "mkaakpdehdafacodkgkpghoibnmamcme";
    private static final String TRANSLATE = "aapbdbdomjkkjkaonfhkkikfgjllcleb";

    @TempDir
    Path home;
    private LocalGoogle google;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        google = LocalGoogle.start();
        google.addOrgUnit("/Sales", "03ph8a2z1sales");
        google.addOrgUnit("/Lab", "03ph8a2z2lab");
        google.addDevice("d1a2b3c4-0001", "5CD1230001", "/Sales", "ana@example.com");
        google.addDevice("d1a2b3c4-0002", "5CD1230002", "/Sales", "ben@example.com");
        google.addDevice("d1a2b3c4-0003", "5CD1230003", "/Lab", "cho@example.com");
        google.publishApp(DRAWINGS, "Google Drawings", "Google LLC", "1.0.0.4");
        google.publishApp(TRANSLATE, "Google Translate", "Google LLC", "2.0.13");
        server = ChromeOsTestServers.start(home, google, Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
        google.close();
        assertThat(google.violations()).as("requests Google would refuse").isEmpty();
    }

    @Test
    void aPolicyDeployedAppIsSyncedAnotherAddedByIdAndAssigningItFailsWithThePolicyExplanation() throws Exception {
        assertThat(admin("PUT", "/api/v1/plugins/chromeos/service-account", google.serviceAccountKey()).statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/api/v1/plugins/chromeos/sync", "").statusCode()).isEqualTo(200);
        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId cho = chromebook("d1a2b3c4-0003");
        assertThat(admin("GET", "/api/v1/app-stores", "").body()).contains(ChromeWebStoreConnector.ID);

        // Google Drawings is deployed the ChromeOS way: a chromeos.app setting, set on both org units.
        String group = id(admin("POST", "/api/v1/groups", "{\"name\":\"Chromebooks\",\"rule\":{\"attribute\":\"platform\",\"op\":\"eq\",\"value\":\"chromeos\"}}"));
        String policy = id(admin("POST", "/api/v1/policies", """
                {"name": "Chromebook apps", "settings": [
                  {"type": "chromeos.app", "value": {"appId": "chrome:%s", "installType": "FORCED"}}]}""".formatted(DRAWINGS)));
        assertThat(admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, "{\"priority\": 10}").statusCode()).isIn(200, 201, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> settingState(ana, "chromeos.app/chrome:" + DRAWINGS) == SettingState.INSTALLED
                && settingState(cho, "chromeos.app/chrome:" + DRAWINGS) == SettingState.INSTALLED);

        HttpResponse<String> synced = admin("POST", "/api/v1/app-stores/chrome-web-store/sync", "");
        assertThat(synced.statusCode()).as(synced.body()).isEqualTo(200);
        assertThat(JSON.readTree(synced.body()).path("added").asInt()).isEqualTo(1);
        JsonNode drawings = app(DRAWINGS).orElseThrow();
        assertThat(drawings.path("name").asText()).isEqualTo("Google Drawings");
        assertThat(drawings.path("publisher").asText()).isEqualTo("Google LLC");
        assertThat(drawings.path("identifier").asText()).isEqualTo("chrome:" + DRAWINGS);
        assertThat(drawings.path("version").asText()).isEqualTo("1.0.0.4");
        assertThat(drawings.path("platform").asText()).isEqualToIgnoringCase("chromeos");
        assertThat(google.requests("POST", "/policies:resolve").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.path("policySchemaFilter").asText().equals("chrome.users.apps.*"))).hasSize(2);

        // Google Translate is added by its Web Store id; the policy's chrome: app id is not the store's id of it.
        HttpResponse<String> added = admin("POST", "/api/v1/apps", "{\"storeId\": \"chrome-web-store\", \"storeAppId\": \"" + TRANSLATE + "\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(JSON.readTree(added.body()).path("name").asText()).isEqualTo("Google Translate");
        String translate = JSON.readTree(added.body()).path("id").asText();
        HttpResponse<String> byPolicyId = admin("POST", "/api/v1/apps", "{\"storeId\": \"chrome-web-store\", \"storeAppId\": \"chrome:" + TRANSLATE + "\"}");
        assertThat(byPolicyId.statusCode()).isEqualTo(404);
        assertThat(byPolicyId.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        // Assigned REQUIRED to the Chromebooks: each fails with what to do instead, and no install command is queued.
        assertThat(admin("PUT", "/api/v1/apps/" + translate + "/assignments/" + group, "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(states(translate)).hasSize(3)
                .allSatisfy(state -> assertThat(state.path("state").asText()).isEqualTo("FAILED")));
        JsonNode anaState = states(translate).stream().filter(state -> state.path("deviceId").asText().equals(ana.toString())).findFirst().orElseThrow();
        assertThat(anaState.path("reason").asText())
                .contains("ChromeOS installs apps per organisational unit through its policy, not per device")
                .contains("chromeos.app setting {\"appId\": \"chrome:" + TRANSLATE + "\", \"installType\": \"FORCED\"}")
                .contains("its org unit /Sales");

        // Another catalog sync and the reconciler's rounds leave the failure as it is: nothing is tried again.
        List<JsonNode> failed = states(translate);
        assertThat(admin("POST", "/api/v1/app-stores/chrome-web-store/sync", "").statusCode()).isEqualTo(200);
        Thread.sleep(2000);
        assertThat(states(translate)).as("unchanged, not retried").containsExactlyInAnyOrderElementsOf(failed);
        for (DeviceId device : List.of(ana, cho)) {
            assertThat(server.server().kernel().commands().history(device, Optional.empty(), 50))
                    .noneMatch(record -> record.command().type() == CommandType.INSTALL_APP);
        }
    }

    private Optional<JsonNode> app(String storeAppId) throws Exception {
        for (JsonNode app : JSON.readTree(admin("GET", "/api/v1/apps", "").body())) {
            if (app.path("storeId").asText().equals(ChromeWebStoreConnector.ID) && app.path("storeAppId").asText().equals(storeAppId)) {
                return Optional.of(app);
            }
        }
        return Optional.empty();
    }

    private List<JsonNode> states(String appId) throws Exception {
        List<JsonNode> states = new ArrayList<>();
        JSON.readTree(admin("GET", "/api/v1/apps/" + appId + "/devices", "").body()).forEach(states::add);
        return states;
    }

    private DeviceId chromebook(String googleId) {
        return server.server().kernel().devices().idByHardwareId(Platform.CHROMEOS, "chromeDeviceId", googleId).orElseThrow();
    }

    private SettingState settingState(DeviceId device, String key) {
        return server.server().kernel().policies().settingStates(device).stream().filter(s -> s.settingKey().equals(key))
                .map(DeviceSettingState::state).findFirst().orElse(null);
    }

    private static String id(HttpResponse<String> created) throws Exception {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).path("id").asText();
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
