package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.apple.AdeTokenFiles;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.LocalDeviceAssignment;
import dev.shepherd.security.AdminRole;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

    /** The credentials Apple Business Manager puts in the token of the MDM server the sync test connects. */
    private static final AdeTokenFiles.Credentials ABM = AdeTokenFiles.Credentials.expiring("abm1", Instant.now().plus(Duration.ofDays(300)));

    @TempDir
    static Path home;
    private static TestServer server;
    private static LocalDeviceAssignment apple;

    @BeforeAll
    static void start() throws Exception {
        apple = LocalDeviceAssignment.start(ABM, Clock.systemUTC());
        // The syncs here are the test's own (adeSyncInterval PT0S: no schedule, AdeSyncSchedulerTest covers it), so
        // their counts are exact.
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.ade",
                Map.of("adeUrl", apple.uri().toString(), "adeSyncInterval", "PT0S"),
                // A sync of a thousand devices is one admin call; on a machine shared by several builds it may take
                // longer than the default call timeout.
                Map.of("SHEPHERD_PLUGINS_CALL_TIMEOUT", "120s"), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (apple != null) {
            apple.close();
        }
    }

    @Test
    void theDevicesAppleAssignedAppearPendingAndThoseMovedAwayAreMarkedNotRemoved() throws Exception {
        String publicKey = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key").body();
        assertThat(put("/api/v1/plugins/apple-ios/ade/tokens/abm", TestServer.ADMIN, TestServer.ADMIN_PASSWORD,
                AdeTokenFiles.tokenFile(publicKey, ABM)).statusCode()).isEqualTo(200);
        for (int i = 0; i < 1000; i++) {
            apple.assign("DMQ%05d".formatted(i), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        }
        apple.assign("C02MAC00001", "MacBook Air", "MacBook Air M3", "MIDNIGHT", "OSX");
        HttpResponse<String> unknownField = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile",
                "{\"profile_name\": \"Corporate\", \"url\": \"https://elsewhere.example\"}");
        assertThat(unknownField.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(unknownField.body()).path("detail").asText()).contains("unknown profile field url");
        HttpResponse<String> defined = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile", """
                {"profile_name": "Corporate iPhones", "is_supervised": true, "is_mandatory": true, "is_mdm_removable": false,
                 "await_device_configured": true, "department": "IT", "support_phone_number": "+1 555 0100",
                 "support_email_address": "it@example.com", "skip_setup_items": ["Location", "Privacy", "Siri"]}""");
        assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
        String profileUuid = JSON.readTree(defined.body()).path("profile_uuid").asText();
        JsonNode atApple = apple.profile(profileUuid);
        assertThat(atApple.path("is_supervised").asBoolean()).isTrue();
        assertThat(atApple.path("await_device_configured").asBoolean()).isTrue();
        assertThat(atApple.path("url").asText()).startsWith("https://").endsWith("/mdm/apple-ios/ade/enroll");
        assertThat(JSON.readTree(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/abm/profile").body())
                .path("profile_uuid").asText()).isEqualTo(profileUuid);

        JsonNode first = sync("abm");

        assertThat(first.path("fullFetch").asBoolean()).isTrue();
        assertThat(first.path("seen").asInt()).isEqualTo(1001);
        assertThat(first.path("registered").asInt()).isEqualTo(1000);
        assertThat(first.path("otherPlatform").asInt()).as("the Mac is the macOS plugin's").isEqualTo(1);
        assertThat(first.path("profileAssigned").asInt()).isEqualTo(1000);
        JsonNode lastSync = json(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/abm").body()).path("lastSync");
        assertThat(lastSync.path("result").path("registered").asInt()).as("kept for the token page").isEqualTo(1000);
        assertThat(lastSync.has("error")).isFalse();
        assertThat(apple.device("DMQ00007").path("profile_uuid").asText()).isEqualTo(profileUuid);
        assertThat(apple.device("C02MAC00001").has("profile_uuid")).as("the Mac is left to the macOS plugin").isFalse();
        assertThat(apple.requests()).contains("GET /session", "POST /server/devices");
        Kernel kernel = server.server().kernel();
        DeviceId phone = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMQ00007").orElseThrow();
        Device pending = kernel.devices().get(phone).orElseThrow().device();
        assertThat(pending.status()).isEqualTo(DeviceStatus.PENDING);
        assertThat(pending.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(pending.serialNumber()).isEqualTo("DMQ00007");
        assertThat(pending.model()).isEqualTo("iPhone 15");
        assertThat(kernel.devices().inventory(phone)).containsEntry("apple.ade.description", "iPhone 15 128GB Black")
                .containsEntry("apple.ade.color", "BLACK").containsEntry("apple.ade.os", "iOS").containsEntry("apple.ade.assigned", "true");
        assertThat(kernel.devices().idByHardwareId(Platform.MACOS, "serial", "C02MAC00001")).isEmpty();

        apple.describe("DMQ00007", "Reception iPhone");
        apple.unassign("DMQ00008");
        apple.assign("DMQ01000", "iPad Air", "iPad Air 11-inch", "BLUE", "iPadOS");
        JsonNode changes = sync("abm");

        assertThat(changes.path("fullFetch").asBoolean()).as("from the cursor").isFalse();
        // The profile assignments come back as changes too.
        assertThat(changes.path("seen").asInt()).isEqualTo(1003);
        assertThat(changes.path("registered").asInt()).isEqualTo(1);
        assertThat(changes.path("updated").asInt()).isEqualTo(1001);
        assertThat(changes.path("unassigned").asInt()).isEqualTo(1);
        assertThat(changes.path("profileAssigned").asInt()).as("the new iPad").isEqualTo(1);
        assertThat(kernel.devices().inventory(phone)).containsEntry("apple.ade.description", "Reception iPhone");
        DeviceId movedAway = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMQ00008").orElseThrow();
        assertThat(kernel.devices().get(movedAway)).as("kept, never removed").isPresent();
        assertThat(kernel.devices().inventory(movedAway)).containsEntry("apple.ade.assigned", "false");

        apple.expireCursors();
        JsonNode again = sync("abm");
        assertThat(again.path("fullFetch").asBoolean()).as("an expired cursor starts over").isTrue();
        assertThat(again.path("registered").asInt()).isZero();
        assertThat(again.path("profileAssigned").asInt()).isZero();

        apple.requireNewTerms(true);
        HttpResponse<String> refused = server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/abm/sync", null);
        apple.requireNewTerms(false);
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(refused.body()).path("detail").asText()).contains("T_C_NOT_SIGNED");
        assertThat(json(server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/abm").body()).path("lastSync").path("error").asText())
                .as("the refusal kept for the token page").contains("T_C_NOT_SIGNED");
        assertThat(server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/nobody/sync", null).statusCode()).isEqualTo(404);
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode sync(String token) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/" + token + "/sync", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
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
        assertThat(tokens).extracting(token -> token.path("name").asText()).contains("business", "school");
        JsonNode school = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/tokens/school").body().transform(AdeServerTokensIT::json);
        assertThat(school.path("warning").asText()).contains("expires in 19 day(s)");
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
        Path token = Files.write(home.resolve("ABM_Token.p7m"), AdeTokenFiles.tokenFile(publicKey, ABM));
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
            assertThat(console.mainText()).contains("CK_abm1").doesNotContain("CS_abm1", "AS_abm1");
            assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

            console.driver().findElement(By.xpath("//button[.='Sync devices console']")).click();
            console.waitForText("Synchronised console:");
            assertThat(console.mainText()).contains("new pending", "moved away", "Last sync");

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
