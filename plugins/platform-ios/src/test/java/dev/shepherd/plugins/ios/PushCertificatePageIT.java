package dev.shepherd.plugins.ios;

import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The push-certificate page the iOS plugin adds to the web console from its own file, in a real headless Chromium
 * against a real server with the plugin loaded from its zip: found from the plugins page, uploading a real
 * certificate through the plugin's admin endpoint, explaining a wrong file, removing it, and hidden from help desk.
 */
class PushCertificatePageIT {

    private static final String TOPIC = "com.apple.mgmt.External.5c2b7e10-1f3a-4d6b-9e8c-0a1b2c3d4e5f";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    private TestServer server;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.unused", Map.of(),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
        console = ConsoleBrowser.open(server, profile);
    }

    @AfterEach
    void stop() {
        if (console != null) {
            console.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anAdminUploadsThePushCertificateOnThePluginsOwnPage() throws Exception {
        Path certificate = Files.writeString(home.resolve("push.pem"), LocalApns.pushCertificatePem(TOPIC, Duration.ofDays(20)));
        Path notACertificate = Files.writeString(home.resolve("notes.pem"), "these are not the certificates you are looking for\n");

        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/plugins", "Plugins");
        console.driver().findElement(By.cssSelector("a[aria-label='Push certificate (apple-ios)']")).click();
        console.waitForHeading("Push certificate");
        console.waitForText("No push certificate has been uploaded yet.");
        assertThat(console.mainText()).contains("iPhones and iPads are woken through the Apple Push Notification service");

        console.labelledControl("Push certificate (PEM)").sendKeys(notACertificate.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload certificate']")).click();
        console.waitForText("the upload needs the push certificate and its private key, both PEM");

        console.labelledControl("Push certificate (PEM)").sendKeys(certificate.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload certificate']")).click();
        console.waitForText("Certificate for " + TOPIC + " uploaded");
        assertThat(console.mainText()).contains("Topic", TOPIC, "Days left", "expires in", "Delivered");
        console.screenshot("apple-push-certificate");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        assertThat(console.requests("/ui/plugins/")).singleElement().asString()
                .matches("GET /ui/plugins/apple-ios/[0-9.]+/push-certificate\\.js");
        String endpoint = server.uri("/api/v1/plugins/apple-ios/push-certificate").toString();
        assertThat(console.forbiddenOrFailedApiCalls()).as("none uploaded yet, then the wrong file")
                .containsExactly("404 " + endpoint, "400 " + endpoint);

        console.driver().findElement(By.xpath("//button[.='Remove certificate']")).click();
        console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Remove certificate']"))).click();
        console.waitForText("The push certificate is removed.");
        assertThat(console.mainText()).contains("No push certificate has been uploaded yet.");
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/push-certificate").statusCode()).isEqualTo(404);

        // A certificate request made on the server (its key never leaves it): Apple's certificate for it is uploaded alone.
        console.driver().findElement(By.xpath("//button[.='Create certificate request']")).click();
        console.waitForText("Have your MDM vendor sign the CSR as a push certificate request");
        String csr = console.labelledControl("Certificate signing request (PEM)").getDomProperty("value");
        assertThat(csr).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
        Path issued = Files.writeString(home.resolve("issued.pem"), LocalApns.pushCertificateFor(csr, TOPIC));
        console.labelledControl("Push certificate (PEM)").sendKeys(issued.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload certificate']")).click();
        console.waitForText("Certificate for " + TOPIC + " uploaded");
        assertThat(console.accessibilityViolations("moderate")).isEmpty();

        // Help desk cannot manage plugins: the page is not offered, and nothing of it is asked for.
        console.signOut();
        int before = console.requests("/").size();
        console.signIn("desk", "desk-password-123");
        console.open("#/plugins/apple-ios/push-certificate", "Plugin page");
        assertThat(console.mainText()).contains("has no page “push-certificate” you can open");
        List<String> asked = console.requests("/").subList(before, console.requests("/").size());
        assertThat(asked).noneMatch(request -> request.contains("push-certificate"));
    }
}
