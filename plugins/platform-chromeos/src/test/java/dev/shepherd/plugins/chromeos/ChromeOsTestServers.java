package dev.shepherd.plugins.chromeos;

import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * A real server with the ChromeOS plugin loaded from its file ({@code shepherd.pluginFile}) and pointed at a
 * {@link LocalGoogle}, for the end-to-end tests of the plugin and of its console page.
 */
final class ChromeOsTestServers {

    private ChromeOsTestServers() {
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
