package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The managed Google Play page the plugin adds to the web console, in a real headless Chromium against a real server
 * over https with the plugin loaded from its zip: Google's AMAPI played by {@link LocalPlay}, Google's iframe script
 * and the iframe's page by {@link LocalPlayIframe} on two https origins of their own, named in the plugin's settings.
 * The console's policy admits those origins only once the plugin runs, the plugins page says so, a console loaded
 * before says in plain words that the script was blocked, and after a reload the admin selects an app in the iframe
 * and it lands in the catalog.
 */
class ManagedPlayPageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOTES = "com.example.notes";
    private static final String PAGE = "#/plugins/appstore-google-play/managed-play";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    @TempDir
    Path certificates;
    private LocalPlay google;
    private LocalPlayIframe iframe;
    private TestServer server;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        google = LocalPlay.start();
        google.publish(NOTES, "[]", "[{\"versionString\": \"2.1\", \"versionCode\": 21, \"production\": true}]");
        iframe = new LocalPlayIframe(certificates, google::parentFrameUrl, List.of(NOTES));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    appstore-google-play:
                      apiUrl: "%s"
                      enterprise: "%s"
                      iframeScriptUrl: "%s"
                      iframeUrl: "%s"
                """.formatted(google.url(), LocalPlay.ENTERPRISE, iframe.scriptUrl(), iframe.iframeUrl()));
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0"));
        console = ConsoleBrowser.openOverHttps(server, profile);
    }

    @AfterEach
    void stop() {
        if (console != null) {
            console.close();
        }
        if (server != null) {
            server.close();
        }
        if (iframe != null) {
            iframe.close();
        }
        if (google != null) {
            google.close();
            assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
        }
    }

    @Test
    void anAdminSelectsAnAppInGooglesIframeAndItLandsInTheCatalog() throws Exception {
        // Without the plugin the console admits nothing from elsewhere; this console document is loaded now.
        assertThat(consolePolicy()).doesNotContain(iframe.scriptOrigin()).doesNotContain(iframe.playOrigin()).doesNotContain("frame-src");
        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-google-play.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin("/api/v1/plugins/appstore-google-play/managed-play/apps").statusCode() == 200);
        assertThat(consolePolicy()).as("each origin for its own kind").contains("script-src 'self' " + iframe.scriptOrigin() + ";")
                .contains("frame-src 'self' " + iframe.playOrigin()).contains("frame-ancestors 'none'");

        // Not set up yet (no service-account key): said in the plugin's words, and Google is not asked.
        console.open(PAGE, "Managed Google Play");
        console.waitForText("Managed Google Play is not set up: No service-account key has been uploaded");
        assertThat(google.webTokenRequests()).isEmpty();
        HttpResponse<String> key = server.sendAsAdmin("PUT", "/api/v1/plugins/appstore-google-play/service-account",
                new String(google.serviceAccountKey(), StandardCharsets.UTF_8));
        assertThat(key.statusCode()).as(key.body()).isEqualTo(200);

        // The console opened before the plugin started still has the old policy: the page says so in plain words.
        console.open("#/plugins", "Plugins");
        console.open(PAGE, "Managed Google Play");
        console.waitForText("The console\u2019s security policy blocked Google\u2019s script (" + iframe.scriptUrl() + "). Reload the console");
        assertThat(iframe.served()).as("the browser never fetched it").isEmpty();
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        // Reloaded: the plugins page shows the operator what the plugin added, and the page opens Google's iframe.
        console.driver().navigate().refresh();
        console.open("#/plugins", "Plugins");
        assertThat(console.mainText()).contains("Adds to the console\u2019s Content-Security-Policy:",
                "script-src " + iframe.scriptOrigin() + " (page managed-play)", "frame-src " + iframe.playOrigin() + " (page managed-play)");
        console.driver().findElement(By.cssSelector("a[aria-label='Managed Google Play (appstore-google-play)']")).click();
        console.waitForHeading("Managed Google Play");
        console.waitForText("No app has been added yet.");
        WebElement frame = console.await().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("main iframe[title='Managed Google Play']")));
        String consoleUrl = "https://127.0.0.1:" + server.server().httpsPort() + "/";
        List<JsonNode> tokens = google.webTokenRequests();
        assertThat(tokens.get(tokens.size() - 1).path("parentFrameUrl").asText()).as("the console's own address").isEqualTo(consoleUrl);
        assertThat(frame.getDomAttribute("src")).startsWith(iframe.iframeUrl() + "?token=WTTEST" + tokens.size() + "&mode=SELECT");

        console.driver().switchTo().frame(frame);
        console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//button[.='Select " + NOTES + "']"))).click();
        console.driver().switchTo().defaultContent();
        console.waitForText("Title of " + NOTES + " (" + NOTES + ") 2.1 is in the catalog.");
        assertThat(console.mainText()).contains("Added from managed Google Play", NOTES, "Example Corp");
        console.screenshot("google-play-managed-play");
        assertThat(iframe.served()).contains(LocalPlayIframe.SCRIPT_PATH, "/js/gapi.iframes.js");
        assertThat(iframe.refused()).isEmpty();
        assertThat(console.apiCalls()).contains("POST /api/v1/plugins/appstore-google-play/managed-play/apps",
                "POST /api/v1/app-stores/google-play/sync");

        JsonNode catalog = JSON.readTree(server.getAsAdmin("/api/v1/apps?storeId=google-play").body());
        assertThat(catalog).extracting(app -> app.path("storeAppId").asText()).containsExactly(NOTES);
        assertThat(catalog.get(0).path("version").asText()).isEqualTo("2.1");
        console.driver().findElement(By.linkText("Open Title of " + NOTES + " to assign it")).click();
        console.waitForHeading("Title of " + NOTES);
    }

    private String consolePolicy() {
        return server.get("/").headers().firstValue("Content-Security-Policy").orElseThrow();
    }
}
