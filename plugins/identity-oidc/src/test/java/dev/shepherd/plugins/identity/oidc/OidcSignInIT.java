package dev.shepherd.plugins.identity.oidc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.IssuedEnrollmentToken;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Single sign-on through the plugin loaded from its file into a running server, against a real OpenID Connect provider
 * (mock-oauth2-server), at the HTTP level: the browser's part (following redirects, carrying cookies) is played by
 * hand, so each step of the protocol can be tampered with. The kernel's guarantees (state, one use, expiry) and the
 * plugin's (nonce, audience, signature with rotating keys) each refuse what they must.
 */
class OidcSignInIT {

    @TempDir
    static Path home;
    private static final TestClock CLOCK = new TestClock(Instant.now());
    private static TestIdentityProvider provider;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        provider = TestIdentityProvider.start(false);
        server = provider.serverSignedInThrough(home, CLOCK);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    void theSignInPagesListTheProvidersButton() throws Exception {
        JsonNode providers = json.readTree(server.get("/api/v1/auth/sign-in-providers").body());

        assertThat(providers).hasSize(1);
        assertThat(providers.get(0).path("displayName").asText()).isEqualTo("Sign in with Corp");
        assertThat(providers.get(0).path("consoleUrl").asText()).isEqualTo("/api/v1/auth/sso/corp?for=console");
        assertThat(providers.get(0).path("portalUrl").asText()).isEqualTo("/api/v1/auth/sso/corp?for=portal");
        // The portal's page asks its own API, never the admin API.
        JsonNode portal = json.readTree(server.get("/portal/api/sign-in-providers").body());
        assertThat(portal.findValuesAsText("url")).containsExactly("/api/v1/auth/sso/corp?for=portal");
    }

