package dev.shepherd.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every admin route, enumerated from the live route table: anonymous callers get 401, callers whose role lacks the
 * route's permission get 403, both as problem+json; the OpenAPI document lists exactly these routes.
 */
class AdminApiSecurityTest {

    private static final String PASSWORD = "role-test-password";

    @TempDir
    static Path home;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        for (AdminRole role : AdminRole.values()) {
            server.server().adminUsers().create("as-" + role.name().toLowerCase(Locale.ROOT), PASSWORD.toCharArray(), role);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyProtectedRouteRejectsAnonymousCallers() {
        assertThat(server.server().adminRoutes()).hasSizeGreaterThan(50);
        for (AdminRoute route : server.server().adminRoutes()) {
            if (route.isPublic()) {
                continue;
            }
            HttpResponse<String> response = call(route, null);

            assertThat(response.statusCode()).as(route.method() + " " + route.template()).isEqualTo(401);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(response.headers().firstValue("WWW-Authenticate")).isPresent();
        }
    }

    @Test
    void everyProtectedRouteRejectsRolesWithoutItsPermission() {
        int checked = 0;
        for (AdminRoute route : server.server().adminRoutes()) {
            if (route.isPublic()) {
                continue;
            }
            for (AdminRole role : AdminRole.values()) {
                if (role.allows(route.permission().get())) {
                    continue;
                }
                HttpResponse<String> response = call(route, TestServer.basic("as-" + role.name().toLowerCase(Locale.ROOT), PASSWORD));
                assertThat(response.statusCode()).as(role + " " + route.method() + " " + route.template()).isEqualTo(403);
                assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                checked++;
            }
        }
        assertThat(checked).as("role/route pairs that must be refused").isGreaterThan(50);
    }

    @Test
    void theOnlyPublicRoutesAreTheStepsOfSignIn() {
        assertThat(server.server().adminRoutes().stream().filter(AdminRoute::isPublic).map(route -> route.method() + " " + route.template()))
                .containsExactlyInAnyOrder("POST /api/v1/auth/login", "POST /api/v1/auth/login/second-factor",
                        "GET /api/v1/auth/sign-in-providers", "GET /api/v1/auth/sso/{provider}", "GET /api/v1/auth/sso-callback");
    }

    @Test
    void theOpenApiDocumentListsExactlyTheServedRoutes() throws Exception {
        HttpResponse<String> response = server.get("/api/openapi.json");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode document = json.readTree(response.body());
        assertThat(document.path("openapi").asText()).isEqualTo("3.1.0");

        Set<String> documented = new HashSet<>();
        Set<String> operationIds = new HashSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
            documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
            assertThat(operationIds.add(operation.getValue().path("operationId").asText())).isTrue();
        }));
        Set<String> served = new HashSet<>();
        server.server().adminRoutes().forEach(route -> served.add(route.method() + " " + route.template()));
        assertThat(documented).isEqualTo(served);
        assertThat(document.path("components").path("schemas").has("Problem")).isTrue();
        assertThat(server.get("/api/docs/").body()).contains("swagger-ui-bundle.js").doesNotContain("<script>");
    }

    @Test
    void helpDeskMayLockButNotWipeOrEditPolicies() throws Exception {
        String helpdesk = TestServer.basic("as-helpdesk", PASSWORD);
        String deviceId = server.server().kernel().devices().importDevices(TestKernel.ADMIN, List.of(
                new DeviceImport(Platform.IOS, "HD1", "iPhone", "Help desk test",
                        Ownership.CORPORATE, Map.of("udid", "HD-1"), Set.of()))).get(0).toString();

        HttpResponse<String> lock = post("/api/v1/devices/" + deviceId + "/commands", helpdesk, "{\"type\":\"LOCK\"}");
        HttpResponse<String> wipe = post("/api/v1/devices/" + deviceId + "/commands", helpdesk, "{\"type\":\"WIPE\"}");
        HttpResponse<String> enterpriseWipe = post("/api/v1/devices/" + deviceId + "/commands", helpdesk, "{\"type\":\"ENTERPRISE_WIPE\"}");
        HttpResponse<String> policy = post("/api/v1/policies", helpdesk, "{\"name\":\"x\",\"settings\":[]}");

        assertThat(lock.statusCode()).isEqualTo(201);
        assertThat(wipe.statusCode()).isEqualTo(403);
        assertThat(json.readTree(wipe.body()).path("detail").asText()).contains("device_wipe");
        assertThat(enterpriseWipe.statusCode()).as("removing the organisation's data is a wipe too").isEqualTo(403);
        assertThat(policy.statusCode()).isEqualTo(403);
    }

    private HttpResponse<String> post(String path, String authorization, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> call(AdminRoute route, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(route.template().replaceAll("\\{[a-zA-Z]+}", "x")))
                .method(route.method(), route.requestBody().isPresent() ? HttpRequest.BodyPublishers.ofString("{}")
                        : HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return server.send(request.build());
    }
}
