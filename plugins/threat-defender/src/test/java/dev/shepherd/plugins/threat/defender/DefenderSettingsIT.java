package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plugin loaded from its real file into a running server, pointed at {@link LocalDefender}: the settings endpoint
 * behind the admin API's authentication and the {@code plugin_manage} permission, the secret never returned, and
 * the console page listed for admins who may use it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DefenderSettingsIT {

    private static final String ENDPOINT = "/api/v1/plugins/threat-defender/settings";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    private LocalDefender defender;
    private TestServer server;

    @BeforeAll
    void start() throws Exception {
        defender = LocalDefender.start(Clock.systemUTC());
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    threat-defender:\n"
                + "      loginUrl: \"" + defender.url() + "\"\n      pollInterval: PT1S\n");
        server = TestServer.start(home);
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("threat-defender.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin(ENDPOINT).statusCode() == 200);
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
    void anAdminConnectsDefenderAndNeverSeesTheSecretAgain() throws Exception {
        assertThat(JSON.readTree(server.getAsAdmin(ENDPOINT).body()).path("configured").asBoolean()).isFalse();

        HttpResponse<String> refused = server.sendAsAdmin("PUT", ENDPOINT, settings("wrong-secret-value"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("AADSTS7000215").doesNotContain("wrong-secret-value");

        HttpResponse<String> saved = server.sendAsAdmin("PUT", ENDPOINT, settings(LocalDefender.CLIENT_SECRET));
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        JsonNode shown = JSON.readTree(server.getAsAdmin(ENDPOINT).body());
        assertThat(shown.path("configured").asBoolean()).isTrue();
        assertThat(shown.path("apiBaseUrl").asText()).isEqualTo(defender.url().toString());
        assertThat(shown.toString()).doesNotContain(LocalDefender.CLIENT_SECRET);
    }

    @Test
    void onlyAdminsWhoMayManagePluginsReachTheSettingsOrSeeThePage() throws Exception {
        HttpResponse<String> helpdesk = server.send(HttpRequest.newBuilder(server.uri(ENDPOINT))
                .header("Authorization", TestServer.basic("desk", "desk-password-123")).GET().build());
        assertThat(helpdesk.statusCode()).isEqualTo(403);
        assertThat(server.get(ENDPOINT).statusCode()).isEqualTo(401);

        assertThat(server.getAsAdmin("/api/v1/console/pages").body()).contains("defender-settings").contains("Defender connection");
        HttpResponse<String> deskPages = server.send(HttpRequest.newBuilder(server.uri("/api/v1/console/pages"))
                .header("Authorization", TestServer.basic("desk", "desk-password-123")).GET().build());
        assertThat(deskPages.body()).doesNotContain("defender-settings");
    }

    private String settings(String secret) {
        return "{\"tenantId\":\"" + LocalDefender.TENANT + "\",\"clientId\":\"" + LocalDefender.CLIENT_ID + "\",\"clientSecret\":\""
                + secret + "\",\"apiBaseUrl\":\"" + defender.url() + "\"}";
    }
}
