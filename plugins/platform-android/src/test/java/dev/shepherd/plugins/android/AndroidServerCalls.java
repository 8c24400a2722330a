package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What the Android plugin's end-to-end tests share: the server's settings for the stand-in for Google, admin API
 * calls, enrollment tokens, and Google's Pub/Sub pushes.
 */
final class AndroidServerCalls {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AndroidServerCalls() {
    }

    /**
     * Writes {@code conf/shepherd.yaml}: the Android plugin pointed at the stand-in, retrying fast, its own sweeps
     * left to the tests.
     *
     * @param morePlugins further plugins' settings, as YAML indented under {@code plugins.config}
     */
    static void configure(Path home, URI google, String morePlugins) throws IOException {
        configure(home, google, URI.create(AndroidSettings.GOOGLE_ZERO_TOUCH_API), morePlugins);
    }

    /** As {@link #configure(Path, URI, String)}, with the zero-touch customer API's stand-in at {@code zeroTouch}. */
    static void configure(Path home, URI google, URI zeroTouch, String morePlugins) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    android:
                      apiUrl: "%s"
                      zeroTouchApiUrl: "%s"
                      pubsubTopic: "projects/shepherd-test-project/topics/amapi"
                      retryDelay: "PT0.2S"
                      maxAttempts: "3"
                      retryLater: "PT0.5S"
                      syncInterval: "PT1H"
                      operationPollInterval: "PT1H"
                """.formatted(google, zeroTouch) + morePlugins);
    }

    /** A Pub/Sub push as Google's push subscription delivers it, to the endpoint the enterprise status names. */
    static HttpResponse<String> push(TestServer server, String pushUrl, String type, JsonNode data) throws IOException {
        String body = JSON.writeValueAsString(Map.of("message", Map.of(
                "attributes", Map.of("notificationType", type),
                "data", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(data)),
                "messageId", UUID.randomUUID().toString(), "publishTime", "2024-06-01T10:00:00Z"),
                "subscription", "projects/shepherd-test-project/subscriptions/shepherd"));
        URI uri = URI.create(pushUrl);
        return server.send(HttpRequest.newBuilder(server.uri(uri.getRawPath() + "?" + uri.getRawQuery()))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A call of the admin API as the bootstrap admin. */
    static HttpResponse<String> admin(TestServer server, String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** @return the secret of a new Android enrollment token, enrolling into the group when one is given */
    static String enrollmentSecret(TestServer server, String ownership, Optional<String> groupId) throws IOException {
        Map<String, Object> body = new HashMap<>(Map.of("name", "Android " + ownership, "ownership", ownership, "platform", "android",
                "maxUses", 5, "validForHours", 24));
        groupId.ifPresent(id -> body.put("groupId", id));
        HttpResponse<String> created = admin(server, "POST", "/api/v1/enrollment-tokens", JSON.writeValueAsString(body));
        if (created.statusCode() != 201) {
            throw new AssertionError("no enrollment token: " + created.statusCode() + " " + created.body());
        }
        String url = JSON.readTree(created.body()).path("enrollmentUrl").asText();
        return url.substring(url.lastIndexOf('/') + 1);
    }
}
