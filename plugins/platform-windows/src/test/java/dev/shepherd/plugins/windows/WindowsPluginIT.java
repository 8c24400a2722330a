package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Windows plugin loaded from its file by a real server: its lifecycle class is created with its WNS sender
 * injected, and removing the plugin stops the sender's threads.
 */
class WindowsPluginIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void thePluginStartsWithItsWnsSenderAndStopsItWhenRemoved() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    windows:
                      wnsPackageSid: "ms-app://s-1-15-2-1"
                      wnsClientSecret: "not-a-real-secret"
                """);
        server = TestServer.start(home);
        Path installed = Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));

        await().atMost(Duration.ofSeconds(20)).until(() -> plugin("windows").path("state").asText().equals("STARTED"));
        assertThat(senderThreads()).isEqualTo(1);

        Files.delete(installed);
        await().atMost(Duration.ofSeconds(20)).until(() -> plugin("windows").isEmpty() && senderThreads() == 0);
    }

    private JsonNode plugin(String id) throws Exception {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/plugins");
        assertThat(response.statusCode()).isEqualTo(200);
        for (JsonNode item : JSON.readTree(response.body()).path("items")) {
            if (item.path("id").asText().equals(id)) {
                return item;
            }
        }
        return JSON.createObjectNode();
    }

    private static long senderThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(thread -> thread.getName().equals("wns-sender-windows")).count();
    }
}
