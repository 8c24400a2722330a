package dev.shepherd.plugins.android;

import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Android Enterprise page the android plugin adds to the web console from its own file, in a real headless
 * Chromium against a real server with the plugin loaded from its zip and Google played by {@link LocalAmapi}: found from
 * the plugins page, a wrong key file explained, the real key uploaded and never shown back, Google's refusal of the
 * signup explained, the signup link handed out and the enterprise bound when Google's page sends the browser back,
 * another enterprise bound by its ID, and the page hidden from help desk.
 */
class EnterprisePageIT {

    private static final String SIGNUP_LINK = "Open Google\u2019s signup page";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    private LocalAmapi google;
    private LocalZeroTouch zeroTouch;
    private TestServer server;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        google = LocalAmapi.start();
        google.existingEnterprise("enterprises/LC02other");
        google.existingEnterprise("enterprises/LC03api");
        zeroTouch = LocalZeroTouch.start(google);
        AndroidServerCalls.configure(home, google.url(), zeroTouch.url(), "");
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("android.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/android/pubsub").statusCode() == 405);
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
        if (zeroTouch != null) {
            zeroTouch.close();
            assertThat(zeroTouch.violations()).as("requests Google's zero-touch discovery document refuses").isEmpty();
        }
        if (google != null) {
            google.close();
            assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
        }
    }

    @Test
    void anAdminConnectsShepherdToGoogleOnThePluginsOwnPage() throws Exception {
        Path notAKey = Files.writeString(home.resolve("notes.json"), "these are not the keys you are looking for\n");
        Path key = Files.writeString(home.resolve("shepherd-key.json"), google.serviceAccountKey());

        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/plugins", "Plugins");
        console.driver().findElement(By.cssSelector("a[aria-label='Android Enterprise (android)']")).click();
        console.waitForHeading("Android Enterprise");
        console.waitForText("Not connected: no service-account key has been uploaded yet.");
        assertThat(console.mainText()).contains("Start with step 1 below", "Upload the service-account key first (step 1).");

        // A file that is not a key: refused in the plugin's words, nothing stored.
        console.labelledControl("Service-account key (JSON)").sendKeys(notAKey.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload key']")).click();
        console.waitForText("The key was not stored. The service-account key is not JSON; upload the key file Google's Cloud console downloads.");

        // The real key: the account and project are shown, the key never.
        console.labelledControl("Service-account key (JSON)").sendKeys(key.toAbsolutePath().toString());
        console.driver().findElement(By.xpath("//button[.='Upload key']")).click();
        console.waitForText("The key of " + LocalAmapi.CLIENT_EMAIL + " (project " + LocalAmapi.PROJECT + ") is stored.");
        assertThat(console.mainText()).contains("Not connected: no Android Enterprise is bound yet.", "Continue with step 2 below",
                "Shepherd calls Google as " + LocalAmapi.CLIENT_EMAIL + " of the project " + LocalAmapi.PROJECT);
        assertThat(console.driver().getPageSource()).doesNotContain("PRIVATE KEY").doesNotContain("private_key");

        // Google refuses the signup: said in plain words, with Google's own, and the status shows the refusal.
        google.refuseNext(request -> request.method().equals("POST") && request.path().equals("/v1/signupUrls"), 403, Map.of(),
                "PERMISSION_DENIED", "The caller does not have permission");
        console.driver().findElement(By.xpath("//button[.='Start signup']")).click();
        console.waitForText("Google did not hand out a signup page.");
        assertThat(console.mainText()).contains("the service account may lack the role Android Management User",
                "The caller does not have permission", "Google\u2019s last refusal");

        // Tried again: Google's signup address as a link to a new tab.
        console.driver().findElement(By.xpath("//button[.='Start signup']")).click();
        WebElement link = console.await().until(ExpectedConditions.visibilityOfElementLocated(By.linkText(SIGNUP_LINK)));
        assertThat(link.getAttribute("href")).isEqualTo("https://play.google.com/work/adminsignup?token=local");
        assertThat(link.getAttribute("target")).isEqualTo("_blank");
        assertThat(link.getAttribute("rel")).contains("noopener");
        assertThat(console.mainText()).contains("Google sends you back to Shepherd, which binds the new enterprise by itself");

        // Google's page cannot be reached from here; how it ends can: the new tab is sent back to Shepherd's callback
        // with the enterprise token. The callback carries the one-time state Shepherd gave Google.
        List<LocalAmapi.Request> signups = google.requests("POST", "/v1/signupUrls");
        String callbackUrl = signups.get(signups.size() - 1).query().get("callbackUrl");
        String state = callbackUrl.substring(callbackUrl.indexOf("state=") + "state=".length());
        String consoleTab = console.driver().getWindowHandle();
        console.driver().switchTo().newWindow(WindowType.TAB);
        console.driver().get(server.uri("/mdm/android/signup-callback?state=" + state + "&enterpriseToken=" + LocalAmapi.ENTERPRISE_TOKEN).toString());
        assertThat(console.driver().findElement(By.tagName("body")).getText())
                .contains("Shepherd now manages Android devices of " + LocalAmapi.ENTERPRISE);
        console.driver().close();
        console.driver().switchTo().window(consoleTab);

        // Back in the console's tab, the page looks again by itself as the tab is shown: nobody reloads or clicks.
        console.waitForText("Connected: Shepherd manages the Android devices of enterprise LC01local.");
        console.waitForText("The signup is complete: Shepherd manages the Android devices of " + LocalAmapi.ENTERPRISE + ".");
        assertThat(console.mainText()).contains("LC01local", "projects/shepherd-test-project/topics/amapi", "Pub/Sub push subscription",
                "Bind a different enterprise", "3 (0 retried, 1 failed)").doesNotContain(SIGNUP_LINK);
        console.screenshot("android-enterprise");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        // An enterprise made before, bound by its ID; an ID that cannot be one is explained without asking the server.
        console.driver().findElement(By.xpath("//summary[.='Bind a different enterprise']")).click();
        WebElement id = console.labelledControl("Enterprise ID");
        id.sendKeys("LC02 other");
        console.driver().findElement(By.xpath("//button[.='Bind enterprise']")).click();
        console.waitForText("An enterprise ID has only letters, digits, hyphens and underscores, such as LC01abcd.");
        id.clear();
        id.sendKeys("LC02other");
        console.driver().findElement(By.xpath("//button[.='Bind enterprise']")).click();
        console.waitForText("Bound to enterprises/LC02other. Shepherd now manages the Android devices enrolled in it.");
        console.waitForText("Connected: Shepherd manages the Android devices of enterprise LC02other.");
        assertThat(server.getAsAdmin("/api/v1/plugins/android/enterprise").body()).contains("\"enterprise\":\"enterprises/LC02other\"");

        // A change made elsewhere (here through the API) shows when the admin asks the page to look again.
        HttpResponse<String> elsewhere = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/android/enterprise"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\": \"enterprises/LC03api\"}")).build());
        assertThat(elsewhere.statusCode()).as(elsewhere.body()).isEqualTo(200);
        assertThat(console.mainText()).doesNotContain("LC03api");
        console.driver().findElement(By.xpath("//button[.='Check status again']")).click();
        console.waitForText("Connected: Shepherd manages the Android devices of enterprise LC03api.");

        assertThat(console.requests("/ui/plugins/")).singleElement().asString().matches("GET /ui/plugins/android/[0-9.]+/enterprise\\.js");
        assertThat(console.apiCalls()).as("the ID that cannot be one was not sent")
                .containsOnlyOnce("PUT /api/v1/plugins/android/enterprise");
        String endpoints = server.uri("/api/v1/plugins/android/").toString();
        assertThat(console.forbiddenOrFailedApiCalls()).as("the wrong file, then Google's refusal")
                .containsExactly("400 " + endpoints + "service-account", "502 " + endpoints + "enterprise/signup");
        // Chromium notes each refused call; the callback's plain page, which has no icon, adds a missing favicon.
        assertThat(console.browserErrors()).as("only notes of refused requests; no Content-Security-Policy violation, no script error")
                .allSatisfy(error -> assertThat(error).containsAnyOf("/service-account - Failed to load resource: the server responded with a status of 400",
                        "/enterprise/signup - Failed to load resource: the server responded with a status of 502",
                        "/favicon.ico - Failed to load resource: the server responded with a status of 404"));

        // Zero-touch, on the plugin's second page, for the enterprise the configurations enroll into.
        HttpResponse<String> rebound = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/android/enterprise"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + LocalAmapi.ENTERPRISE + "\"}")).build());
        assertThat(rebound.statusCode()).as(rebound.body()).isEqualTo(200);
        String corporate = AndroidServerCalls.enrollmentSecret(server, "CORPORATE", Optional.empty());
        String scanner = zeroTouch.claim("358240051111110", "ZT-SCANNER-1");
        console.open("#/plugins/android/zero-touch", "Android zero-touch");
        console.waitForText("Link the service account " + LocalAmapi.CLIENT_EMAIL);
        WebElement customer = console.labelledControl("Customer ID");
        customer.sendKeys("customers/1");
        console.driver().findElement(By.xpath("//button[.='Link account']")).click();
        console.waitForText("A customer ID is a number, such as 1234567890.");
        customer.clear();
        customer.sendKeys("777");
        console.driver().findElement(By.xpath("//button[.='Link account']")).click();
        console.waitForText("The account was not linked.");
        assertThat(console.mainText()).contains("link the service account to the customer account");
        customer = console.labelledControl("Customer ID");
        customer.clear();
        customer.sendKeys(LocalZeroTouch.CUSTOMER);
        console.driver().findElement(By.xpath("//button[.='Link account']")).click();
        console.waitForText("Linked to zero-touch customer " + LocalZeroTouch.CUSTOMER + ".");
        console.waitForText("No configurations yet.");
        console.labelledControl("Name").sendKeys("Warehouse scanners");
        console.labelledControl("Company name").sendKeys("Example Logistics");
        console.labelledControl("Support e-mail").sendKeys("it-help@example.com");
        console.labelledControl("Support phone").sendKeys("+1 555 0100");
        console.labelledControl("Enrollment token").sendKeys(corporate);
        new Select(console.labelledControl("Management")).selectByVisibleText("Work profile on a company-owned device (COPE)");
        console.driver().findElement(By.xpath("//button[.='Create configuration']")).click();
        console.waitForText("The configuration Warehouse scanners is created.");
        assertThat(console.mainText()).contains("Work profile (company-owned)").doesNotContain(corporate);
        List<LocalAmapi.Request> tokens = google.requests("POST", "/enrollmentTokens");
        assertThat(tokens.get(tokens.size() - 1).json().path("allowPersonalUsage").asText()).isEqualTo("PERSONAL_USAGE_ALLOWED");
        new Select(console.driver().findElement(By.cssSelector("select[aria-label='Configuration of device " + scanner + "']")))
                .selectByVisibleText("Warehouse scanners");
        console.driver().findElement(By.xpath("//button[.='Apply to " + scanner + "']")).click();
        console.waitForText("Device " + scanner + " sets itself up with Warehouse scanners at its next first boot.");
        assertThat(zeroTouch.device(scanner).orElseThrow().path("configuration").asText())
                .startsWith("customers/" + LocalZeroTouch.CUSTOMER + "/configurations/");
        console.screenshot("android-zero-touch");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA on the zero-touch page").isEmpty();

        // Help desk cannot manage plugins: the page is not offered, and nothing of the plugin is asked for.
        console.signOut();
        int before = console.requests("/").size();
        console.signIn("desk", "desk-password-123");
        console.open("#/plugins/android/enterprise", "Plugin page");
        assertThat(console.mainText()).contains("has no page \u201centerprise\u201d you can open");
        List<String> all = console.requests("/");
        List<String> asked = all.subList(before, all.size());
        assertThat(asked).contains("GET /api/v1/console/pages")
                .noneMatch(request -> request.contains("/api/v1/plugins/android") || request.contains("/ui/plugins/android"));
    }
}
