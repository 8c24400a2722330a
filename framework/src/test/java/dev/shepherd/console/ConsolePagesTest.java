package dev.shepherd.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.ConsoleStage;
import dev.shepherd.testing.TestServer;
import dev.shepherd.webhook.WebhookService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chromium.ChromiumDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The policy history, webhooks and reports pages in a real headless Chromium against a real server: a policy rolled
 * back from its diff, a webhook's delivery to a receiver on loopback followed on its page, and the reports' charts
 * drawn with the console's strict Content-Security-Policy.
 */
class ConsolePagesTest {

    private static final Actor SEED = Actor.admin("seed");

    @RegisterExtension
    static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
    private static TestServer server;
    private static HttpServer receiver;
    private static final List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws IOException {
        server = stage.server();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/siem", exchange -> {
            received.add(Map.of("body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                    "signature", String.valueOf(exchange.getRequestHeaders().getFirst("Shepherd-Signature"))));
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void anAdminRollsAPolicyBackFromItsDiffFollowsAWebhookDeliveryAndReadsTheReportsCharts() throws Exception {
        Kernel kernel = server.server().kernel();
        Policy first = kernel.policies().create(SEED, "Office", "", List.of(
                setting("passcode", "{\"minLength\": 6}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"first-secret-1\"}")));
        kernel.policies().update(SEED, first.id(), "Office", "", List.of(
                setting("passcode", "{\"minLength\": 10, \"requireAlphanumeric\": true}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"second-secret-2\"}")), OptionalLong.of(1));
        DeviceId tablet = enroll("PAGES-1", Platform.IOS, "17.5");
        enroll("PAGES-2", Platform.ANDROID, "14");
        CommandRecord lock = kernel.commands().issue(SEED, tablet, CommandRequest.of(CommandType.LOCK));
        kernel.commands().take(tablet, 10);
        kernel.commands().report(tablet, new CommandResult(lock.command().id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        String dana = kernel.directory().create(SEED, "local", "dana", "Dana Scully", "dana@example.com").id();
        kernel.devices().update(SEED, tablet, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(dana), Optional.empty(),
                Optional.empty()), OptionalLong.empty());
        kernel.compliance().create(SEED, "iOS 18 or later", ComplianceCheck.MIN_OS_VERSION, json.readTree("{\"version\":\"18.0\"}"),
                Optional.empty(), 0, List.of());

        try (ConsoleBrowser console = stage.console()) {
            WebDriver browser = console.driver();
            WebDriverWait wait = console.await();
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            assertThat(console.navigation()).contains("Reports", "Webhooks");
            Map<String, List<String>> accessibility = new LinkedHashMap<>();

            // The policy's history: compare version 1 with the current one, field by field, secrets masked.
            console.open("#/policies/" + first.id(), "Office");
            browser.findElement(By.cssSelector("a[aria-label='Compare version 1 with the current version']")).click();
            console.waitForHeading("Office: version 1 → version 2");
            String diff = console.mainText();
            assertThat(diff).contains("Passcode: changed", "Minimum length", "6", "10", "Require letters and digits", "Not set", "Yes",
                    "Wi-Fi network (Corp): changed", "Password", "•••••• (changed, hidden)");
            assertThat(browser.getPageSource()).doesNotContain("first-secret-1", "second-secret-2", "sealed:");
            accessibility.put("diff", console.accessibilityViolations("moderate"));

            // Roll back to version 1 from the diff: a confirmation, then the policy at version 3 with version 1's settings.
            browser.findElement(By.xpath("//main//button[.='Roll back to version 1']")).click();
            WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog.confirm")));
            assertThat(dialog.getText()).contains("This saves version 3 with the name and settings of version 1");
            dialog.findElement(By.xpath(".//button[.='Roll back to version 1']")).click();
            console.waitForHeading("Office");
            console.waitForText("Version 3, changed by");
            Policy rolledBack = kernel.policies().get(first.id()).orElseThrow();
            assertThat(rolledBack.version()).isEqualTo(3);
            assertThat(rolledBack.settings()).anySatisfy(setting -> assertThat(setting.value()).isEqualTo(Map.of("minLength", 6)));
            assertThat(rolledBack.settings()).anySatisfy(setting -> assertThat(kernel.policies().secrets().openMap(setting.value()))
                    .containsEntry("password", "first-secret-1"));
            assertThat(kernel.audit().read(AuditFilter.ALL, 0, 500)).anySatisfy(entry -> assertThat(entry.action()).isEqualTo("policy.rollback"));
            console.open("#/policies/" + first.id() + "/versions/2", "Office, version 2");
            assertThat(console.mainText()).contains("Read-only: the policy is at version 3.", "Minimum length", "10");
            accessibility.put("version", console.accessibilityViolations("moderate"));

            // A person's page lists the devices assigned to them.
            console.open("#/users/" + dana, "Dana Scully");
            assertThat(browser.findElement(By.xpath("//h2[.='Devices']/ancestor::section")).getText())
                    .contains("1 device assigned to them", "Tablet PAGES-1", "PAGES-1", "Enrolled");
            accessibility.put("user", console.accessibilityViolations("moderate"));

            // A webhook made on its page, its secret shown once; an enrollment is delivered and followed on the webhook's page.
            console.open("#/webhooks", "Webhooks");
            console.labelledControl("Name").sendKeys("SIEM");
            console.labelledControl("Endpoint URL").sendKeys("http://127.0.0.1:" + receiver.getAddress().getPort() + "/siem");
            WebElement eventTypes = console.labelledControl("Event types");
            eventTypes.clear();
            eventTypes.sendKeys("device.enrolled");
            browser.findElement(By.xpath("//button[.='Create webhook']")).click();
            String secret = wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("webhook-secret"))).getDomProperty("value");
            assertThat(secret).startsWith("whsec_");
            accessibility.put("webhooks", console.accessibilityViolations("moderate"));
            browser.findElement(By.linkText("Open the webhook")).click();
            console.waitForHeading("SIEM");

            enroll("PAGES-3", Platform.IOS, "18.1");
            await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 1);
            JsonNode delivered = json.readTree(received.get(0).get("body"));
            assertThat(delivered.path("type").asText()).isEqualTo("device.enrolled");
            long timestamp = Long.parseLong(received.get(0).get("signature").split(",")[0].substring(2));
            assertThat(received.get(0).get("signature")).endsWith("v1=" + WebhookService.sign(secret, timestamp, received.get(0).get("body")));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                browser.navigate().refresh();
                console.waitForHeading("SIEM");
                return console.mainText().contains("HTTP 202");
            });
            assertThat(console.mainText()).contains("device.enrolled", "Delivered");
            browser.findElement(By.cssSelector("details.delivery summary")).click();
            console.waitForText("Every attempt");
            assertThat(browser.findElement(By.cssSelector("details.delivery")).getText()).contains("HTTP 202", "\"type\": \"device.enrolled\"");
            accessibility.put("webhook", console.accessibilityViolations("moderate"));
            browser.findElement(By.xpath("//button[.='Send again']")).click();
            console.waitForText("Queued: it is sent again");
            await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 2);
            assertThat(received.get(1).get("body")).isEqualTo(received.get(0).get("body"));

