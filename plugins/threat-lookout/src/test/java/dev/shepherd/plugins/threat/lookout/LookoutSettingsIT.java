package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plugin loaded from its real file into a running server: an admin sets the Lookout application key through the
 * plugin's admin endpoint, which checks it with Lookout (here {@link LocalLookout}) before sealing it, never returns
 * it, refuses bad input with problem+json, and the console lists the connector's page.
 */
class LookoutSettingsIT {

    private static final String SETTINGS = "/api/v1/plugins/threat-lookout/settings";

    @TempDir
    static Path home;
    private static TestServer server;
    private static LocalLookout lookout;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        lookout = new LocalLookout();
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-lookout.zip"));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> server.getAsAdmin(SETTINGS).statusCode() == 200);
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
    void anAdminSetsTheApplicationKeyWhichLookoutChecksAndTheServerNeverShowsAgain() throws Exception {
        JsonNode initial = json.readTree(server.getAsAdmin(SETTINGS).body());
        assertThat(initial.path("applicationKeySet").asBoolean()).isFalse();
        assertThat(initial.path("apiBaseUrl").asText()).isEqualTo("https://api.lookout.com");

        HttpResponse<String> refused = server.sendAsAdmin("PUT", SETTINGS,
                body("not-a-key-lookout-issued", lookout.baseUrl().toString()));
        assertProblem(refused, 400, "Lookout refused the application key (invalid_client)");
        assertThat(refused.body()).doesNotContain("not-a-key-lookout-issued");

        lookout.down(true);
        String key = lookout.issueApplicationKey();
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, body(key, lookout.baseUrl().toString())), 502, "nothing was stored");
        lookout.down(false);

        HttpResponse<String> set = server.sendAsAdmin("PUT", SETTINGS, body(key, lookout.baseUrl().toString()));
        assertThat(set.statusCode()).isEqualTo(200);
        JsonNode settings = json.readTree(set.body());
        assertThat(settings.path("applicationKeySet").asBoolean()).isTrue();
        assertThat(settings.path("apiBaseUrl").asText()).isEqualTo(lookout.baseUrl().toString());
        assertThat(settings.path("connectorId").asText()).isEqualTo("lookout");
        assertThat(set.body()).doesNotContain(key);
        assertThat(server.getAsAdmin(SETTINGS).body()).doesNotContain(key);

        assertThat(server.sendAsAdmin("DELETE", SETTINGS, null).statusCode()).isEqualTo(204);
        assertThat(json.readTree(server.getAsAdmin(SETTINGS).body()).path("applicationKeySet").asBoolean()).isFalse();
    }

    @Test
    void badSettingsAreRefusedWithProblemDetails() {
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "[1, 2"), 400, "JSON object");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"applicationKey\": 42}"), 400, "must be strings");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"apiBaseUrl\": \"http://lookout.example.com\"}"), 400, "must use https");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"apiBaseUrl\": \"https://api.lookout.com/mra?x=1\"}"), 400, "scheme, a host");
        assertProblem(server.sendAsAdmin("PUT", SETTINGS, "{\"applicationKey\": \"has spaces in it\"}"), 400, "printable ASCII");
        assertProblem(server.sendAsAdmin("POST", SETTINGS, "{}"), 405, "Use GET, PUT or DELETE");
        assertThat(server.get(SETTINGS).statusCode()).isEqualTo(401);
    }

    @Test
    void theConsoleListsTheConnectorsPage() {
        assertThat(server.getAsAdmin("/api/v1/console/pages").body()).contains("threat-lookout").contains("lookout-settings.js");
    }

    private String body(String key, String baseUrl) {
        return json.createObjectNode().put("applicationKey", key).put("apiBaseUrl", baseUrl).toString();
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.body()).contains(detail);
    }
}
