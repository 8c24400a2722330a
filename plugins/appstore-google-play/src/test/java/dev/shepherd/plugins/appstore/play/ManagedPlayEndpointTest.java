package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the console's managed Google Play page calls: web tokens for the iframe, and the store's catalog. */
class ManagedPlayEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LocalPlay google;
    private PlayServiceAccountKeys keys;
    private ManagedPlayEndpoint endpoint;

    @BeforeEach
    void start() throws Exception {
        google = LocalPlay.start();
        MemoryPluginStorage storage = new MemoryPluginStorage();
        keys = new PlayServiceAccountKeys(storage, TestSecrets.sealer());
        keys.upload(google.serviceAccountKey());
        PluginConfig config = () -> Map.of("apiUrl", google.url(), "enterprise", LocalPlay.ENTERPRISE);
        PlayContext context = new PlayContext(config);
        PlayApi api = new PlayApi(keys, context);
        PlayCatalog catalog = new PlayCatalog(storage, api);
        endpoint = new ManagedPlayEndpoint(catalog, new GooglePlayConnector(catalog, keys, context, Clock.systemUTC()), api, context);
    }

    @AfterEach
    void stop() {
        google.close();
        assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
    }

    @Test
    void aWebTokenOpensTheIframeWithTheFeaturesAsked() throws Exception {
        DeviceResponse defaults = call("POST", "/managed-play/web-token", "{\"parentFrameUrl\": \"https://mdm.example.com/play\"}");
        DeviceResponse chosen = call("POST", "/managed-play/web-token",
                "{\"parentFrameUrl\": \"https://mdm.example.com/play\", \"features\": [\"PLAY_SEARCH\", \"WEB_APPS\", \"PLAY_SEARCH\"]}");

        assertThat(defaults.status()).isEqualTo(200);
        assertThat(json(defaults).path("iframeUrl").asText()).isEqualTo("https://play.google.com/work/embedded/search?token=WTTEST1&mode=SELECT");
        assertThat(json(defaults).path("scriptUrl").asText()).isEqualTo("https://apis.google.com/js/api.js");
        assertThat(google.webTokenRequests().get(0).path("enabledFeatures")).extracting(JsonNode::asText).containsExactly("PLAY_SEARCH", "PRIVATE_APPS");
        assertThat(chosen.status()).isEqualTo(200);
        assertThat(google.webTokenRequests().get(1).path("enabledFeatures")).extracting(JsonNode::asText).containsExactly("PLAY_SEARCH", "WEB_APPS");
    }

    @Test
    void badRequestsAreRefusedWithAProblemBeforeGoogleIsAsked() throws Exception {
        for (String body : List.of("", "[]", "{\"parentFrameUrl\": \"http://mdm.example.com/\"}", "{\"parentFrameUrl\": \"/relative\"}",
                "{\"parentFrameUrl\": \"https://mdm.example.com/\", \"features\": [\"ZERO_TOUCH_CUSTOMER_MANAGEMENT\"]}")) {
            DeviceResponse refused = call("POST", "/managed-play/web-token", body);
            assertThat(refused.status()).as(body).isEqualTo(400);
            assertThat(refused.headers().get("Content-Type")).startsWith("application/problem+json");
        }
        assertThat(call("POST", "/managed-play/apps", "{\"packageName\": \"not a package\"}").status()).isEqualTo(400);
        assertThat(call("POST", "/managed-play/apps", "{\"packageName\": \"" + "a.b".repeat(100) + "\"}").status()).isEqualTo(400);
        assertThat(call("GET", "/managed-play/web-token", "").status()).isEqualTo(405);
        assertThat(call("PUT", "/managed-play/apps", "").status()).isEqualTo(405);
        assertThat(call("GET", "/managed-play/other", "").status()).isEqualTo(404);
        assertThat(google.webTokenRequests()).isEmpty();
    }

    @Test
    void appsAreAddedListedAndLeftOut() throws Exception {
        google.publish("com.example.notes", "[{\"key\": \"server\", \"type\": \"STRING\"}]",
                "[{\"versionString\": \"2.1\", \"versionCode\": 21, \"production\": true}]");

        DeviceResponse added = call("POST", "/managed-play/apps", "{\"packageName\": \"com.example.notes\"}");
        assertThat(added.status()).isEqualTo(201);
        assertThat(json(added)).isEqualTo(JSON.readTree("""
                {"packageName": "com.example.notes", "title": "Title of com.example.notes", "publisher": "Example Corp", "version": "2.1",
                 "icon": "https://play-lh.googleusercontent.com/com.example.notes", "managedConfiguration": true}"""));
        assertThat(call("POST", "/managed-play/apps", "{\"packageName\": \"com.example.unapproved\"}").status()).isEqualTo(404);
        assertThat(json(call("GET", "/managed-play/apps", "")).path("apps")).extracting(app -> app.path("packageName").asText())
                .containsExactly("com.example.notes");

        assertThat(call("DELETE", "/managed-play/apps/com.example.notes", "").status()).isEqualTo(204);
        assertThat(call("DELETE", "/managed-play/apps/com.example.notes", "").status()).isEqualTo(404);
        assertThat(json(call("GET", "/managed-play/apps", "")).path("apps")).isEmpty();
    }

    @Test
    void googlesTroubleIsABadGatewayAndAMissingKeyAConflict() throws Exception {
        google.failWith(503);
        DeviceResponse unavailable = call("POST", "/managed-play/apps", "{\"packageName\": \"com.example.notes\"}");
        assertThat(unavailable.status()).isEqualTo(502);
        assertThat(json(unavailable).path("detail").asText()).contains("Google could not answer");
        google.failWith(0);

        keys.remove();
        DeviceResponse unconfigured = call("POST", "/managed-play/web-token", "{\"parentFrameUrl\": \"https://mdm.example.com/play\"}");
        assertThat(unconfigured.status()).isEqualTo(409);
        assertThat(json(unconfigured).path("detail").asText()).contains("service-account");
    }

    private DeviceResponse call(String method, String path, String body) {
        return endpoint.handle(new AdminRequest(method, path, Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8), "admin", "ADMIN"));
    }

    private static JsonNode json(DeviceResponse response) throws Exception {
        return JSON.readTree(response.body());
    }
}