    @Test
    void anAdminSignsInWithTheRoleTheirGroupMapsToAndItFollowsTheirGroupsAtEachSignIn() throws Exception {
        Started started = start("console");
        assertThat(started.authorization().getQuery()).contains("code_challenge_method=S256", "nonce=", "state=", "client_id=shepherd-console");
        provider.signsInNext("grace", List.of("shepherd-admins", "everyone"), null);
        HttpResponse<String> done = callback(started, authorize(started));

        assertThat(done.statusCode()).isEqualTo(303);
        String location = done.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/#sso=");
        String session = cookie(done, "shepherd_session").orElseThrow();
        JsonNode me = json.readTree(withSession("/api/v1/auth/me", session).body());
        assertThat(me.path("username").asText()).isEqualTo("grace");
        assertThat(me.path("role").asText()).isEqualTo("ADMIN");
        // The session is the console's usual one: a change needs its CSRF token.
        String csrf = location.substring("/#sso=".length());
        assertThat(change(session, Optional.empty()).statusCode()).isEqualTo(403);
        assertThat(change(session, Optional.of(csrf)).statusCode()).isEqualTo(201);

        Started again = start("console");
        provider.signsInNext("grace", List.of("auditors"), null);
        String auditorSession = cookie(callback(again, authorize(again)), "shepherd_session").orElseThrow();
        assertThat(json.readTree(withSession("/api/v1/auth/me", auditorSession).body()).path("role").asText()).isEqualTo("AUDITOR");
        assertThat(server.getAsAdmin("/api/v1/admins").body()).contains("\"grace\"");
        // The account has no password Shepherd could check.
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"grace\",\"password\":\"anything-at-all\"}")).build())
                .statusCode()).isEqualTo(401);
    }

    @Test
    void aDirectoryGroupMappedToARoleOverSomeDeviceGroupsSignsInWithThatScope() throws Exception {
        HttpResponse<String> paris = server.sendAsAdmin("POST", "/api/v1/groups", "{\"name\": \"Paris devices\"}");
        assertThat(paris.statusCode()).as(paris.body()).isEqualTo(201);
        String parisId = json.readTree(paris.body()).path("id").asText();
        String lyonId = json.readTree(server.sendAsAdmin("POST", "/api/v1/groups", "{\"name\": \"Lyon devices\"}").body()).path("id").asText();
        HttpResponse<String> mapped = server.sendAsAdmin("POST", "/api/v1/role-mappings",
                "{\"provider\":\"corp\",\"group\":\"paris-helpdesk\",\"roleId\":\"HELPDESK\",\"scope\":[\"" + parisId + "\"]}");
        assertThat(mapped.statusCode()).as(mapped.body()).isEqualTo(201);
        assertThat(json.readTree(mapped.body()).path("scope").get(0).asText()).isEqualTo(parisId);
        assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings",
                "{\"provider\":\"corp\",\"group\":\"x\",\"roleId\":\"HELPDESK\",\"scope\":[\"00000000-0000-0000-0000-000000000000\"]}")
                .statusCode()).as("a scope naming a group nobody made").isEqualTo(400);

        Started started = start("console");
        provider.signsInNext("pierre", List.of("paris-helpdesk"), null);
        String session = cookie(callback(started, authorize(started)), "shepherd_session").orElseThrow();
        JsonNode me = json.readTree(withSession("/api/v1/auth/me", session).body());
        assertThat(me.path("role").asText()).isEqualTo("HELPDESK");
        assertThat(me.path("scope").get(0).asText()).as("the mapping's scope, with its role").isEqualTo(parisId);
        HttpResponse<String> groups = withSession("/api/v1/groups", session);
        assertThat(groups.statusCode()).isEqualTo(200);
        assertThat(groups.body()).as("only the groups of the scope").contains(parisId).doesNotContain(lyonId);
    }

    @Test
    void someoneWhoseGroupsMapToNoRoleIsRefusedAndItIsAudited() throws Exception {
        Started started = start("console");
        provider.signsInNext("mallory", List.of("contractors"), null);
        HttpResponse<String> done = callback(started, authorize(started));

        assertRefused(done, "/#sso-error=sso-no-role");
        assertThat(server.getAsAdmin("/api/v1/admins").body()).doesNotContain("\"mallory\"");
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused&order=newest").body()).contains("mapped to no role");
    }

    @Test
    void aCallbackWhoseStateIsNotTheSignInsIsRefused() throws Exception {
        // Refused before the code is exchanged, so the provider is told of no one.
        Started started = start("console");
        URI callback = authorize(started);
        URI forged = URI.create(callback.toString().replaceFirst("state=[^&]+", "state=" + "forged-state"));

        assertRefused(callback(started, forged), "/#sso-error=sso-expired");
    }

    @Test
    void aReplayedCallbackAndOneWithoutTheBrowsersCookieAreRefused() throws Exception {
        Started started = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), null);
        URI callback = authorize(started);
        assertThat(callback(started, callback).statusCode()).isEqualTo(303);

        assertRefused(callback(started, callback), "/#sso-error=sso-expired");

        Started other = start("console");
        URI otherCallback = authorize(other);
        assertRefused(http.send(HttpRequest.newBuilder(server.uri(otherCallback.getRawPath() + "?" + otherCallback.getRawQuery())).GET().build(),
                HttpResponse.BodyHandlers.ofString()), "/#sso-error=sso-expired");
    }

    @Test
    void aSignInLeftPendingPastItsLifetimeIsRefused() throws Exception {
        Started started = start("console");
        URI callback = authorize(started);
        CLOCK.advance(Duration.ofMinutes(11));

        assertRefused(callback(started, callback), "/#sso-error=sso-expired");
    }

    @Test
    void anIdTokenWithAnotherNonceIsRefused() throws Exception {
        Started started = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), null);
        // The provider echoes the nonce it was sent: one not from this sign-in comes back in the ID token.
        URI tampered = URI.create(started.authorization().toString().replaceFirst("nonce=[^&]+", "nonce=another-nonce"));
        URI callback = authorize(new Started(tampered, started.flowCookie()));

        assertRefused(callback(started, callback), "/#sso-error=sso-refused");
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused&order=newest").body()).contains("nonce");
    }

    @Test
    void anIdTokenForAnotherAudienceIsRefused() throws Exception {
        Started started = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), List.of("some-other-app"));

        assertRefused(callback(started, authorize(started)), "/#sso-error=sso-refused");
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused&order=newest").body()).contains("audience");
    }

    @Test
    void whenTheProviderRotatesItsSigningKeyTheNewKeyIsFetchedAndTrusted() throws Exception {
        Started first = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), null);
        assertThat(callback(first, authorize(first)).headers().firstValue("Location").orElseThrow()).startsWith("/#sso=");
        String oldKey = provider.keyId();

        provider.rotateKey();
        Started second = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), null);

        assertThat(provider.keyId()).isNotEqualTo(oldKey);
        assertThat(callback(second, authorize(second)).headers().firstValue("Location").orElseThrow()).startsWith("/#sso=");
    }

    @Test
    void aDeviceUserSignsInToThePortalAndBecomesTheProvidersDirectoryUser() throws Exception {
        Started started = start("portal");
        provider.signsInNext("linus", List.of("staff"), null);
        HttpResponse<String> done = callback(started, authorize(started));

        assertThat(done.statusCode()).isEqualTo(303);
        assertThat(done.headers().firstValue("Location").orElseThrow()).startsWith("/portal#sso=");
        String session = cookie(done, "shepherd_portal").orElseThrow();
        assertThat(cookie(done, "shepherd_session")).isEmpty();
        JsonNode me = json.readTree(http.send(HttpRequest.newBuilder(server.uri("/portal/api/me")).header("Cookie", "shepherd_portal=" + session)
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(me.path("username").asText()).isEqualTo("linus");
        assertThat(me.path("email").asText()).isEqualTo("linus@corp.example");
        assertThat(server.getAsAdmin("/api/v1/users?q=linus").body()).contains("\"corp\"");
    }

    @Test
    void aDeviceUserSignsInOnAnEnrollmentLinksSignInPageAndIsSentToTheirOwnOneTimeLink() throws Exception {
        IssuedEnrollmentToken link = server.server().kernel().enrollmentTokens().create(Actor.SYSTEM, new NewEnrollmentToken("Staff phones",
                Ownership.PERSONAL, Optional.of(Platform.ANDROID), Optional.empty(), Optional.empty(), OptionalInt.of(3),
                Instant.now().plus(Duration.ofDays(1)), true));
        String page = server.get("/enroll/" + link.secret() + "?platform=android").body();
        assertThat(page).contains("href=\"/api/v1/auth/sso/corp?for=enrollment&amp;link=" + link.secret() + "&amp;platform=android\"");

        Started started = start("enrollment&link=" + link.secret() + "&platform=android");
        assertThat(started.authorization().getRawQuery()).doesNotContain(link.secret());
        provider.signsInNext("nadia", List.of("staff"), null);
        HttpResponse<String> done = callback(started, authorize(started));

        assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
        String location = done.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/enroll/").endsWith("?platform=android");
        String own = location.substring("/enroll/".length(), location.indexOf('?'));
        String nadia = server.server().kernel().directory().find("corp", "nadia").orElseThrow().id();
        assertThat(server.server().kernel().enrollmentTokens().check(own)).hasValueSatisfying(grant -> assertThat(grant.userId()).hasValue(nadia));
        assertThat(server.getAsAdmin("/api/v1/audit?action=user.enrollment_sign_in&targetId=" + nadia).body()).contains("corp");
    }

    @Test
    void roleMappingsAreForAdminManagersOnlyAndRefuseUnknownRoles() throws Exception {
        assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings", "{\"provider\":\"corp\",\"group\":\"x\",\"roleId\":\"NOPE\"}")
                .statusCode()).isEqualTo(400);
        assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings", "{\"provider\":\"corp\",\"group\":\"auditors\",\"roleId\":\"ADMIN\"}")
                .statusCode()).isEqualTo(400);
        JsonNode mappings = json.readTree(server.getAsAdmin("/api/v1/role-mappings").body());
        assertThat(mappings.findValuesAsText("group")).contains("shepherd-admins", "auditors");
        assertThat(server.get("/api/v1/role-mappings").statusCode()).isEqualTo(401);
    }

    @Test
    void aConfidentialClientsSecretIsKeptSealedNeverShownAndSentToTheTokenEndpoint() throws Exception {
        String endpoint = "/api/v1/plugins/identity-oidc/client-secret";
        assertThat(server.sendAsAdmin("PUT", endpoint, "{\"clientSecret\":42}").statusCode()).isEqualTo(400);
        HttpResponse<String> set = server.sendAsAdmin("PUT", endpoint, "{\"clientSecret\":\"s3cr3t-from-the-provider\"}");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(set.body()).isEqualTo("{\"clientSecretSet\":true}");
        assertThat(server.getAsAdmin(endpoint).body()).isEqualTo("{\"clientSecretSet\":true}");
        assertThat(server.getAsAdmin("/api/v1/audit?order=newest&limit=50").body()).doesNotContain("s3cr3t-from-the-provider");

        Started started = start("console");
        provider.signsInNext("grace", List.of("shepherd-admins"), null);
        assertThat(callback(started, authorize(started)).headers().firstValue("Location").orElseThrow()).startsWith("/#sso=");
        assertThat(provider.lastTokenRequestAuthorization()).hasValue(TestServer.basic("shepherd-console", "s3cr3t-from-the-provider"));

        assertThat(server.sendAsAdmin("DELETE", endpoint, null).statusCode()).isEqualTo(204);
        assertThat(server.getAsAdmin(endpoint).body()).isEqualTo("{\"clientSecretSet\":false}");
    }

    /** The browser's first step: the server's start route, with the flow cookie it sets. */
    private record Started(URI authorization, String flowCookie) {
    }

    private Started start(String audience) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/sso/corp?for=" + audience)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(302);
        String setCookie = response.headers().allValues("Set-Cookie").stream().filter(value -> value.startsWith("shepherd_sso=")).findFirst().orElseThrow();
        assertThat(setCookie).contains("HttpOnly", "Secure", "SameSite=Lax", "Path=/api/v1/auth/sso-callback");
        return new Started(URI.create(response.headers().firstValue("Location").orElseThrow()), cookie(response, "shepherd_sso").orElseThrow());
    }

    /**
     * The provider's part: its authorization endpoint answers with a redirect to the server's callback. The person it
     * vouches for is the one queued with {@link TestIdentityProvider#signsInNext}, taken when the code is exchanged:
     * a test whose sign-in is refused before that queues no one.
     */
    private URI authorize(Started started) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(started.authorization()).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(302);
        URI callback = URI.create(response.headers().firstValue("Location").orElseThrow());
        assertThat(callback.getPath()).isEqualTo("/api/v1/auth/sso-callback");
        return callback;
    }

    private HttpResponse<String> callback(Started started, URI callback) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(server.uri(callback.getRawPath() + "?" + callback.getRawQuery()))
                .header("Cookie", "shepherd_sso=" + started.flowCookie()).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> withSession(String path, String session) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(server.uri(path)).header("Cookie", "shepherd_session=" + session).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A change as the console makes it: creating an enrollment-free thing, a static group. */
    private HttpResponse<String> change(String session, Optional<String> csrf) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/api/v1/groups")).header("Cookie", "shepherd_session=" + session)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"sso-" + System.nanoTime() + "\"}"));
        csrf.ifPresent(token -> request.header("X-CSRF-Token", URLDecoder.decode(token, StandardCharsets.UTF_8)));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefused(HttpResponse<String> response, String location) {
        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).hasValue(location);
        assertThat(response.headers().allValues("Set-Cookie")).noneMatch(value -> value.startsWith("shepherd_session=") || value.startsWith("shepherd_portal="));
    }

    private static Optional<String> cookie(HttpResponse<?> response, String name) {
        return response.headers().allValues("Set-Cookie").stream().filter(value -> value.startsWith(name + "="))
                .map(value -> value.substring(name.length() + 1, value.indexOf(';') < 0 ? value.length() : value.indexOf(';')))
                .filter(value -> !value.isEmpty()).findFirst();
    }
}
