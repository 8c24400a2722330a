package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.app.AppInstallState;
import dev.shepherd.app.AppIntent;
import dev.shepherd.app.DeviceAppState;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Managed Google Play end to end: the Android plugin and the {@code appstore-google-play} plugin, both loaded from
 * their files into a real server, against the stand-in for Google. An admin gets the managed Play iframe's web token
 * and adds the app it selected; the catalog syncs it with its version and managed-configuration schema; a REQUIRED
 * assignment puts it FORCE_INSTALLED, with its configuration, into the device's policy; the device's status report
 * makes it INSTALLED; a new version reaches the device through the policy's minimum version code; UNINSTALL blocks it
 * and the report without it makes it REMOVED. A failed install carries the device's reason. An AVAILABLE app is offered
 * in managed Play ({@code installType: AVAILABLE}) and follows what the device reports of it.
 */
class GooglePlayAppsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOTES = "com.example.notes";
    private static final String MAPS = "com.example.maps";
    private static final String CHAT = "com.example.chat";

    @TempDir
    Path home;
    private LocalAmapi google;
    private TestServer server;
    private Kernel kernel;
    private String pushUrl;

    @BeforeEach
    void start() throws Exception {
        google = LocalAmapi.start();
        google.publishApp(NOTES, "Notes", Map.of("1.0", 10), List.of(
                Map.of("key", "serverUrl", "type", "STRING", "title", "Server"),
                Map.of("key", "offline", "type", "BOOL", "defaultValue", false),
                Map.of("key", "theme", "type", "CHOICE", "entries", List.of(Map.of("name", "Light", "value", "light"),
                        Map.of("name", "Dark", "value", "dark")))));
        google.publishApp(MAPS, "Maps", Map.of("5.0", 50), List.of());
        google.publishApp(CHAT, "Chat", Map.of("2.0", 20), List.of(Map.of("key", "workspace", "type", "STRING", "title", "Workspace")));
        AndroidServerCalls.configure(home, google.url(), """
                    appstore-google-play:
                      apiUrl: "%s"
                      enterprise: "%s"
                """.formatted(google.url(), LocalAmapi.ENTERPRISE));
        server = TestServer.start(home);
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("android.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.playPluginFile")), server.pluginsDir().resolve("appstore-google-play.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/mdm/android/pubsub").statusCode() == 405
                && admin("GET", "/api/v1/plugins/appstore-google-play/managed-play/apps", "").statusCode() == 200);

        assertThat(admin("PUT", "/api/v1/plugins/android/service-account", google.serviceAccountKey()).statusCode()).isEqualTo(200);
        HttpResponse<String> playKey = admin("PUT", "/api/v1/plugins/appstore-google-play/service-account", google.serviceAccountKey());
        assertThat(playKey.statusCode()).as(playKey.body()).isEqualTo(200);
        assertThat(JSON.readTree(playKey.body()).path("enterprise").asText()).isEqualTo(LocalAmapi.ENTERPRISE);
        assertThat(playKey.body()).doesNotContain("PRIVATE KEY");

        assertThat(admin("POST", "/api/v1/plugins/android/enterprise/signup", "").statusCode()).isEqualTo(200);
        String callbackUrl = google.requests("POST", "/v1/signupUrls").get(0).query().get("callbackUrl");
        String state = callbackUrl.substring(callbackUrl.indexOf("state=") + 6);
        assertThat(server.get("/mdm/android/signup-callback?state=" + state + "&enterpriseToken=" + LocalAmapi.ENTERPRISE_TOKEN).statusCode())
                .isEqualTo(200);
        HttpResponse<String> enterprise = admin("GET", "/api/v1/plugins/android/enterprise", "");
        pushUrl = JSON.readTree(enterprise.body()).path("pubsubPushEndpoint").asText();
    }

    @AfterEach
    void stop() {
        server.close();
        google.close();
        assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
    }

    @Test
    void anAppAddedFromManagedPlayIsInstalledUpdatedAndRemovedThroughTheDevicePolicy() throws Exception {
        // The managed Play iframe: a web token for the console page that embeds it.
        HttpResponse<String> token = admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/web-token",
                "{\"parentFrameUrl\": \"https://mdm.example.com/console/apps/play\"}");
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        assertThat(JSON.readTree(token.body()).path("iframeUrl").asText())
                .isEqualTo("https://play.google.com/work/embedded/search?token=WTLOCAL1&mode=SELECT");
        JsonNode tokenRequest = google.requests("POST", "/webTokens").get(0).json();
        assertThat(tokenRequest.path("parentFrameUrl").asText()).isEqualTo("https://mdm.example.com/console/apps/play");
        assertThat(tokenRequest.path("enabledFeatures")).extracting(JsonNode::asText).containsExactly("PLAY_SEARCH", "PRIVATE_APPS");
        assertThat(admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/web-token",
                "{\"parentFrameUrl\": \"http://mdm.example.com/\"}").statusCode()).as("Google embeds the iframe in https pages only").isEqualTo(400);

        // The app the iframe selected is added; Google confirms it. Unknown and malformed packages are refused.
        HttpResponse<String> added = admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"" + NOTES + "\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(JSON.readTree(added.body()).path("version").asText()).isEqualTo("1.0");
        assertThat(admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"com.example.unknown\"}")
                .statusCode()).isEqualTo(404);
        HttpResponse<String> malformed = admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"../etc\"}");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"" + MAPS + "\"}")
                .statusCode()).isEqualTo(201);
        assertThat(admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"" + CHAT + "\"}")
                .statusCode()).isEqualTo(201);

        // The catalog takes them at the store's sync: version, icon, and the schema converted from the managed properties.
        HttpResponse<String> sync = admin("POST", "/api/v1/app-stores/google-play/sync", "");
        assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
        JsonNode notes = catalogApp(NOTES);
        assertThat(notes.path("platform").asText()).isEqualToIgnoringCase("android");
        assertThat(notes.path("name").asText()).isEqualTo("Notes");
        assertThat(notes.path("version").asText()).isEqualTo("1.0");
        assertThat(notes.path("licensed").asBoolean()).isFalse();
        JsonNode schema = JSON.readTree(notes.path("configurationSchema").asText());
        assertThat(schema.path("properties").path("theme").path("enum")).extracting(JsonNode::asText).containsExactly("light", "dark");
        assertThat(schema.path("properties").path("offline").path("type").asText()).isEqualTo("boolean");

        // A device in a group; the app REQUIRED there with its configuration.
        Group group = kernel.groups().create(TestKernel.ADMIN, "Sales phones", "", Optional.empty());
        Enrolled device = enroll("5d6e7f", group);
        String appId = notes.path("id").asText();
        HttpResponse<String> invalid = admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(),
                "{\"intent\": \"REQUIRED\", \"configuration\": {\"theme\": \"purple\"}}");
        assertThat(invalid.statusCode()).as("the configuration is checked against the app's schema").isEqualTo(400);
        HttpResponse<String> assigned = admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(),
                "{\"intent\": \"REQUIRED\", \"configuration\": {\"serverUrl\": \"https://notes.example.com\", \"theme\": \"dark\"}}");
        assertThat(assigned.statusCode()).as(assigned.body()).isEqualTo(200);

        // The device's policy gets it FORCE_INSTALLED with the configuration; the command waits for the device.
        JsonNode entry = awaitApplication(device.name(), NOTES, "FORCE_INSTALLED");
        assertThat(entry.path("managedConfiguration").path("serverUrl").asText()).isEqualTo("https://notes.example.com");
        assertThat(entry.has("minimumVersionCode")).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), NOTES).state() == AppInstallState.INSTALLING);
        UUID install = UUID.fromString(appState(device.id(), NOTES).commandId().orElseThrow());
        assertThat(kernel.commands().get(install).orElseThrow().command().state()).isEqualTo(CommandState.SENT);

        // The device reports the app: INSTALLED with its version, the command acknowledged.
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(), Map.of(NOTES, Map.entry("1.0", 10))));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), NOTES).state() == AppInstallState.INSTALLED);
        assertThat(appState(device.id(), NOTES).installedVersion()).contains("1.0");
        assertThat(kernel.commands().get(install).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);

        // A new version on Play: the catalog's sync sees it, and the policy requires at least its version code.
        google.publishApp(NOTES, "Notes", orderedVersions("1.0", 10, "1.1", 11), List.of(Map.of("key", "serverUrl", "type", "STRING")));
        assertThat(admin("POST", "/api/v1/app-stores/google-play/sync", "").statusCode()).isEqualTo(200);
        assertThat(catalogApp(NOTES).path("version").asText()).isEqualTo("1.1");
        await().atMost(Duration.ofSeconds(20)).until(() -> awaitApplication(device.name(), NOTES, "FORCE_INSTALLED").path("minimumVersionCode").asInt() == 11);
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(), Map.of(NOTES, Map.entry("1.1", 11))));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), NOTES).state() == AppInstallState.INSTALLED
                && appState(device.id(), NOTES).installedVersion().equals(Optional.of("1.1")));

        // A second app the device cannot install: FAILED with the device's reason.
        String mapsId = catalogApp(MAPS).path("id").asText();
        assertThat(admin("PUT", "/api/v1/apps/" + mapsId + "/assignments/" + group.id(), "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);
        awaitApplication(device.name(), MAPS, "FORCE_INSTALLED");
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(Map.of("settingName", "applications", "packageName", MAPS,
                "nonComplianceReason", "APP_NOT_INSTALLED", "installationFailureReason", "NOT_COMPATIBLE_WITH_DEVICE")),
                Map.of(NOTES, Map.entry("1.1", 11))));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), MAPS).state() == AppInstallState.FAILED);
        assertThat(appState(device.id(), MAPS).reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("APP_NOT_INSTALLED").contains("NOT_COMPATIBLE_WITH_DEVICE"));

        // AVAILABLE: offered in managed Play with its configuration, for the user to install or not. The offer is done
        // once Google accepted the policy; the device's reports then say whether the user installed the app.
        String chatId = catalogApp(CHAT).path("id").asText();
        assertThat(admin("PUT", "/api/v1/apps/" + chatId + "/assignments/" + group.id(),
                "{\"intent\": \"AVAILABLE\", \"configuration\": {\"workspace\": \"sales\"}}").statusCode()).isEqualTo(200);
        JsonNode offered = awaitApplication(device.name(), CHAT, "AVAILABLE");
        assertThat(offered.path("managedConfiguration").path("workspace").asText()).isEqualTo("sales");
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), CHAT).commandId().flatMap(id ->
                kernel.commands().get(UUID.fromString(id))).map(record -> record.command().state() == CommandState.ACKNOWLEDGED).orElse(false));
        assertThat(appState(device.id(), CHAT).intent()).isEqualTo(AppIntent.AVAILABLE);
        assertThat(appState(device.id(), CHAT).state()).as("offered, not installed").isEqualTo(AppInstallState.REMOVED);
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(), Map.of(NOTES, Map.entry("1.1", 11), CHAT, Map.entry("2.0", 20))));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), CHAT).state() == AppInstallState.INSTALLED);
        assertThat(appState(device.id(), CHAT).installedVersion()).contains("2.0");
        // the user removes it: REMOVED, and still only offered, never forced back
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(), Map.of(NOTES, Map.entry("1.1", 11))));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), CHAT).state() == AppInstallState.REMOVED);
        assertThat(application(device.name(), CHAT).orElseThrow().path("installType").asText()).isEqualTo("AVAILABLE");
        // no longer offered: UNINSTALL blocks it in the policy although it is not installed
        assertThat(admin("PUT", "/api/v1/apps/" + chatId + "/assignments/" + group.id(), "{\"intent\": \"UNINSTALL\"}").statusCode())
                .isEqualTo(200);
        assertThat(awaitApplication(device.name(), CHAT, "BLOCKED").has("managedConfiguration")).isFalse();

        // UNINSTALL: the app is blocked, which removes it; the report without it makes it REMOVED.
        assertThat(admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(), "{\"intent\": \"UNINSTALL\"}").statusCode()).isEqualTo(200);
        JsonNode blocked = awaitApplication(device.name(), NOTES, "BLOCKED");
        assertThat(blocked.has("managedConfiguration")).isFalse();
        assertThat(blocked.has("minimumVersionCode")).isFalse();
        push("STATUS_REPORT", google.statusReport(device.name(), List.of(), Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> appState(device.id(), NOTES).state() == AppInstallState.REMOVED);
        assertThat(kernel.devices().inventory(device.id())).doesNotContainKey("app." + NOTES).containsKey("app.com.android.chrome");
    }

    @Test
    void anInstallGoogleRefusesFailsWithGooglesWordsAndLeavesThePolicyAsItWas() throws Exception {
        assertThat(admin("POST", "/api/v1/plugins/appstore-google-play/managed-play/apps", "{\"packageName\": \"" + MAPS + "\"}")
                .statusCode()).isEqualTo(201);
        assertThat(admin("POST", "/api/v1/app-stores/google-play/sync", "").statusCode()).isEqualTo(200);
        Group group = kernel.groups().create(TestKernel.ADMIN, "Drivers", "", Optional.empty());
        Enrolled device = enroll("9a8b7c", group);
        String policyBefore = google.device(device.name()).orElseThrow().path("policyName").asText();
        google.refuseNext(request -> request.method().equals("PATCH") && request.path().contains("/policies/") && request.body().contains(MAPS),
                400, Map.of(), "FAILED_PRECONDITION", "The app com.example.maps is not available to this enterprise.");

        String mapsId = catalogApp(MAPS).path("id").asText();
        assertThat(admin("PUT", "/api/v1/apps/" + mapsId + "/assignments/" + group.id(), "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);

        // the device has no state for the app until the kernel reconciles it
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> appState(device.id(), MAPS).state() == AppInstallState.FAILED);
        assertThat(appState(device.id(), MAPS).reason()).hasValueSatisfying(reason ->
                assertThat(reason).contains("not available to this enterprise"));
        assertThat(google.device(device.name()).orElseThrow().path("policyName").asText()).as("the device keeps its policy").isEqualTo(policyBefore);
        assertThat(application(device.name(), MAPS)).isEmpty();
    }

    private static Map<String, Integer> orderedVersions(String first, int firstCode, String second, int secondCode) {
        Map<String, Integer> versions = new LinkedHashMap<>();
        versions.put(first, firstCode);
        versions.put(second, secondCode);
        return versions;
    }

    /** The device's policy entry for the package once it has this install type. */
    private JsonNode awaitApplication(String deviceName, String packageName, String installType) {
        await().atMost(Duration.ofSeconds(20)).until(() -> application(deviceName, packageName)
                .map(entry -> entry.path("installType").asText().equals(installType)).orElse(false));
        return application(deviceName, packageName).orElseThrow();
    }

    private Optional<JsonNode> application(String deviceName, String packageName) {
        String policyName = google.device(deviceName).orElseThrow().path("policyName").asText();
        Optional<JsonNode> policy = google.policy(policyName);
        if (policy.isEmpty()) {
            return Optional.empty();
        }
        for (JsonNode entry : policy.get().path("applications")) {
            if (entry.path("packageName").asText().equals(packageName)) {
                return Optional.of(entry);
            }
        }
        return Optional.empty();
    }

    private DeviceAppState appState(DeviceId device, String identifier) {
        return kernel.apps().appsOf(device).stream().filter(state -> state.identifier().equals(identifier)).findFirst()
                .orElseThrow(() -> new AssertionError("no state of " + identifier));
    }

    private JsonNode catalogApp(String packageName) throws Exception {
        HttpResponse<String> listed = admin("GET", "/api/v1/apps?storeId=google-play", "");
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        for (JsonNode app : JSON.readTree(listed.body())) {
            if (app.path("storeAppId").asText().equals(packageName)) {
                return app;
            }
        }
        throw new AssertionError("the catalog has no " + packageName + ": " + listed.body());
    }

    private record Enrolled(DeviceId id, String name) {
    }

    private Enrolled enroll(String id, Group group) throws Exception {
        String secret = AndroidServerCalls.enrollmentSecret(server, "CORPORATE", Optional.of(group.id()));
        assertThat(server.get("/enroll/" + secret + "?platform=android").statusCode()).isEqualTo(200);
        JsonNode enrolled = google.enroll(id, google.latestTokenValue(), "COMPANY_OWNED", "DEVICE_OWNER");
        push("ENROLLMENT", enrolled);
        String name = enrolled.path("name").asText();
        return new Enrolled(kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", name).orElseThrow(), name);
    }

    private void push(String type, JsonNode data) throws Exception {
        HttpResponse<String> pushed = AndroidServerCalls.push(server, pushUrl, type, data);
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(204);
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return AndroidServerCalls.admin(server, method, path, body);
    }
}
