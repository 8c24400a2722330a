package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel's side of single sign-on without any sign-in provider plugin: the public routes answer sensibly, a
 * callback without a sign-in under way is refused, role mappings are managed and audited, and once local password
 * sign-in is limited to break-glass accounts, other local admins are told to sign in with their organisation. The
 * flows with a real provider are in the identity-oidc plugin's tests.
 */
class SingleSignOnTest {

    private static final String PASSWORD = "sso-test-password-1";

    @TempDir
    static Path home;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_SECURITY_BREAK_GLASS_ADMINS", TestServer.ADMIN + ", rescue"));
        server.server().adminUsers().create("operator", PASSWORD.toCharArray(), AdminRole.OPERATOR);
        server.server().adminUsers().create("rescue", PASSWORD.toCharArray(), AdminRole.ADMIN);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void withoutSignInProvidersThereAreNoButtonsAndNoSignInToStart() throws Exception {
        assertThat(json.readTree(server.get("/api/v1/auth/sign-in-providers").body())).isEmpty();

        HttpResponse<String> start = server.get("/api/v1/auth/sso/okta?for=console");
        assertThat(start.statusCode()).isEqualTo(404);
        assertThat(start.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.get("/api/v1/auth/sso/okta?for=kiosk").statusCode()).isEqualTo(400);
    }

    @Test
    void aCallbackWithoutASignInUnderWayInThisBrowserIsRefusedAndAudited() throws Exception {
        HttpResponse<String> callback = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/sso-callback?code=stolen&state=guessed"))
                .header("Cookie", "shepherd_sso=made-up").GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(callback.statusCode()).isEqualTo(303);
        assertThat(callback.headers().firstValue("Location")).hasValue("/#sso-error=sso-expired");
        assertThat(callback.headers().allValues("Set-Cookie")).noneMatch(cookie -> cookie.startsWith("shepherd_session="));
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused").body()).contains("no sign-in under way");
    }

    @Test
    void roleMappingsAreCreatedListedAndRemovedAndEachChangeIsAudited() throws Exception {
        HttpResponse<String> created = server.sendAsAdmin("POST", "/api/v1/role-mappings",
                "{\"provider\":\"okta\",\"group\":\"Help Desk\",\"roleId\":\"HELPDESK\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        String id = json.readTree(created.body()).path("id").asText();
        assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings", "{\"provider\":\"okta\",\"group\":\"Help Desk\",\"roleId\":\"ADMIN\"}")
                .statusCode()).as("a group maps to one role").isEqualTo(400);
        assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings", "{\"provider\":\"Not An Id\",\"group\":\"x\",\"roleId\":\"ADMIN\"}")
                .statusCode()).isEqualTo(400);
        JsonNode listed = json.readTree(server.getAsAdmin("/api/v1/role-mappings").body());
        assertThat(listed.findValuesAsText("id")).contains(id);

        assertThat(server.sendAsAdmin("DELETE", "/api/v1/role-mappings/" + id, null).statusCode()).isEqualTo(204);
        assertThat(server.sendAsAdmin("DELETE", "/api/v1/role-mappings/" + id, null).statusCode()).isEqualTo(404);
        String audit = server.getAsAdmin("/api/v1/audit?targetType=role_mapping&targetId=" + id).body();
        assertThat(audit).contains("role_mapping.create", "role_mapping.delete");
    }

    @Test
    void onlyBreakGlassAccountsKeepAPasswordSignInOnceItIsLimited() throws Exception {
        HttpResponse<String> operator = login("operator");
        assertThat(operator.statusCode()).isEqualTo(403);
        assertThat(json.readTree(operator.body()).path("detail").asText()).contains("break-glass");
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", TestServer.basic("operator", PASSWORD)).GET().build()).statusCode()).isEqualTo(401);
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.local_sign_in_refused").body()).contains("operator");

        assertThat(login("rescue").statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> login(String username) throws Exception {
        return http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"" + username + "\",\"password\":\"" + PASSWORD + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
