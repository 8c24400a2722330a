package dev.shepherd.portal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.portal.PortalFixture.HANDBOOK;
import static dev.shepherd.portal.PortalFixture.NOTES;
import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The self-service portal's API over real HTTP on loopback, with the production wiring: portal sessions are apart
 * from admin ones both ways, a user sees and acts on their own devices only, changes need the CSRF token and the
 * server's own origin, sign-in is throttled, and the admin's password route keeps passwords to itself.
 */
class SelfServicePortalTest {

    private static final String ALICE_PASSWORD = "violet-kestrel-harbour";
    private static final String BOB_PASSWORD = "amber-otter-lantern";

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static PortalFixture fixture;
    private static TestServer server;
    private static String alice;
    private static DeviceId alicesPhone;
    private static DeviceId bobsPhone;

    /** A signed-in portal session: its cookie and its CSRF token. */
    private record Session(String cookie, String csrfToken) {
    }

    @BeforeAll
    static void start() throws Exception {
        fixture = PortalFixture.start(home, build);
        server = fixture.server();
        alice = fixture.user("alice", ALICE_PASSWORD);
        String bob = fixture.user("bob", BOB_PASSWORD);
        alicesPhone = fixture.phoneOf(alice, "ALICE-1");
        bobsPhone = fixture.phoneOf(bob, "BOB-1");
        fixture.offerApps(alicesPhone, bobsPhone);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aUserSeesOnlyTheirOwnDevicesAndTheAppsOfferedToThem() {
        Session session = signIn("alice", ALICE_PASSWORD);

        JsonNode devices = fixture.read(portal("GET", "/portal/api/devices", session, ""));
        assertThat(devices).extracting(device -> device.path("id").asText()).containsExactly(alicesPhone.toString());
        JsonNode apps = fixture.read(portal("GET", "/portal/api/devices/" + alicesPhone + "/apps", session, ""));
        assertThat(apps).extracting(app -> app.path("name").asText() + ":" + app.path("intent").asText())
                .containsExactly("Field Notes:AVAILABLE", "Handbook:REQUIRED");
        assertThat(apps.get(1).path("installable").asBoolean()).as("a REQUIRED app is shown read-only").isFalse();
        JsonNode notes = apps.get(0);
        assertThat(notes.path("icon").asText()).isEqualTo("https://icons.example.com/notes.png");
        assertThat(notes.path("version").asText()).isEqualTo("2.4");

        HttpResponse<String> others = portal("GET", "/portal/api/devices/" + bobsPhone + "/apps", session, "");
        assertThat(others.statusCode()).isEqualTo(404);
        assertThat(others.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(portal("GET", "/portal/api/devices/not-a-device/apps", session, "").statusCode()).isEqualTo(404);
    }

    @Test
    void aUserInstallsAnAvailableAppOnTheirDeviceAndNothingElse() {
        Session session = signIn("alice", ALICE_PASSWORD);
        String notes = fixture.app(NOTES).id();

        HttpResponse<String> onBobs = portal("POST", "/portal/api/devices/" + bobsPhone + "/apps/" + notes + "/install", session, "");
        assertThat(onBobs.statusCode()).isEqualTo(404);
        assertThat(onBobs.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        HttpResponse<String> required = portal("POST", "/portal/api/devices/" + alicesPhone + "/apps/" + fixture.app(HANDBOOK).id() + "/install",
                session, "");
        assertThat(required.statusCode()).isEqualTo(403);
        assertThat(required.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(portal("POST", "/portal/api/devices/" + alicesPhone + "/apps/no-such-app/install", session, "").statusCode()).isEqualTo(404);

        HttpResponse<String> withoutToken = send("POST", "/portal/api/devices/" + alicesPhone + "/apps/" + notes + "/install",
                "shepherd_portal=" + session.cookie(), Optional.empty(), Optional.empty());
        assertThat(withoutToken.statusCode()).isEqualTo(403);
        assertThat(fixture.read(withoutToken).path("type").asText()).endsWith("/csrf");
        HttpResponse<String> fromAnotherSite = send("POST", "/portal/api/devices/" + alicesPhone + "/apps/" + notes + "/install",
                "shepherd_portal=" + session.cookie(), Optional.of(session.csrfToken()), Optional.of("https://evil.example"));
        assertThat(fromAnotherSite.statusCode()).isEqualTo(403);
        assertThat(fixture.kernel().apps().appsOf(alicesPhone)).noneMatch(state -> state.appId().equals(notes)
                && state.state().name().equals("INSTALLING"));

        HttpResponse<String> installed = portal("POST", "/portal/api/devices/" + alicesPhone + "/apps/" + notes + "/install", session, "");
        assertThat(installed.statusCode()).as(installed.body()).isEqualTo(202);
        assertThat(fixture.read(installed).path("state").asText()).isIn("PENDING", "INSTALLING");
        List<Command> commands = new ArrayList<>();
        // the REQUIRED Handbook is queued for the phone too, by the reconciler on its own
        await().atMost(PortalFixture.WITHIN).untilAsserted(() -> {
            commands.addAll(fixture.kernel().commands().take(alicesPhone, 10));
            assertThat(commands).filteredOn(command -> command.type() == CommandType.INSTALL_APP)
                    .extracting(command -> command.parameters().get("identifier")).contains(NOTES);
        });
        assertThat(fixture.kernel().commands().take(bobsPhone, 10)).noneMatch(command -> NOTES.equals(command.parameters().get("identifier")));
        AuditEntry audited = fixture.kernel().audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("app.self_service_install"), Optional.empty(), Optional.empty()), 0, 10).get(0);
        assertThat(audited.actorId()).isEqualTo(alice);
    }

    @Test
    void portalAndAdminSessionsOpenNothingOfEachOther() {
        Session session = signIn("alice", ALICE_PASSWORD);
        HttpResponse<String> login = send("POST", "/portal/api/login", "", Optional.empty(), Optional.empty(),
                "{\"username\": \"alice\", \"password\": \"" + ALICE_PASSWORD + "\"}");
        assertThat(login.headers().allValues("Set-Cookie")).singleElement().satisfies(cookie -> assertThat(cookie.toLowerCase(Locale.ROOT))
                .startsWith("shepherd_portal=").contains("; httponly", "; secure", "; samesite=strict", "; path=/portal", "; max-age="));

        for (String adminRoute : List.of("/api/v1/devices", "/api/v1/auth/me", "/api/v1/users")) {
            assertThat(send("GET", adminRoute, "shepherd_portal=" + session.cookie(), Optional.empty(), Optional.empty()).statusCode())
                    .as(adminRoute).isEqualTo(401);
            assertThat(send("GET", adminRoute, "shepherd_session=" + session.cookie(), Optional.empty(), Optional.empty()).statusCode())
                    .as("a portal session id presented as an admin one, " + adminRoute).isEqualTo(401);
        }

        HttpResponse<String> adminLogin = send("POST", "/api/v1/auth/login", "", Optional.empty(), Optional.empty(),
                "{\"username\": \"" + TestServer.ADMIN + "\", \"password\": \"" + TestServer.ADMIN_PASSWORD + "\"}");
        String adminSession = adminLogin.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0].substring("shepherd_session=".length());
        assertThat(send("GET", "/api/v1/auth/me", "shepherd_session=" + adminSession, Optional.empty(), Optional.empty()).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/portal/api/me", "shepherd_session=" + adminSession, Optional.empty(), Optional.empty()).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/portal/api/me", "shepherd_portal=" + adminSession, Optional.empty(), Optional.empty()).statusCode())
                .as("an admin session id presented as a portal one").isEqualTo(401);
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/portal/api/devices"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).build()).statusCode()).isEqualTo(401);

        assertThat(portal("POST", "/portal/api/logout", session, "").statusCode()).isEqualTo(204);
        assertThat(portal("GET", "/portal/api/me", session, "").statusCode()).isEqualTo(401);
    }

