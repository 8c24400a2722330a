package dev.shepherd.setup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The setup routes through the running server: their answers, their permissions, and bad input as 4xx problems. */
class SetupApiTest {

    private static final String PASSWORD = "setup-api-test-password";

    @TempDir
    static Path home;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        server.server().adminUsers().create("desk", PASSWORD.toCharArray(), AdminRole.HELPDESK);
        server.server().adminUsers().create("auditor", PASSWORD.toCharArray(), AdminRole.AUDITOR);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theChecklistIsReadWithPluginReadAndChangedWithPluginManageOnly() throws Exception {
        JsonNode setup = json.readTree(server.getAsAdmin("/api/v1/setup").body());
        assertThat(setup.path("steps")).hasSize(5);
        assertThat(setup.path("steps").get(0).path("id").asText()).isEqualTo("public-url");
        assertThat(setup.path("steps").get(0).path("state").asText()).isEqualTo("TODO");
        assertThat(setup.path("complete").asBoolean()).isFalse();

        assertThat(as("desk", "GET", "/api/v1/setup", null).statusCode()).as("help desk has no plugin_read").isEqualTo(403);
        assertThat(as("auditor", "GET", "/api/v1/setup", null).statusCode()).isEqualTo(200);
        assertThat(as("auditor", "POST", "/api/v1/setup/dismiss", "").statusCode()).isEqualTo(403);
        assertThat(as("auditor", "PUT", "/api/v1/setup/windows-domain", "{\"domain\":\"example.com\"}").statusCode()).isEqualTo(403);

        HttpResponse<String> incomplete = server.sendAsAdmin("POST", "/api/v1/setup/dismiss", "");
        assertThat(incomplete.statusCode()).isEqualTo(409);
        assertThat(incomplete.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(incomplete.body()).path("detail").asText()).contains("still open", "Public URL and trusted TLS certificate");
    }

    @Test
    void enrollmentReadinessNamesWhatStopsAPlatformAndRefusesBadInput() throws Exception {
        JsonNode ios = json.readTree(as("desk", "GET", "/api/v1/setup/enrollment?platform=ios", null).body());
        assertThat(ios.path("pluginRunning").asBoolean()).isFalse();
        assertThat(ios.path("ready").asBoolean()).isFalse();
        assertThat(ios.path("blocking").findValuesAsText("id")).contains("public-url");

        HttpResponse<String> missing = server.getAsAdmin("/api/v1/setup/enrollment");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(json.readTree(missing.body()).path("detail").asText()).contains("platform");
        assertThat(server.getAsAdmin("/api/v1/setup/enrollment?platform=Not%20A%20Platform").statusCode()).isEqualTo(400);

        HttpResponse<String> badDomain = server.sendAsAdmin("PUT", "/api/v1/setup/windows-domain", "{\"domain\":\"not a domain\"}");
        assertThat(badDomain.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badDomain.body()).path("detail").asText()).contains("is not a domain name");
        assertThat(server.sendAsAdmin("PUT", "/api/v1/setup/windows-domain", "{}").statusCode()).isEqualTo(400);
        assertThat(server.sendAsAdmin("PUT", "/api/v1/setup/windows-domain", "{\"domain\":\"corp.example\"}").statusCode()).isEqualTo(200);
        assertThat(server.getAsAdmin("/api/v1/audit?action=setup.windows-domain").body()).contains("corp.example");
    }

    private HttpResponse<String> as(String username, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(username, PASSWORD));
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return server.send(request.build());
    }
}
