package dev.shepherd.http;

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

/** Every admin route refuses anonymous and wrongly authenticated callers, in problem+json, without leaking. */
class AdminApiSecurityTest {

    @TempDir
    static Path home;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        server.server().adminUsers().create("auditor", "auditor-password".toCharArray(), AdminRole.AUDITOR);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyAdminRouteRejectsAnonymousRequests() {
        assertThat(server.server().adminRoutes()).isNotEmpty();
        for (AdminRoute route : server.server().adminRoutes()) {
            HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri(concrete(route.template())))
                    .method(route.method(), HttpRequest.BodyPublishers.noBody()).build());

            assertThat(response.statusCode()).as(route.method() + " " + route.template()).isEqualTo(401);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Basic"));
        }
    }

    @Test
    void aWrongPasswordIsRejectedAndRepeatedFailuresLockTheAccount() {
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThat(getPlugins(TestServer.basic("auditor", "wrong-password")).statusCode()).isEqualTo(401);
        }

        HttpResponse<String> locked = getPlugins(TestServer.basic("auditor", "auditor-password"));

        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void malformedCredentialsAreRejectedNotCrashed() {
        assertThat(getPlugins("Basic not-base64!").statusCode()).isEqualTo(401);
        assertThat(getPlugins("Bearer something").statusCode()).isEqualTo(401);
        assertThat(getPlugins("Basic " + java.util.Base64.getEncoder().encodeToString("no-colon".getBytes())).statusCode()).isEqualTo(401);
    }

    @Test
    void anAdminSeesThePlugins() {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/plugins");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("{\"items\":");
    }

    @Test
    void unknownPathsAndIdsAre404ProblemsAndWrongMethods405() {
        HttpResponse<String> unknownPlugin = server.getAsAdmin("/api/v1/plugins/nope");
        HttpResponse<String> unknownPath = server.getAsAdmin("/api/v1/nothing-here");
        HttpResponse<String> wrongMethod = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .DELETE().build());

        assertThat(unknownPlugin.statusCode()).isEqualTo(404);
        assertThat(unknownPlugin.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(unknownPath.statusCode()).isEqualTo(404);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(server.get("/nowhere").statusCode()).isEqualTo(404);
    }

    @Test
    void healthIsPublicAndUp() {
        HttpResponse<String> health = server.get("/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
    }

    private static HttpResponse<String> getPlugins(String authorization) {
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins")).header("Authorization", authorization).GET().build());
    }

    private static String concrete(String template) {
        return template.replaceAll("\\{[a-zA-Z]+}", "x");
    }
}
