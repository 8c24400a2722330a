package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Must-show 3 of issue 18 through a running server with the plugin loaded from its real file: an admin issues a
 * bearer token through the admin API; a SCIM client (plain {@code java.net.http}, as Entra ID or Okta would send)
 * creates, updates and deactivates a user and a group with a nested group; the admin API's {@code /api/v1/users} and
 * {@code /api/v1/directory-groups} show each change, a deleted user stays deactivated rather than gone, and a revoked token is
 * refused.
 */
class ScimProvisioningIT {

    private static final String SCIM = "/mdm/identity-scim/scim/v2";
    private static final String TOKENS = "/api/v1/plugins/identity-scim/tokens";
    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    static Path home;
    private static TestServer server;
    private static String token;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("identity-scim.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin(TOKENS).statusCode() == 200);
        HttpResponse<String> issued = server.sendAsAdmin("POST", TOKENS, "{\"label\": \"Entra ID\"}");
        assertThat(issued.statusCode()).isEqualTo(201);
        token = new ObjectMapper().readTree(issued.body()).path("token").asText();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aScimClientCreatesUpdatesAndDeactivatesAUserAndAGroupAndTheServerDirectoryFollows() throws Exception {
        HttpResponse<String> anonymous = server.send(HttpRequest.newBuilder(server.uri(SCIM + "/Users")).GET().build());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
        assertThat(server.getAsAdmin(TOKENS).body()).contains("Entra ID").doesNotContain(token);

        assertThat(scim("GET", "/Users?filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100", null).path("totalResults").asInt())
                .isZero();
        JsonNode ada = scim("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "userName": "ada@example.com", "active": true,
                 "emails": [{"primary": true, "type": "work", "value": "ada@example.com"}],
                 "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"}}
                """);
        String adaId = ada.path("id").asText();
        JsonNode grace = scim("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "grace@example.com", "displayName": "Grace Hopper",
                 "emails": [{"primary": true, "type": "work", "value": "grace@example.com"}], "active": true}
                """);
        JsonNode adaInServer = user("ada@example.com");
        assertThat(adaInServer.path("provider").asText()).isEqualTo("scim");
        assertThat(adaInServer.path("externalId").asText()).isEqualTo(adaId);
        assertThat(adaInServer.path("displayName").asText()).isEqualTo("Ada Lovelace");
        assertThat(adaInServer.path("email").asText()).isEqualTo("ada@example.com");
        assertThat(adaInServer.path("active").asBoolean()).isTrue();

        scim("PATCH", "/Users/" + adaId, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                  {"op": "Replace", "path": "emails[type eq \\"work\\"].value", "value": "ada.lovelace@example.com"},
                  {"op": "Replace", "path": "name.formatted", "value": "Augusta Ada King"}]}
                """);
        assertThat(user("ada@example.com").path("email").asText()).isEqualTo("ada.lovelace@example.com");
        assertThat(user("ada@example.com").path("displayName").asText()).isEqualTo("Augusta Ada King");

        JsonNode engineering = scim("POST", "/Groups", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
                 "members": [{"value": "%s"}]}
                """.formatted(adaId));
        JsonNode everyone = scim("POST", "/Groups", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone",
                 "members": [{"value": "%s"}, {"value": "%s"}]}
                """.formatted(grace.path("id").asText(), engineering.path("id").asText()));
        String everyoneId = groupId("Everyone");
        JsonNode members = members(everyoneId);
        assertThat(usernames(members.path("users"))).containsExactly("grace@example.com");
        assertThat(members.path("groups")).extracting(group -> group.path("name").asText()).containsExactly("Engineering");
        assertThat(usernames(members.path("effectiveUsers"))).containsExactly("ada@example.com", "grace@example.com");
        assertThat(json.readTree(server.getAsAdmin("/api/v1/directory-groups/" + everyoneId).body()).path("provider").asText()).isEqualTo("scim");

        scim("PATCH", "/Groups/" + engineering.path("id").asText(), """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                  {"op": "Replace", "path": "displayName", "value": "Research"},
                  {"op": "Remove", "path": "members[value eq \\"%s\\"]"}]}
                """.formatted(adaId));
        String researchId = groupId("Research");
        assertThat(members(researchId).path("users")).isEmpty();
        assertThat(usernames(members(everyoneId).path("effectiveUsers"))).containsExactly("grace@example.com");

        scim("PATCH", "/Users/" + adaId, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
                """);
        assertThat(user("ada@example.com").path("active").asBoolean()).isFalse();
        assertThat(user("ada@example.com").path("deactivatedAt").asText()).isNotEmpty();

        assertThat(send("DELETE", "/Groups/" + engineering.path("id").asText(), null).statusCode()).isEqualTo(204);
        assertThat(server.getAsAdmin("/api/v1/directory-groups/" + researchId).statusCode()).isEqualTo(404);
        assertThat(members(everyoneId).path("groups")).isEmpty();

        assertThat(send("DELETE", "/Users/" + grace.path("id").asText(), null).statusCode()).isEqualTo(204);
        assertThat(user("grace@example.com").path("active").asBoolean()).as("deleting deactivates; the server never deletes people").isFalse();
        assertThat(members(everyoneId).path("users")).isEmpty();

        String tokenId = json.readTree(server.getAsAdmin(TOKENS).body()).path("items").get(0).path("id").asText();
        assertThat(server.sendAsAdmin("DELETE", TOKENS + "/" + tokenId, null).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/Users", null).statusCode()).isEqualTo(401);
    }

    /** A person as {@code GET /api/v1/users} lists them. */
    private JsonNode user(String username) throws IOException {
        HttpResponse<String> found = server.getAsAdmin("/api/v1/users?q=" + username.replace("@", "%40"));
        assertThat(found.statusCode()).isEqualTo(200);
        JsonNode item = json.readTree(found.body()).path("items").get(0);
        assertThat(item.path("username").asText()).isEqualTo(username);
        return item;
    }

    /** The id of a directory group, from {@code GET /api/v1/directory-groups}. */
    private String groupId(String name) throws IOException {
        HttpResponse<String> found = server.getAsAdmin("/api/v1/directory-groups?q=" + name);
        assertThat(found.statusCode()).isEqualTo(200);
        for (JsonNode group : json.readTree(found.body()).path("items")) {
            if (group.path("name").asText().equals(name)) {
                return group.path("id").asText();
            }
        }
        throw new AssertionError("no directory group " + name + " in " + found.body());
    }

    /** A directory group's members, from {@code GET /api/v1/directory-groups/{id}}. */
    private JsonNode members(String groupId) throws IOException {
        HttpResponse<String> found = server.getAsAdmin("/api/v1/directory-groups/" + groupId);
        assertThat(found.statusCode()).isEqualTo(200);
        return json.readTree(found.body()).path("members");
    }

    private static List<String> usernames(JsonNode users) {
        List<String> usernames = new ArrayList<>();
        users.forEach(user -> usernames.add(user.path("username").asText()));
        return usernames;
    }

    private JsonNode scim(String method, String path, String body) {
        HttpResponse<String> response = send(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(200, 201);
        assertThat(response.headers().firstValue("Content-Type")).contains(ScimEndpoint.SCIM_JSON);
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(SCIM + path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/scim+json; charset=utf-8");
        }
        return server.send(request.build());
    }
}