            // The reports: five charts drawn by the WebJar's library, each with its data table, and nothing the CSP refused.
            ((JavascriptExecutor) browser).executeScript("""
                    window.refusedByPolicy = [];
                    document.addEventListener('securitypolicyviolation',
                      event => window.refusedByPolicy.push(event.violatedDirective + ' ' + event.blockedURI));""");
            console.open("#/reports", "Reports");
            wait.withMessage(() -> "five charts; browser errors: " + console.browserErrors() + "; page: " + console.mainText())
                    .until(driver -> driver.findElements(By.cssSelector(".report .chart canvas")).size() == 5);
            String reports = console.mainText();
            assertThat(reports).contains("Managed devices per day, and their compliance", "(today, so far)",
                    "Managed devices per platform per day", "ios", "android",
                    "Managed devices per OS version per day", "ios 17.5",
                    "iOS 18 or later", "Lock", "100 %");
            assertThat(browser.findElements(By.cssSelector(".report .chart[role='img'][aria-label]"))).hasSize(5);
            assertThat(console.requests("/ui/vendor/uplot/")).contains("GET /ui/vendor/uplot/uPlot.esm.js", "GET /ui/vendor/uplot/uPlot.min.css");
            assertThat(painted(browser)).as("every chart has drawn something").isTrue();
            accessibility.put("reports", console.accessibilityViolations("moderate"));

            // Dark mode: the charts are drawn again in the page's colours, still without anything refused.
            ((ChromiumDriver) browser).executeCdpCommand("Emulation.setEmulatedMedia",
                    Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
            wait.until(driver -> driver.findElements(By.cssSelector(".report .chart canvas")).size() == 5);
            assertThat(painted(browser)).isTrue();
            console.screenshot("pages-reports-dark");

            assertThat(((JavascriptExecutor) browser).executeScript("return window.refusedByPolicy")).asList().isEmpty();
            assertThat(console.browserErrors()).as("script errors and CSP refusals").isEmpty();
            assertThat(console.forbiddenOrFailedApiCalls()).isEmpty();
            assertThat(accessibility).as("WCAG 2.1 A/AA violations of moderate impact or worse, by page")
                    .allSatisfy((page, problems) -> assertThat(problems).as(page).isEmpty());
        }
        // The server's maintenance job has recorded today's snapshot (its first run is soon after start).
        await().atMost(Duration.ofSeconds(60)).until(() -> kernel.transactions().read("count snapshots", connection -> {
            try (var select = connection.prepareStatement("SELECT day FROM fleet_snapshot WHERE dimension = 'managed'");
                 var rows = select.executeQuery()) {
                return rows.next();
            }
        }));
    }

    /** Whether every chart's canvas has at least one pixel that is not transparent. */
    private static boolean painted(WebDriver browser) {
        return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("""
                return [...document.querySelectorAll('.report .chart canvas')].every(canvas => {
                  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
                  return false;
                });"""));
    }

    private SettingInput setting(String type, String value) throws IOException {
        return new SettingInput(type, json.readTree(value));
    }

    private static DeviceId enroll(String serial, Platform platform, String osVersion) {
        return server.server().kernel().devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), platform,
                EnrollmentMethod.MANUAL, Map.of("udid", serial + "-UDID"), serial, "Tablet", osVersion, "Tablet " + serial)).device().id();
    }
}
