package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A private iPhone app end to end: the iOS plugin and the private-packages plugin loaded from their files by a running
 * server with HTTPS, an {@code .ipa} uploaded by an admin, assigned REQUIRED to a group holding one of two iPhones,
 * and the Apple device simulator installing it as an iPhone does: {@code InstallApplication} with the URL of a
 * manifest made for it, the manifest and the package downloaded over the server's HTTPS, the package checked against
 * the manifest's SHA-256. The iPhone outside the group gets nothing; a new upload updates the app; UNINSTALL removes it.
 */
class PrivateAppsOnIphonesIT {

    private static final String TOPIC = "com.apple.mgmt.External.7d1e2c3b-4a5f-4e6d-8c7b-9a0b1c2d3e4f";
    private static final String PACKAGES = "/api/v1/plugins/appstore-private/packages";
    private static final String BUNDLE = "com.example.fieldnotes";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path home;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    apple-ios:\n      topic: " + TOPIC + "\n");
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"), Clock.systemUTC());
        Files.copy(Path.of(System.getProperty("shepherd.iosPluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-private.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/mdm/apple-ios/checkin").statusCode() == 405
                && server.getAsAdmin(PACKAGES).statusCode() == 200);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anIphoneInTheGroupInstallsThePrivateAppFromItsOwnManifestUpdatesItAndRemovesIt() throws Exception {
        AppleDeviceSimulator inGroup = enrolledIphone("B1000001-0011223344556677");
        AppleDeviceSimulator outside = enrolledIphone("B2000002-0011223344556677");
        upload(TestPackages.ipa(BUNDLE, "1.0", "Field Notes"));
        admin("POST", "/api/v1/app-stores/private/sync", "", 200);
        String appId = admin("GET", "/api/v1/apps?storeId=private", "", 200).get(0).path("id").asText();
        String groupId = admin("POST", "/api/v1/groups", "{\"name\": \"Field\"}", 201).path("id").asText();
        admin("POST", "/api/v1/groups/" + groupId + "/members", json.writeValueAsString(Map.of("add", List.of(deviceId(inGroup)))), 200);

        admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"REQUIRED\"}", 200);

        await().atMost(PATIENCE).until(() -> {
            inGroup.acknowledgeAll();
            return "INSTALLED 1.0".equals(state(appId, inGroup));
        });
        NSDictionary install = (NSDictionary) inGroup.appCommands().get(0).objectForKey("Command");
        assertThat(Plists.string(install, "RequestType")).isEqualTo("InstallApplication");
        assertThat(Plists.string(install, "ManifestURL")).startsWith("https://localhost:").contains("/mdm/appstore-private/manifests/")
                .contains(deviceId(inGroup));
        assertThat(inGroup.installedApps().get(BUNDLE).shortVersion()).isEqualTo("1.0");
        outside.acknowledgeAll();
        assertThat(outside.appCommands()).as("not assigned, nothing sent").isEmpty();
        assertThat(outside.installedApps()).doesNotContainKey(BUNDLE);

        // A new build uploaded: the next sync brings 1.1 and the iPhone updates from a fresh manifest.
        upload(TestPackages.ipa(BUNDLE, "1.1", "Field Notes"));
        admin("POST", "/api/v1/app-stores/private/sync", "", 200);
        await().atMost(PATIENCE).until(() -> {
            inGroup.acknowledgeAll();
            return "INSTALLED 1.1".equals(state(appId, inGroup));
        });
        assertThat(inGroup.installedApps().get(BUNDLE).shortVersion()).isEqualTo("1.1");

        admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"UNINSTALL\"}", 200);
        await().atMost(PATIENCE).until(() -> {
            inGroup.acknowledgeAll();
            return state(appId, inGroup).startsWith("REMOVED");
        });
        assertThat(inGroup.installedApps()).doesNotContainKey(BUNDLE);
        NSDictionary last = inGroup.appCommands().get(inGroup.appCommands().size() - 1);
        assertThat(Plists.string((NSDictionary) last.objectForKey("Command"), "RequestType")).isEqualTo("RemoveApplication");
    }

    private AppleDeviceSimulator enrolledIphone(String udid) throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        return iphone;
    }

    private String deviceId(AppleDeviceSimulator iphone) {
        return server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
    }

    /** @return the device's state of the app with its version, e.g. {@code INSTALLED 1.0}, or empty */
    private String state(String appId, AppleDeviceSimulator iphone) throws Exception {
        for (JsonNode state : admin("GET", "/api/v1/apps/" + appId + "/devices", "", 200)) {
            if (state.path("deviceId").asText().equals(deviceId(iphone))) {
                return (state.path("state").asText() + " " + state.path("installedVersion").asText()).trim();
            }
        }
        return "";
    }

    private void upload(byte[] ipa) {
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri(PACKAGES))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ipa)).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isIn(200, 201);
    }

    private JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expectedStatus);
        return response.body().isEmpty() ? json.createObjectNode() : json.readTree(response.body());
    }
}
