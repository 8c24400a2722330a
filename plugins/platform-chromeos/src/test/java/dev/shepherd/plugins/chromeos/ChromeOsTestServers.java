package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real server with the ChromeOS plugin loaded from its file ({@code shepherd.pluginFile}) and pointed at a
 * {@link LocalGoogle}, for the end-to-end tests of the plugin and of its console page.
 */
final class ChromeOsTestServers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChromeOsTestServers() {
    }

    /**
     * A Google stand-in with the org units /Sales (two Chromebooks, of Ana and Ben) and /Lab (one, of Cho), the
     * organisation the end-to-end tests manage.
     */
    static LocalGoogle salesAndLab() throws Exception {
        LocalGoogle google = LocalGoogle.start();
        google.addOrgUnit("/Sales", "03ph8a2z1sales");
        google.addOrgUnit("/Lab", "03ph8a2z2lab");
        google.addDevice("d1a2b3c4-0001", "5CD1230001", "/Sales", "ana@example.com");
        google.addDevice("d1a2b3c4-0002", "5CD1230002", "/Sales", "ben@example.com");
        google.addDevice("d1a2b3c4-0003", "5CD1230003", "/Lab", "cho@example.com");
        return google;
    }

    /** A request to the server's admin API as the built-in admin. */
    static HttpResponse<String> admin(TestServer server, String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** The id of what a request created, which must have answered 201. */
    static String id(HttpResponse<String> created) throws IOException {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).path("id").asText();
    }

    /** The registry's id of a Chromebook synced from Google. */
    static DeviceId chromebook(TestServer server, String googleId) {
        return server.server().kernel().devices().idByHardwareId(Platform.CHROMEOS, "chromeDeviceId", googleId).orElseThrow();
    }

    /** A setting's state on a device, or null when the device has no such setting. */
    static SettingState settingState(TestServer server, DeviceId device, String key) {
        return server.server().kernel().policies().settingStates(device).stream().filter(s -> s.settingKey().equals(key))
                .map(DeviceSettingState::state).findFirst().orElse(null);
    }

    /**
     * Starts the server, installs the plugin and waits until its admin endpoints answer.
     *
     * @param home an empty folder for the server
     * @param google the Google stand-in
     * @param settings plugin settings added to, or replacing, the defaults below
     * @return the running server; close it
     */
    static TestServer start(Path home, LocalGoogle google, Map<String, String> settings) throws IOException {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("adminUser", "it-admin@example.com");
        all.put("directoryUrl", google.url());
        all.put("policyUrl", google.url());
        all.put("managementUrl", google.url());
        all.put("tokenUrl", google.url() + "/token");
        // Syncs run when a test asks; the first scheduled one would come 30 s after the plugin starts.
        all.put("syncInterval", "PT1H");
        all.put("commandInterval", "PT0.3S");
        all.put("retryDelay", "PT0.05S");
        all.put("maxAttempts", "3");
        all.putAll(settings);
        StringBuilder yaml = new StringBuilder("plugins:\n  config:\n    chromeos:\n");
        all.forEach((key, value) -> yaml.append("      ").append(key).append(": \"").append(value).append("\"\n"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), yaml);
        TestServer server = TestServer.start(home);
        try {
            Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("chromeos.zip"));
            await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin("/api/v1/plugins/chromeos/sync").statusCode() == 200);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }
}
