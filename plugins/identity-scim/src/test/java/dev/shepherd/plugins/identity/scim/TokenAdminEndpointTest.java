package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Admins issue, list, rotate and revoke SCIM bearer tokens; the secret is in the answer that makes it, and nowhere else. */
class TokenAdminEndpointTest {

    private final BearerTokens tokens = new BearerTokens(new MemoryPluginStorage(), new TestClock(Instant.parse("2026-03-01T09:00:00Z")));
    private final TokenAdminEndpoint endpoint = new TokenAdminEndpoint(tokens);

    @Test
    void aTokenIsIssuedOnceListedWithoutItsSecretRotatedAndRevoked() throws IOException {
        assertThat(endpoint.permission()).isEqualTo("user_write");
        DeviceResponse issued = call("POST", "/tokens", "{\"label\": \"Okta\"}");
        assertThat(issued.status()).isEqualTo(201);
        assertThat(issued.headers()).containsEntry("Cache-Control", "no-store");
        JsonNode token = json(issued);
        String secret = token.path("token").asText();
        assertThat(secret).startsWith("scim_").hasSizeGreaterThan(40);
        assertThat(token.path("label").asText()).isEqualTo("Okta");
        assertThat(token.path("createdBy").asText()).isEqualTo("alice");
        assertThat(tokens.authenticate(secret)).isPresent();

        DeviceResponse listed = call("GET", "/tokens", "");
        assertThat(json(listed).path("items")).hasSize(1);
        assertThat(new String(listed.body(), StandardCharsets.UTF_8)).doesNotContain(secret);

        String id = token.path("id").asText();
        DeviceResponse rotated = call("POST", "/tokens/" + id + "/rotate", "");
        assertThat(rotated.status()).isEqualTo(200);
        String newSecret = json(rotated).path("token").asText();
        assertThat(newSecret).isNotEqualTo(secret);
        assertThat(tokens.authenticate(secret)).isEmpty();
        assertThat(tokens.authenticate(newSecret)).isPresent();

        assertThat(call("DELETE", "/tokens/" + id, "").status()).isEqualTo(204);
        assertThat(tokens.authenticate(newSecret)).isEmpty();
        assertThat(call("DELETE", "/tokens/" + id, "").status()).isEqualTo(404);
        assertThat(call("POST", "/tokens/" + id + "/rotate", "").status()).isEqualTo(404);
        assertThat(call("DELETE", "/tokens/../../x", "").status()).isEqualTo(404);
    }

    @Test
    void badRequestsAreProblems() {
        for (String body : new String[] {"{\"label\": 7}", "{\"label\": \"\"}", "{\"label\": \"" + "x".repeat(101) + "\"}", "{"}) {
            DeviceResponse refused = call("POST", "/tokens", body);
            assertThat(refused.status()).as(body).isEqualTo(400);
            assertThat(refused.headers().get("Content-Type")).isEqualTo("application/problem+json");
        }
        assertThat(call("PUT", "/tokens", "").status()).isEqualTo(405);
        assertThat(tokens.all()).isEmpty();
        assertThat(call("POST", "/tokens", "").status()).as("the label is optional").isEqualTo(201);
    }

    private DeviceResponse call(String method, String path, String body) {
        return endpoint.handle(new AdminRequest(method, path, Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8), "alice", "ADMIN"));
    }

    private static JsonNode json(DeviceResponse response) throws IOException {
        return ScimJson.MAPPER.readTree(response.body());
    }
}