    @Test
    void signInIsThrottledAndAuditedAndAnAdminsPasswordResetSignsTheUserOut() {
        String carol = fixture.user("carol", "copper-finch-meadow");
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThat(login("carol", "wrong-password-" + attempt).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> locked = login("carol", "copper-finch-meadow");
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        assertThat(fixture.kernel().audit().read(new AuditFilter(Optional.empty(), Optional.of("user"), Optional.of("carol"),
                Optional.of("auth.locked"), Optional.empty(), Optional.empty()), 0, 10)).hasSize(1);

        // an admin's reset lifts nothing by itself but ends the sessions; the lockout expires on its own
        Session session = signIn("alice", ALICE_PASSWORD);
        HttpResponse<String> weak = fixture.asAdmin("PUT", "/api/v1/users/" + alice + "/password", "{\"password\": \"password1234\"}");
        assertThat(weak.statusCode()).isEqualTo(400);
        assertThat(weak.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(portal("GET", "/portal/api/me", session, "").statusCode()).as("a refused password changes nothing").isEqualTo(200);
        assertThat(fixture.asAdmin("PUT", "/api/v1/users/" + alice + "/password", "{\"password\": \"" + ALICE_PASSWORD + "\"}").statusCode())
                .isEqualTo(204);
        assertThat(portal("GET", "/portal/api/me", session, "").statusCode()).isEqualTo(401);
        assertThat(fixture.asAdmin("PUT", "/api/v1/users/no-such-user/password", "{\"password\": \"" + ALICE_PASSWORD + "\"}").statusCode())
                .isEqualTo(404);

        List<AuditEntry> sets = fixture.kernel().audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.of(carol),
                Optional.of("user.password_set"), Optional.empty(), Optional.empty()), 0, 10);
        assertThat(sets).singleElement().satisfies(entry -> {
            assertThat(entry.before()).isEmpty();
            assertThat(entry.after()).isEmpty();
        });
        assertThat(fixture.asAdmin("GET", "/api/v1/users/" + carol, "").body()).doesNotContain("copper").doesNotContain("$2y$")
                .doesNotContainIgnoringCase("password");
        assertThat(fixture.read(fixture.asAdmin("GET", "/api/openapi.json", "")).path("paths").path("/api/v1/users/{id}/password").has("put")).isTrue();
    }

