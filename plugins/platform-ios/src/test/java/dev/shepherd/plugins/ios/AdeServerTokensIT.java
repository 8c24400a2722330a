package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.apple.AdeTokenFiles;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Automated Device Enrollment server tokens through the iOS plugin's admin endpoint, on a real server with the plugin
 * loaded from its zip: the admin downloads the public key, Apple's token file encrypted to it is uploaded, decrypted
 * and listed with its expiry (its secrets never returned), several tokens side by side; wrong files, names and roles
 * are refused with problem details; and the console page does the same in a real browser.
 */
class AdeServerTokensIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.ade", Map.of(),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anAdminUploadsTheTokenAppleEncryptedToTheServersPublicKey() throws Exception {
        HttpResponse<String> key = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key");
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(key.headers().firstValue("Content-Type")).hasValue("application/x-pem-file");
        assertThat(key.headers().firstValue("Content-Disposition")).hasValueSatisfying(value -> assertThat(value).contains("attachment"));
        assertThat(key.body()).startsWith("-----BEGIN CERTIFICATE-----").doesNotContain("PRIVATE");
        Instant expiry = Instant.now().plus(Duration.ofDays(365));

        HttpResponse<String> uploaded = put("/api/v1/plugins/apple-ios/ade/tokens/business", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                AdeTokenFiles.tokenFile(key.body(), AdeTokenFiles.Credentials.expiring("business1", expiry)));
        HttpResponse<String> second = put("/api/v1/plugins/apple-ios/ade/tokens/school", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                AdeTokenFiles.tokenFile(key.body(), AdeTokenFiles.Credentials.expiring("school1", Instant.now().plus(Duration.ofDays(20)))));

        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        JsonNode status = JSON.readTree(uploaded.body());
        assertThat(status.path("name").asText()).isEqualTo("business");
        assertThat(status.path("consumerKey").asText()).isEqualTo("CK_business1");
        assertThat(status.path("daysLeft").asLong()).isBetween(364L, 365L);
        assertThat(status.has("warning")).isFalse();
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        HttpResponse<String> list = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens");
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode tokens = JSON.readTree(list.body()).path("tokens");
        assertThat(tokens).extracting(token -> token.path("name").asText()).containsExactly("business", "school");
        assertThat(tokens.get(1).path("warning").asText()).contains("expires in 19 day(s)");
        assertThat(list.body() + uploaded.body()).doesNotContain("CS_business1", "AT_business1", "AS_business1");
        assertThat(server.sendAsAdmin("DELETE", "/api/v1/plugins/apple-ios/ade/tokens/school", null).statusCode()).isEqualTo(204);
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/school").statusCode()).isEqualTo(404);
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/business").statusCode()).isEqualTo(200);
    }

    @Test
    void wrongFilesNamesAndRolesAreRefusedWithProblemDetails() throws Exception {
        HttpResponse<String> notAToken = put("/api/v1/plugins/apple-ios/ade/tokens/default", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> badName = put("/api/v1/plugins/apple-ios/ade/tokens/Not%20A%20Name", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                "x".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> wrongMethod = put("/api/v1/plugins/apple-ios/ade/public-key", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                "x".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> helpDesk = put("/api/v1/plugins/apple-ios/ade/tokens/default", "desk", "desk-password-123",
                "x".getBytes(StandardCharsets.US_ASCII));

        assertThat(notAToken.statusCode()).isEqualTo(400);
        assertThat(notAToken.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(JSON.readTree(notAToken.body()).path("detail").asText()).contains("not a server token");
        assertThat(badName.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badName.body()).path("detail").asText()).contains("lower-case letters");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(helpDesk.statusCode()).isEqualTo(403);
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/default").statusCode()).isEqualTo(404);
    }

    @Test
    void anAdminConnectsAppleBusinessManagerOnThePluginsPage(@TempDir Path profile) throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        String publicKey = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key").body();
        Path token = Files.write(home.resolve("ABM_Token.p7m"), AdeTokenFiles.tokenFile(publicKey,
                AdeTokenFiles.Credentials.expiring("console", Instant.now().plus(Duration.ofDays(300)))));
        Path notAToken = Files.writeString(home.resolve("notes.p7m"), "these are not the tokens you are looking for\n");
        try (ConsoleBrowser console = ConsoleBrowser.open(server, profile)) {
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            console.open("#/plugins/apple-ios/ade-tokens", "ADE server tokens");
            assertThat(console.mainText()).contains("Download the public key", "Apple Business Manager");
            assertThat(console.driver().findElement(By.linkText("Download the public key")).getAttribute("href"))
                    .endsWith("/api/v1/plugins/apple-ios/ade/public-key");

            console.labelledControl("Token name").clear();
            console.labelledControl("Token name").sendKeys("console");
            console.labelledControl("Server token (.p7m)").sendKeys(notAToken.toAbsolutePath().toString());
            console.driver().findElement(By.xpath("//button[.='Upload token']")).click();
            console.waitForText("not a server token");

            console.labelledControl("Server token (.p7m)").sendKeys(token.toAbsolutePath().toString());
            console.driver().findElement(By.xpath("//button[.='Upload token']")).click();
            console.waitForText("Token console uploaded");
            assertThat(console.mainText()).contains("CK_console").doesNotContain("CS_console", "AS_console");
            assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

            console.driver().findElement(By.xpath("//button[.='Remove token console']")).click();
            console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Remove token console']"))).click();
            console.waitForText("The server token console is removed.");
            assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/console").statusCode()).isEqualTo(404);
        }
    }

    private static HttpResponse<String> put(String path, String username, String password, byte[] body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(username, password))
                .header("Content-Type", "application/pkcs7-mime").PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }
}
