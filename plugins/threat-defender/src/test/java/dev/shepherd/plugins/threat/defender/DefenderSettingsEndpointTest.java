package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings endpoint: credentials checked with Entra before they are kept, the secret sealed and never shown. */
class DefenderSettingsEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private LocalDefender defender;
    private DefenderConnection connection;
    private DefenderSettingsEndpoint endpoint;

    @BeforeEach
    void start() throws Exception {
        defender = LocalDefender.start(clock);
        connection = new DefenderConnection(DefenderTestSettings.settings(defender, 1_000, 25), storage, TestSecrets.sealer(), clock);
        endpoint = new DefenderSettingsEndpoint(connection);
    }

    @AfterEach
    void stop() {
        defender.close();
    }

    private DeviceResponse call(String method, String body) throws Exception {
        return endpoint.handle(new AdminRequest(method, "/settings", Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8), "ada", "ADMIN"));
    }

    private String settings(String secret) {
        return "{\"tenantId\":\"" + LocalDefender.TENANT + "\",\"clientId\":\"" + LocalDefender.CLIENT_ID + "\","
                + (secret == null ? "" : "\"clientSecret\":\"" + secret + "\",") + "\"apiBaseUrl\":\"" + defender.url() + "\"}";
    }

    @Test
    void checkedCredentialsAreStoredWithTheSecretSealedAndNeverShown() throws Exception {
        DeviceResponse put = call("PUT", settings(LocalDefender.CLIENT_SECRET));
        assertThat(put.status()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(200);

        JsonNode shown = JSON.readTree(call("GET", "").body());
        assertThat(shown.path("configured").asBoolean()).isTrue();
        assertThat(shown.path("clientSecretSet").asBoolean()).isTrue();
        assertThat(shown.path("tenantId").asText()).isEqualTo(LocalDefender.TENANT);
        assertThat(shown.path("apiBaseUrls")).hasSize(DefenderCredentials.API_BASE_URLS.size());
        assertThat(shown.toString()).doesNotContain(LocalDefender.CLIENT_SECRET);
        for (String key : storage.keys("")) {
            assertThat(new String(storage.get(key).orElseThrow(), StandardCharsets.ISO_8859_1)).doesNotContain(LocalDefender.CLIENT_SECRET);
        }
        assertThat(connection.credentials().orElseThrow().clientSecret()).isEqualTo(LocalDefender.CLIENT_SECRET);

        // Left out, the secret stays: an admin moves to another region without retyping it.
        assertThat(call("PUT", settings(null)).status()).isEqualTo(200);
        assertThat(connection.credentials().orElseThrow().clientSecret()).isEqualTo(LocalDefender.CLIENT_SECRET);

        assertThat(call("DELETE", "").status()).isEqualTo(204);
        assertThat(connection.credentials()).isEmpty();
        assertThat(call("DELETE", "").status()).isEqualTo(404);
    }

    @Test
    void credentialsEntraRefusesAreNotStored() throws Exception {
        DeviceResponse put = call("PUT", settings("wrong-secret-value"));
        assertThat(put.status()).isEqualTo(400);
        assertThat(put.headers().get("Content-Type")).startsWith("application/problem+json");
        assertThat(new String(put.body(), StandardCharsets.UTF_8)).contains("AADSTS7000215").doesNotContain("wrong-secret-value");
        assertThat(connection.credentials()).isEmpty();
    }

    @Test
    void malformedSettingsAreRefusedWithTheFieldNamed() throws Exception {
        assertThat(problem(call("PUT", "not json"))).contains("JSON object");
        assertThat(problem(call("PUT", "[]"))).contains("JSON object");
        assertThat(problem(call("PUT", settings(LocalDefender.CLIENT_SECRET).replace("\"tenantId\"", "\"tenant\"")))).contains("Unknown field tenant");
        assertThat(problem(call("PUT", settings(null)))).contains("clientSecret is missing");
        assertThat(problem(call("PUT", settings(LocalDefender.CLIENT_SECRET).replace(LocalDefender.CLIENT_ID, "not-a-guid")))).contains("clientId");
        assertThat(problem(call("PUT", settings(LocalDefender.CLIENT_SECRET).replace(defender.url().toString(), "https://evil.example"))))
                .contains("apiBaseUrl must be one of");
        assertThat(problem(call("PUT", "{\"tenantId\":{\"nested\":1}}"))).contains("must be a string");
        assertThat(call("POST", "{}").status()).isEqualTo(405);
        assertThat(connection.credentials()).isEmpty();
    }

    @Test
    void anUnreachableEntraIsABadGatewayNotTheAdminsFault() throws Exception {
        defender.close();
        DeviceResponse put = call("PUT", settings(LocalDefender.CLIENT_SECRET));
        assertThat(put.status()).isEqualTo(502);
        assertThat(new String(put.body(), StandardCharsets.UTF_8)).contains("could not be checked");
    }

    private static String problem(DeviceResponse response) {
        assertThat(response.status()).isEqualTo(400);
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
