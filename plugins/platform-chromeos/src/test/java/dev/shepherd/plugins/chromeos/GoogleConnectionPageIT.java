package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.device.Platform;
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
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The "Google Admin connection" page the ChromeOS plugin adds to the web console from its own file, in a real headless
 * Chromium against a real server with the plugin loaded from its zip and talking to a Google stand-in on loopback:
 * found from the plugins page, a wrong file explained, the service account key uploaded (and never shown back), a sync
 * followed while Google holds it and its Chromebooks counted, Google's refusal explained, the key removed, and the
 * page hidden from help desk.
 */
class GoogleConnectionPageIT {

    private static final String ACCOUNT = "shepherd@shepherd-test.iam.gserviceaccount.com";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    private LocalGoogle google;
    private TestServer server;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        google = ChromeOsTestServers.salesAndLab();
        // A short adminWait, so a sync Google holds answers 202 and the page follows it to its end.
        server = ChromeOsTestServers.start(home.resolve("server"), google, Map.of("adminWait", "PT1S"));
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
        if (google != null) {
            google.close();
            assertThat(google.violations()).as("requests Google would refuse").isEmpty();
        }
    }

    @Test
    void anAdminConnectsGoogleAndSyncsTheChromebooksOnThePluginsOwnPage() throws Exception {
        Path key = Files.writeString(home.resolve("shepherd-test-k3y1d.json"), google.serviceAccountKey());
        // An OAuth client secret: JSON from Google Cloud too, and the file admins most often pick by mistake.
        Path clientSecret = Files.writeString(home.resolve("client_secret.json"),
                "{\"installed\":{\"client_id\":\"1234.apps.googleusercontent.com\",\"client_secret\":\"GOCSPX-not-a-key\"}}");
        String serviceAccount = server.uri("/api/v1/plugins/chromeos/service-account").toString();
        String sync = server.uri("/api/v1/plugins/chromeos/sync").toString();

        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/plugins", "Plugins");
        console.driver().findElement(By.cssSelector("a[aria-label='Google Admin connection (chromeos)']")).click();
        console.waitForHeading("Google Admin connection");
        console.waitForText("No service account key has been uploaded yet");
        assertThat(console.mainText()).contains("Not connected", "No sync has run since the plugin started.",
                "Connect to Google first: upload the service account key below");
        assertThat(console.driver().findElements(By.xpath("//button[.='Sync now']"))).as("nothing to sync with yet").isEmpty();

        console.labelledControl("Service account key (JSON)").sendKeys(clientSecret.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload key']")).click();
        console.waitForText("The key's type is not service_account; download a JSON key of the service account in Google Cloud.");

        console.labelledControl("Service account key (JSON)").sendKeys(key.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload key']")).click();
        console.waitForText("Key uploaded for " + ACCOUNT + ".");
        assertThat(console.mainText()).contains("Connected", "Shepherd calls Google as " + ACCOUNT + ", acting for it-admin@example.com.",
                "1234567890", "shepherd-test", "The admin’s own (my_customer)",
                "https://www.googleapis.com/auth/admin.directory.device.chromeos", "Replace key");
        assertThat(console.driver().getPageSource()).as("the key is never shown back").doesNotContain("PRIVATE KEY");

        // Google holds the device list: the POST answers 202 after adminWait and the page follows GET /sync meanwhile.
        CountDownLatch gate = google.hold("/devices/chromeos");
        console.driver().findElement(By.xpath("//button[.='Sync now']")).click();
        console.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("google-sync-progress")));
        assertThat(console.mainText()).contains("Syncing the Chromebooks from Google Admin…");
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            List<String> calls = console.apiCalls();
            int post = calls.lastIndexOf("POST /api/v1/plugins/chromeos/sync");
            return post >= 0 && calls.subList(post + 1, calls.size()).contains("GET /api/v1/plugins/chromeos/sync");
        });
        assertThat(console.driver().findElement(By.id("google-sync-progress")).isDisplayed()).as("still under way").isTrue();
        assertThat(console.driver().findElement(By.xpath("//button[.='Sync now']")).isEnabled()).as("one sync at a time").isFalse();
        assertThat(console.driver().findElement(By.cssSelector("section[aria-labelledby='google-sync-title']")).getAttribute("aria-busy"))
                .isEqualTo("true");
        gate.countDown();
        console.waitForText("Sync finished: 3 Chromebooks found at Google (3 new, 0 updated) in 2 org units.");
        assertThat(console.mainText()).contains("Chromebooks found at Google", "New to Shepherd", "Already known, updated");
        assertThat(console.driver().findElements(By.id("google-sync-progress"))).isEmpty();
        assertThat(console.driver().findElement(By.cssSelector("section[aria-labelledby='google-sync-title']")).getAttribute("aria-busy"))
                .as("no longer busy").isNull();
        for (String chromebook : List.of("d1a2b3c4-0001", "d1a2b3c4-0002", "d1a2b3c4-0003")) {
            assertThat(server.server().kernel().devices().idByHardwareId(Platform.CHROMEOS, "chromeDeviceId", chromebook)).isPresent();
        }
        console.screenshot("chromeos-google");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        // Google refuses: its words, and what to check. (Twice, in case the first scheduled sync takes one refusal.)
        String refusal = "{\"error\":{\"code\":403,\"message\":\"Not Authorized to access this resource/api\",\"status\":\"PERMISSION_DENIED\"}}";
        google.fail("/orgunits", 403, Map.of(), refusal);
        google.fail("/orgunits", 403, Map.of(), refusal);
        console.driver().findElement(By.xpath("//button[.='Sync now']")).click();
        console.waitForText("Google did not complete the sync:");
        assertThat(console.mainText()).contains("Google answered 403: PERMISSION_DENIED Not Authorized to access this resource/api",
                "lacks one of the scopes listed under Domain-wide delegation", "Connected, but the last sync failed", "Last completed sync");
        assertThat(console.mainText().split("PERMISSION_DENIED", -1)).as("the refusal is told once").hasSize(2);

        console.driver().findElement(By.xpath("//button[.='Remove key']")).click();
        console.await().until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Remove key']"))).click();
        console.waitForText("The service account key is removed; Shepherd no longer calls Google.");
        assertThat(console.mainText()).contains("Not connected", "No service account key has been uploaded yet");
        assertThat(server.getAsAdmin("/api/v1/plugins/chromeos/service-account").statusCode()).isEqualTo(404);

        assertThat(console.requests("/ui/plugins/")).singleElement().asString()
                .matches("GET /ui/plugins/chromeos/[0-9.]+/google-connection\\.js");
        assertThat(console.forbiddenOrFailedApiCalls()).as("none uploaded yet, the wrong file, Google's refusal, removed")
                .containsExactly("404 " + serviceAccount, "400 " + serviceAccount, "502 " + sync, "404 " + serviceAccount);
        // Failed responses are logged as failed loads; anything else (a script error, a CSP violation) is a fault.
        assertThat(console.browserErrors()).allMatch(error -> error.contains("Failed to load resource"));

        // Help desk cannot manage plugins: the page is not offered, and nothing of it or of the plugin is asked for.
        console.signOut();
        int before = console.requests("/").size();
        console.signIn("desk", "desk-password-123");
        console.open("#/plugins/chromeos/google", "Plugin page");
        assertThat(console.mainText()).contains("has no page “google” you can open");
        List<String> asked = console.requests("/").subList(before, console.requests("/").size());
        assertThat(asked).noneMatch(request -> request.contains("/api/v1/plugins/chromeos") || request.contains("google-connection"));
    }
}
