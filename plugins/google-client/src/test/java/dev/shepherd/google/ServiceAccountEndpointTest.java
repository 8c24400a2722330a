package dev.shepherd.google;

import dev.shepherd.testing.TestSecrets;
import dev.shepherd.testing.MemoryPluginStorage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ServiceAccountEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a plugin registers: its summary, and what it tells about the account. */
    private static final class AcmeEndpoint extends ServiceAccountEndpoint {
        AcmeEndpoint(ServiceAccountKeys keys) {
            super(keys);
        }

        @Override
        public String summary() {
            return "The Google service account for Acme";
        }

        @Override
        protected Map<String, Object> describe(ServiceAccount account) {
            return Map.of("account", account.clientEmail(), "key", account.keyId());
        }
    }

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final ServiceAccountKeys keys = new ServiceAccountKeys(storage, TestSecrets.sealer(), "service-account", Set.of());
    private final AcmeEndpoint endpoint = new AcmeEndpoint(keys);

    @Test
    void theEndpointIsThePluginManagersAndTakesAKeyFile() {
        assertThat(endpoint.path()).isEqualTo("/service-account");
        assertThat(endpoint.permission()).isEqualTo("plugin_manage");
        assertThat(endpoint.maxBodyBytes()).isEqualTo(64 * 1024);
        assertThat(endpoint.summary()).isEqualTo("The Google service account for Acme");
    }

    @Test
    void aKeyIsUploadedShownWithoutItsSecretAndRemoved() throws IOException {
        assertProblem(endpoint.handle(request("GET", new byte[0])), 404, "No service-account key has been uploaded.");

        byte[] key = TestKeys.bytes(TestKeys.key(TestKeys.PAIR, "https://oauth2.googleapis.com/token"));
        DeviceResponse uploaded = endpoint.handle(request("PUT", key));
        assertThat(uploaded.status()).isEqualTo(200);
        assertThat(uploaded.headers()).containsEntry("Content-Type", "application/json");
        assertThat(JSON.readTree(uploaded.body())).isEqualTo(JSON.readTree("{\"account\":\"" + TestKeys.CLIENT_EMAIL
                + "\",\"key\":\"" + TestKeys.KEY_ID + "\"}"));
        assertThat(new String(uploaded.body(), StandardCharsets.UTF_8)).doesNotContain("PRIVATE KEY");

        DeviceResponse shown = endpoint.handle(request("GET", new byte[0]));
        assertThat(shown.status()).isEqualTo(200);
        assertThat(shown.body()).isEqualTo(uploaded.body());

        assertThat(endpoint.handle(request("DELETE", new byte[0])).status()).isEqualTo(204);
        assertThat(keys.current()).isEmpty();
        assertProblem(endpoint.handle(request("DELETE", new byte[0])), 404, "No service-account key has been uploaded.");
    }

    @Test
    void aWrongFileIsABadRequestSayingWhatIsWrong() throws IOException {
        assertProblem(endpoint.handle(request("PUT", "{\"type\":\"authorized_user\"}".getBytes(StandardCharsets.UTF_8))), 400,
                "The key's type is not service_account; download a JSON key of the service account in Google Cloud.");
        assertThat(storage.keys("")).isEmpty();
    }

    @Test
    void otherMethodsAreNotAllowed() throws IOException {
        DeviceResponse refused = endpoint.handle(request("POST", new byte[0]));
        assertProblem(refused, 405, "Use GET, PUT or DELETE.");
        assertThat(refused.headers()).containsEntry("Allow", "GET, PUT, DELETE");
    }

    private static AdminRequest request(String method, byte[] body) {
        return new AdminRequest(method, "/service-account", Map.of(), Map.of(), body, "alice", "admin");
    }

    private static void assertProblem(DeviceResponse response, int status, String detail) throws IOException {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.headers()).containsEntry("Content-Type", "application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asText()).isEqualTo(detail);
        assertThat(problem.path("type").asText()).isEqualTo("about:blank");
    }
}