    @Test
    void aPersonOfAnIdentityProviderSignsInWithTheProvidersPasswordAndHasNoneHere() throws Exception {
        Files.copy(plugin("staff-directory", "1.0.0").source("""
                package staff.directory;

                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.IdentityProvider;
                import org.pf4j.Extension;
                import java.util.Optional;
                import java.util.Set;

                @Extension
                public class Staff implements IdentityProvider {
                    public String id() { return "staff"; }

                    public Optional<Identity> authenticate(String username, char[] password) {
                        return username.equals("erin") && new String(password).equals("staff-secret")
                                ? Optional.of(new Identity("staff", "erin", "Erin", "erin@staff.example", Set.of())) : Optional.empty();
                    }
                }
                """).buildZip(build, "staff-directory.zip"), server.pluginsDir().resolve("staff-directory.zip"));
        await().atMost(PortalFixture.WITHIN).untilAsserted(() -> assertThat(server.server().plugins().plugin("staff-directory"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));

        assertThat(login("erin", "not-her-password").statusCode()).isEqualTo(401);
        Session session = signIn("erin", "staff-secret");
        assertThat(fixture.read(portal("GET", "/portal/api/me", session, "")).path("displayName").asText()).isEqualTo("Erin");
        String erin = fixture.kernel().directory().find("staff", "erin").orElseThrow().id();
        HttpResponse<String> password = fixture.asAdmin("PUT", "/api/v1/users/" + erin + "/password", "{\"password\": \"" + ALICE_PASSWORD + "\"}");
        assertThat(password.statusCode()).as("the provider checks her password, not Shepherd").isEqualTo(400);
        assertThat(password.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void thePageAndItsScriptsAreServedUnderAStrictPolicyAndNothingElseIs() {
        HttpResponse<String> page = server.get("/portal");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(policy -> assertThat(policy)
                .contains("script-src 'self';", "style-src 'self';", "img-src 'self' data: https:;", "frame-ancestors 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval"));
        assertThat(page.body()).contains("name=\"viewport\"", "/portal/assets/portal.js").doesNotContain("<script>");
        assertThat(server.get("/portal/assets/portal.js").statusCode()).isEqualTo(200);
        assertThat(server.get("/portal/assets/portal.html").statusCode()).isEqualTo(404);
        HttpResponse<String> nothing = server.get("/portal/elsewhere");
        assertThat(nothing.statusCode()).isEqualTo(404);
        assertThat(nothing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.get("/portal/api/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void overPlainHttpThePortalAndItsSignInAreSentToHttps(@TempDir Path otherHome) {
        TestServer withTls = TestServer.start(otherHome, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTP_REDIRECT_TO_HTTPS", "true"));
        try {
            int https = withTls.server().httpsPort();
            HttpResponse<String> page = withTls.get("/portal");
            HttpResponse<String> login = withTls.send(HttpRequest.newBuilder(withTls.uri("/portal/api/login"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());

            assertThat(page.statusCode()).isEqualTo(308);
            assertThat(page.headers().firstValue("Location")).hasValue("https://127.0.0.1:" + https + "/portal");
            assertThat(login.statusCode()).as("the password is posted again over TLS, never answered in the clear").isEqualTo(308);
        } finally {
            withTls.close();
        }
    }

    private Session signIn(String username, String password) {
        HttpResponse<String> response = login(username, password);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String cookie = response.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        return new Session(cookie.substring(cookie.indexOf('=') + 1), fixture.read(response).path("csrfToken").asText());
    }

    private HttpResponse<String> login(String username, String password) {
        return send("POST", "/portal/api/login", "", Optional.empty(), Optional.empty(),
                "{\"username\": \"" + username + "\", \"password\": \"" + password + "\"}");
    }

    private HttpResponse<String> portal(String method, String path, Session session, String body) {
        return send(method, path, "shepherd_portal=" + session.cookie(), Optional.of(session.csrfToken()), Optional.empty(), body);
    }

    private HttpResponse<String> send(String method, String path, String cookie, Optional<String> csrfToken, Optional<String> origin) {
        return send(method, path, cookie, csrfToken, origin, "");
    }

    private HttpResponse<String> send(String method, String path, String cookie, Optional<String> csrfToken, Optional<String> origin, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (!body.isEmpty()) {
            request.header("Content-Type", "application/json");
        }
        if (!cookie.isEmpty()) {
            request.header("Cookie", cookie);
        }
        csrfToken.ifPresent(token -> request.header("X-CSRF-Token", token));
        origin.ifPresent(value -> request.header("Origin", value));
        return server.send(request.build());
    }
}
