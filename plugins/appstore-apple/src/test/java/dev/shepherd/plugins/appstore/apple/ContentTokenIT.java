package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The content-token admin endpoint through a running server with the plugin loaded from its real file and pointed at
 * the fake of Apple's service: uploads checked with Apple, problems for what is not a usable token, the token never
 * returned, an expiry warning, removal, and only for admins who may manage plugins.
 */
class ContentTokenIT {

    private static final String ENDPOINT = "/api/v1/plugins/appstore-apple/content-token";
    /** The kernel refuses changes whose body a form on another site could send, so the file goes as bytes. */
    private static final String TOKEN_TYPE = "application/octet-stream";

    @TempDir
    Path home;
    private LocalVpp vpp;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        vpp = LocalVpp.start();
        vpp.addAsset(new LocalVpp.OwnedAsset("361285480", "STDQ", 10, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", "14.0"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    appstore-apple:\n"
                + "      serviceUrl: \"" + vpp.serviceUrl() + "\"\n      lookupUrl: \"" + vpp.lookupUrl() + "\"\n");
        server = TestServer.start(home);
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-apple.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin(ENDPOINT).statusCode() == 404
                && server.getAsAdmin(ENDPOINT).body().contains("No content token"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (vpp != null) {
            vpp.close();
        }
    }

    @Test
    void anAdminUploadsTheContentTokenAndSeesItsOrganisationAndExpiryButNeverTheToken() throws Exception {
        String token = vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(200)));

        HttpResponse<String> uploaded = put(token, TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

        assertThat(uploaded.statusCode()).isEqualTo(200);
        JsonNode status = json.readTree(uploaded.body());
        assertThat(status.path("organisation").asText()).isEqualTo("Example Org");
        assertThat(status.path("location").asText()).isEqualTo("Main office");
        assertThat(status.path("daysLeft").asLong()).isBetween(198L, 200L);
        assertThat(status.has("warning")).isFalse();
        assertThat(uploaded.body()).doesNotContain(token);
        assertThat(vpp.mdmInfo()).hasValueSatisfying(info -> assertThat(info.path("name").asText()).isEqualTo("Shepherd"));

        HttpResponse<String> read = server.getAsAdmin(ENDPOINT);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).doesNotContain(token).contains("Example Org");

        assertThat(server.send(HttpRequest.newBuilder(server.uri(ENDPOINT)).DELETE()
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).build()).statusCode()).isEqualTo(204);
        assertThat(server.getAsAdmin(ENDPOINT).statusCode()).isEqualTo(404);
    }

    @Test
    void aTokenCloseToExpiryIsStoredWithAWarning() throws Exception {
        HttpResponse<String> uploaded = put(vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(12))),
                TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

        assertThat(uploaded.statusCode()).isEqualTo(200);
        assertThat(json.readTree(uploaded.body()).path("warning").asText()).contains("expires in 11 days");
    }

    @Test
    void whatIsNotAUsableTokenIsAProblemSayingWhy() throws Exception {
        assertProblem(put("-----BEGIN CERTIFICATE-----", TestServer.ADMIN, TestServer.ADMIN_PASSWORD), 400, "not Base64");
        assertProblem(put(vpp.issueToken("Example Org", "Old office", Instant.now().minus(Duration.ofDays(1))),
                TestServer.ADMIN, TestServer.ADMIN_PASSWORD), 400, "expired");
        String revoked = vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(100)));
        vpp.revoke(revoked);
        assertProblem(put(revoked, TestServer.ADMIN, TestServer.ADMIN_PASSWORD), 400, "9625");
        assertThat(server.getAsAdmin(ENDPOINT).statusCode()).as("nothing was stored").isEqualTo(404);
    }

    @Test
    void aLocationAnotherMdmManagesIsTakenOverOnlyWhenAsked() throws Exception {
        String token = vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(100)));
        new VppClient(VppTestSettings.against(vpp), VppClient.newHttpClient(), Clock.systemUTC())
                .registerMdm(ContentToken.parse(token), new VppClient.MdmInfo("other-mdm", "Another MDM", "1.0"));

        assertProblem(put(token, TestServer.ADMIN, TestServer.ADMIN_PASSWORD), 409, "Another MDM");
        HttpResponse<String> takenOver = server.send(HttpRequest.newBuilder(server.uri(ENDPOINT + "?takeOver=true"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", TOKEN_TYPE).PUT(HttpRequest.BodyPublishers.ofString(token)).build());
        assertThat(takenOver.statusCode()).isEqualTo(200);
        assertThat(vpp.mdmInfo()).hasValueSatisfying(info -> assertThat(info.path("name").asText()).isEqualTo("Shepherd"));
    }

    @Test
    void helpDeskMayNeitherReadNorUploadTheToken() {
        String token = vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(100)));

        assertThat(put(token, "desk", "desk-password-123").statusCode()).isEqualTo(403);
        assertThat(server.send(HttpRequest.newBuilder(server.uri(ENDPOINT))
                .header("Authorization", TestServer.basic("desk", "desk-password-123")).GET().build()).statusCode()).isEqualTo(403);
        assertThat(server.send(HttpRequest.newBuilder(server.uri(ENDPOINT)).header("Content-Type", TOKEN_TYPE).PUT(HttpRequest.BodyPublishers.ofString(token)).build())
                .statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> put(String body, String username, String password) {
        return server.send(HttpRequest.newBuilder(server.uri(ENDPOINT)).header("Authorization", TestServer.basic(username, password))
                .header("Content-Type", TOKEN_TYPE).PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private void assertProblem(HttpResponse<String> response, int status, String detail) throws Exception {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(json.readTree(response.body()).path("detail").asText()).contains(detail);
    }
}
