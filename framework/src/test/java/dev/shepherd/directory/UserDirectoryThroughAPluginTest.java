package dev.shepherd.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An identity-provider plugin, loaded from its file, feeding the directory through the {@code UserDirectory} the
 * kernel injects: its people sign in to the portal until it deactivates them, and admins read people and directory
 * groups through the REST API.
 */
class UserDirectoryThroughAPluginTest {

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(home);
        Files.copy(hrDirectory().buildZip(build, "hr-directory.zip"), server.pluginsDir().resolve("hr-directory.zip"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.server().plugins().plugin("hr-directory"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aPersonTheProviderDeactivatesCannotSignInAndTheirPortalSessionEnds() throws IOException {
        String fern = sync("/user?username=fern&active=true");
        assertThat(server.server().kernel().directory().get(fern).orElseThrow().provider()).isEqualTo("hr");
        HttpResponse<String> signedIn = login("fern", "hr-secret");
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        assertThat(portalMe(cookie).statusCode()).isEqualTo(200);

        assertThat(sync("/user?username=fern&active=false")).isEqualTo(fern);

        assertThat(portalMe(cookie).statusCode()).isEqualTo(401);
        assertThat(login("fern", "hr-secret").statusCode()).as("the provider still takes the password; the directory refuses").isEqualTo(401);

        sync("/user?username=fern&active=true");
        assertThat(login("fern", "hr-secret").statusCode()).isEqualTo(200);
    }

    @Test
    void adminsSeeAPersonsProviderStatusAndGroupsAndTheDirectoryGroups() throws IOException {
        String gil = sync("/user?username=gil&active=false");
        String team = sync("/group?name=People%20Ops&member=gil");
        sync("/group?name=Everyone&memberGroup=People%20Ops");

        JsonNode person = read(server.getAsAdmin("/api/v1/users/" + gil));
        assertThat(person.path("provider").asText()).isEqualTo("hr");
        assertThat(person.path("externalId").asText()).isEqualTo("e-gil");
        assertThat(person.path("active").asBoolean()).isFalse();
        assertThat(person.path("deactivatedAt").isTextual()).isTrue();
        assertThat(person.path("groups").findValuesAsText("name")).containsExactly("Everyone", "People Ops");
        assertThat(person.path("groups").findValuesAsText("direct")).containsExactly("false", "true");

        JsonNode page = read(server.getAsAdmin("/api/v1/directory-groups?q=peo"));
        assertThat(page.path("items").findValuesAsText("id")).containsExactly(team);
        JsonNode none = read(server.getAsAdmin("/api/v1/directory-groups?q=nobody-is-called-this"));
        assertThat(none.path("items")).as("a search that finds nothing is an empty page").isEmpty();
        JsonNode first = read(server.getAsAdmin("/api/v1/directory-groups?limit=1"));
        assertThat(first.path("items").findValuesAsText("name")).containsExactly("Everyone");
        JsonNode second = read(server.getAsAdmin("/api/v1/directory-groups?limit=1&cursor=" + first.path("nextCursor").asText()));
        assertThat(second.path("items").findValuesAsText("name")).containsExactly("People Ops");

        String everyone = first.path("items").get(0).path("id").asText();
        JsonNode members = read(server.getAsAdmin("/api/v1/directory-groups/" + everyone)).path("members");
        assertThat(members.path("users")).isEmpty();
        assertThat(members.path("groups").findValuesAsText("id")).containsExactly(team);
        assertThat(members.path("effectiveUsers").findValuesAsText("id")).containsExactly(gil);
        assertThat(members.path("effectiveUserCount").asInt()).isEqualTo(1);

        HttpResponse<String> unknown = server.getAsAdmin("/api/v1/directory-groups/no-such-group");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        HttpResponse<String> badCursor = server.getAsAdmin("/api/v1/directory-groups?cursor=bm8tc2VwYXJhdG9y");
        assertThat(badCursor.statusCode()).isEqualTo(400);
        assertThat(badCursor.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.getAsAdmin("/api/v1/directory-groups?limit=0").statusCode()).isEqualTo(400);
        assertThat(server.get("/api/v1/directory-groups").statusCode()).isEqualTo(401);
        assertThat(read(server.getAsAdmin("/api/openapi.json")).path("paths").path("/api/v1/directory-groups/{id}").has("get")).isTrue();
    }

    /** Asks the plugin to put a person or group; it answers with the directory's id. */
    private static String sync(String pathAndQuery) {
        HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri("/mdm/hr-directory" + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<String> login(String username, String password) {
        return server.send(HttpRequest.newBuilder(server.uri("/portal/api/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\": \"" + username + "\", \"password\": \"" + password + "\"}")).build());
    }

    private static HttpResponse<String> portalMe(String cookie) {
        return server.send(HttpRequest.newBuilder(server.uri("/portal/api/me")).header("Cookie", cookie).GET().build());
    }

    private JsonNode read(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    /** An identity provider whose people are put in the directory through the injected UserDirectory when asked. */
    private static TestPluginBuilder hrDirectory() {
        return plugin("hr-directory", "1.0.0").source("""
                package hr.directory;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.IdentityProvider;
                import dev.shepherd.api.identity.ProvidedGroup;
                import dev.shepherd.api.identity.ProvidedUser;
                import dev.shepherd.api.identity.UserDirectory;
                import jakarta.inject.Inject;
                import jakarta.inject.Singleton;
                import org.pf4j.Extension;

                import java.util.Optional;
                import java.util.Set;

                @Extension
                @Singleton
                public class Hr implements IdentityProvider, DeviceEndpoint {
                    private final UserDirectory directory;

                    @Inject
                    public Hr(UserDirectory directory) {
                        this.directory = directory;
                    }

                    public String id() { return "hr"; }

                    public Optional<Identity> authenticate(String username, char[] password) {
                        return new String(password).equals("hr-secret")
                                ? Optional.of(new Identity("hr", username, username, username + "@hr.example", Set.of())) : Optional.empty();
                    }

                    public DeviceResponse handle(DeviceRequest request) {
                        if (request.path().equals("/user")) {
                            String username = request.queryParameter("username").orElseThrow();
                            return DeviceResponse.text(200, directory.putUser("hr", new ProvidedUser("e-" + username, username, username,
                                    username + "@hr.example", Boolean.parseBoolean(request.queryParameter("active").orElseThrow()))));
                        }
                        String name = request.queryParameter("name").orElseThrow();
                        return DeviceResponse.text(200, directory.putGroup("hr", new ProvidedGroup("g-" + name, name,
                                request.queryParameter("member").map(member -> Set.of("e-" + member)).orElse(Set.of()),
                                request.queryParameter("memberGroup").map(group -> Set.of("g-" + group)).orElse(Set.of()))));
                    }
                }
                """);
    }
}
