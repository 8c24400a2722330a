package dev.shepherd.plugins.appstore.apple;

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
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The content-token page the plugin adds to the web console from its own file, in a real headless Chromium against a
 * real server with the plugin loaded from its zip and pointed at the fake of Apple's service: found from the plugins
 * page, a wrong file explained, a real token uploaded and checked with Apple, its organisation and expiry shown, and
 * removed.
 */
class ContentTokenPageIT {

    private static final String ENDPOINT = "/api/v1/plugins/appstore-apple/content-token";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    private LocalVpp vpp;
    private TestServer server;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        vpp = LocalVpp.start();
        vpp.addAsset(new LocalVpp.OwnedAsset("361285480", "STDQ", 10, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", "14.0"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    appstore-apple:\n"
                + "      serviceUrl: \"" + vpp.serviceUrl() + "\"\n      lookupUrl: \"" + vpp.lookupUrl() + "\"\n");
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-apple.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin(ENDPOINT).statusCode() == 404);
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
        if (vpp != null) {
            vpp.close();
        }
    }

    @Test
    void anAdminUploadsTheContentTokenOnThePluginsOwnPage() throws Exception {
        Path token = Files.writeString(home.resolve("Main office.vpptoken"),
                vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(200))));
        Path notAToken = Files.writeString(home.resolve("notes.vpptoken"), "-----BEGIN CERTIFICATE-----\n");

        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/plugins", "Plugins");
        console.driver().findElement(By.cssSelector("a[aria-label='Apps and Books token (appstore-apple)']")).click();
        console.waitForHeading("Apps and Books token");
        console.waitForText("No content token has been uploaded yet.");

        console.labelledControl("Content token (.vpptoken)").sendKeys(notAToken.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload token']")).click();
        console.waitForText("not Base64");

        console.labelledControl("Content token (.vpptoken)").sendKeys(token.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload token']")).click();
        console.waitForText("Content token for Example Org (Main office) uploaded");
        assertThat(console.mainText()).contains("Organisation", "Example Org", "Location", "Main office", "Days left");
        assertThat(console.mainText()).doesNotContain(Files.readString(token));
        console.screenshot("apple-vpp-content-token");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        assertThat(console.requests("/ui/plugins/")).singleElement().asString()
                .matches("GET /ui/plugins/appstore-apple/[0-9.]+/content-token\\.js");

        console.driver().findElement(By.xpath("//button[.='Remove token']")).click();
        console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Remove token']"))).click();
        console.waitForText("The content token is removed.");
        assertThat(server.getAsAdmin(ENDPOINT).statusCode()).isEqualTo(404);
    }
}
