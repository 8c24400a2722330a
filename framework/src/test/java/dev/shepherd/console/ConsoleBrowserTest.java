package dev.shepherd.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.audit.Actor;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.compliance.Remediation;
import dev.shepherd.compliance.RemediationStep;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Role;
import dev.shepherd.security.Totp;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.ConsoleStage;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import dev.shepherd.threat.ThreatService;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web console in a real headless Chromium against a real server (loopback HTTP, embedded Derby, the production
 * wiring). The browser's own network log is the witness for what the console asked the server; every page it
 * visits is saved as a screenshot in {@code target/screenshots}.
 */
class ConsoleBrowserTest {

    private static final String HELPDESK = "frontline";
    private static final String HELPDESK_PASSWORD = "help-desk-password-1";

    @RegisterExtension
    static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
    private static TestServer server;

    @TempDir
    Path build;
    private ConsoleBrowser console;
    private WebDriver browser;
    private WebDriverWait wait;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = stage.server();
        server.server().adminUsers().create(HELPDESK, HELPDESK_PASSWORD.toCharArray(), AdminRole.HELPDESK);
    }

    @BeforeEach
    void openBrowser() {
        console = stage.console();
        browser = console.driver();
        wait = console.await();
    }

    @Test
    void anAdminEnrollsADeviceAppliesAPolicyLocksTheDeviceAndFindsItInTheAuditLog() throws Exception {
        browser.get(server.uri("/").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username")));
        screenshot("01-sign-in");
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        assertThat(navigation()).containsExactly("Dashboard", "Devices", "Commands", "Enrollment", "Groups", "Users", "Reports", "Policies", "Apps",
                "Compliance", "Threats", "Plugins", "Webhooks", "Admins", "API tokens", "Audit log");
        screenshot("02-dashboard-empty");

        // A static group for the devices to enroll into.
        open("#/groups", "Groups");
        browser.findElement(By.name("name")).sendKeys("Front desk");
        browser.findElement(By.name("description")).sendKeys("Reception iPads");
        browser.findElement(By.xpath("//button[.='Create group']")).click();
        waitForHeading("Front desk");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Static group", "No device is in this group.");
        screenshot("03-group-created");

        // An enrollment link into that group, with its QR code.
        open("#/enrollment", "Enrollment");
        browser.findElement(By.name("name")).sendKeys("Front desk iPads");
        new Select(browser.findElement(By.name("platform"))).selectByValue("ios");
        new Select(browser.findElement(By.name("group"))).selectByVisibleText("Front desk");
        browser.findElement(By.xpath("//button[.='Create link']")).click();
        WebElement link = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("enrollment-link")));
        String enrollmentUrl = link.getDomProperty("value");
        assertThat(enrollmentUrl).contains("/enroll/");
        WebElement qr = browser.findElement(By.cssSelector("img.qr"));
        wait.until(driver -> imageLoaded(qr));
        assertThat(server.get(URI.create(qr.getDomProperty("src")).getPath()).headers().firstValue("Content-Type")).hasValue("image/png");
        screenshot("04-enrollment-link-and-qr");

        // The simulated device opens the link: its platform plugin would enroll it with the link's secret.
        String secret = URI.create(enrollmentUrl).getPath().substring("/enroll/".length());
        DeviceId deviceId = server.server().kernel().devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.of(secret),
                Platform.IOS, EnrollmentMethod.LINK, Map.of("udid", "SIM-UDID-1"), "F9FSIM001", "iPad13,18", "17.5", "Reception iPad"))
                .device().id();
        server.server().kernel().devices().recordInventory(Actor.plugin("simulator"), deviceId,
                Map.of("os.version", "17.5", "storage.encrypted", "true", "battery.level", "0.82"));

        open("#/devices", "Devices");
        browser.findElement(By.name("q")).sendKeys("Recep");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".results table"), "Reception iPad"));
        console.waitForTexts(By.cssSelector(".results table"), "F9FSIM001", "iPad13,18", "Enrolled");
        screenshot("05-devices");

        // The dashboard counts the fleet: the device under its platform, each count a link to those devices.
        open("#/", "Dashboard");
        String fleet = browser.findElement(By.xpath("//h2[.='Fleet']/ancestor::section")).getText();
        assertThat(fleet).contains("Devices by platform", "ios", "Enrolled", "commands waiting for their device");
        String events = browser.findElement(By.xpath("//h2[.='Recent events']/ancestor::section")).getText();
        assertThat(events).contains("Reception iPad enrolled (ios, link)");
        screenshot("05b-dashboard-fleet");

        // A policy from the passcode setting type's generated form, assigned to the group.
        open("#/policies", "Policies");
        browser.findElement(By.linkText("New policy")).click();
        waitForHeading("New policy");
        browser.findElement(By.name("name")).sendKeys("Front desk baseline");
        new Select(browser.findElement(By.name("setting-type"))).selectByValue("passcode");
        browser.findElement(By.xpath("//button[.='Add setting']")).click();
        WebElement minimumLength = wait.until(ExpectedConditions.visibilityOfElementLocated(labelled("Minimum length")));
        minimumLength.clear();
        minimumLength.sendKeys("8");
        labelledControl("Auto-lock after minutes").sendKeys("5");
        assertThat(labelledControl("Require a passcode").isSelected()).as("the schema's default").isTrue();
        screenshot("06-policy-generated-form");
        browser.findElement(By.xpath("//button[.='Create policy']")).click();
        waitForHeading("Front desk baseline");
        new Select(browser.findElement(By.name("group"))).selectByVisibleText("Front desk");
        WebElement priority = browser.findElement(By.name("priority"));
        priority.clear();
        priority.sendKeys("10");
        browser.findElement(By.xpath("//button[.='Assign']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Assigned to']/following-sibling::div[contains(@class,'table-wrap')]/table"), "Front desk"));
        screenshot("07-policy-assigned");

        var policy = server.server().kernel().policies().list().stream().filter(candidate -> candidate.name().equals("Front desk baseline"))
                .findFirst().orElseThrow();
        assertThat(policy.settings()).singleElement().satisfies(setting -> {
            assertThat(setting.type()).isEqualTo("passcode");
            assertThat(setting.value()).containsEntry("minLength", 8).containsEntry("maxInactivityMinutes", 5).containsEntry("required", true);
        });

        // The device's page: what it reported (its Inventory tab), the policy's settings waiting for it, and a lock after confirmation.
        open("#/devices/" + deviceId + "/inventory", "Reception iPad");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "storage.encrypted"));
        // The effective policy (its Policies tab): the merged value under the form's labels, and the policy it comes from.
        browser.findElement(By.xpath("//*[@role='tab'][.='Policies']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Effective policy"));
        String effective = browser.findElement(By.xpath("//h2[.='Effective policy']/ancestor::section")).getText();
        assertThat(effective).contains("Passcode", "Front desk baseline");
        assertThat(browser.findElement(By.xpath("//h2[.='Effective policy']/ancestor::section//dt[.='Minimum length']/following-sibling::dd[1]"))
                .getText()).isEqualTo("8");
        browser.findElement(By.xpath("//button[.='Lock']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Lock this device?");
        screenshot("08-lock-confirmation");
        assertThat(commandsOf(deviceId, CommandType.LOCK)).as("nothing sent before confirming").isEmpty();
        dialog.findElement(By.xpath(".//button[.='Lock device']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Lock sent."));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Command history"));
        // The message shows before the history is read again and drawn.
        By history = By.xpath("//h2[.='Command history']/following-sibling::div[contains(@class,'table-wrap')]/table");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(history, "Lock"));
        assertThat(browser.findElement(history).getText()).contains("Lock", "admin");
        screenshot("09-device-detail-locked");

        assertThat(commandsOf(deviceId, CommandType.LOCK)).singleElement().satisfies(command -> assertThat(command.createdBy()).isEqualTo("admin:" + TestServer.ADMIN));

        // The audit log shows who locked it; the newest entries come first, and the oldest on request.
        open("#/audit", "Audit log");
        List<Long> newest = wait.until(driver -> auditNumbers());
        assertThat(newest).hasSizeGreaterThan(3).isSortedAccordingTo(Comparator.reverseOrder());
        new Select(browser.findElement(By.name("order"))).selectByVisibleText("Oldest first");
        wait.until(driver -> {
            List<Long> numbers = auditNumbers();
            return numbers != null && numbers.get(0) == 1L;
        });
        assertThat(auditNumbers()).isSorted();
        browser.findElement(By.name("action")).sendKeys("command.issue");
        browser.findElement(By.name("targetId")).sendKeys(deviceId.toString());
        browser.findElement(By.xpath("//button[.='Filter']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".results"), "LOCK"));
        String audit = browser.findElement(By.cssSelector(".results table")).getText();
        assertThat(audit).contains("command.issue", "admin (admin)", "device " + deviceId);
        screenshot("10-audit-log");

        // The export link follows the filters: every matching entry as JSON lines.
        String export = browser.findElement(By.linkText("Export (JSON lines)")).getDomAttribute("href");
        assertThat(export).startsWith("/api/v1/audit/export?").contains("action=command.issue");
        HttpResponse<String> exported = server.send(HttpRequest.newBuilder(server.uri(export))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).GET().build());
        assertThat(exported.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        assertThat(exported.body().lines()).isNotEmpty().allSatisfy(line -> assertThat(line).contains("\"action\":\"command.issue\""));

        // The same device list on a tablet in portrait.
        browser.manage().window().setSize(new Dimension(820, 1180));
        open("#/devices", "Devices");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".results"), "Reception iPad"));
        screenshot("11-devices-tablet");

        assertThat(browserErrors()).as("console errors, such as Content-Security-Policy violations").isEmpty();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aHelpDeskUserSeesNoPolicyEditingAndItsPagesMakeNoRequestTheRoleMayNotMake() throws Exception {
        DeviceId device = seedGroup("Help desk loaners", "HD", "Help desk phone", 1).get(0);
        String policy = server.server().kernel().policies().create(Actor.admin("seed"), "Seeded restrictions", "",
                List.of(new SettingInput("restrictions", json.readTree("{\"allowCamera\": false}")))).id();

        signIn(HELPDESK, HELPDESK_PASSWORD);
        assertThat(navigation()).containsExactly("Dashboard", "Devices", "Commands", "Enrollment", "Groups", "Users", "Reports", "Policies", "Apps",
                "Compliance", "Threats", "API tokens");

        open("#/devices", "Devices");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".results"), "Help desk phone"));
        open("#/devices/" + device + "/commands", "Help desk phone 1");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Command history"));
        assertThat(buttons()).as("remote actions, without erasing or lifecycle changes").contains("Lock", "Restart", "Refresh inventory")
                .doesNotContain("Erase…", "Quarantine", "Retire…", "Wipe and retire…");
        screenshot("20-helpdesk-device");

        // Commands to a group, but no erasing.
        open("#/commands", "Commands");
        assertThat(options("type")).contains("Lock", "Restart").doesNotContain("Erase", "Enterprise wipe");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Erasing devices needs the device_wipe permission");
        screenshot("23-helpdesk-commands");

        // Compliance to read, not to change.
        open("#/compliance", "Compliance");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Non-compliant devices"));
        assertThat(browser.findElements(By.xpath("//button[.='Create rule' or .='Turn off' or .='Delete']"))).as("no rule changes").isEmpty();

        open("#/enrollment", "Enrollment");
        assertThat(browser.findElements(By.xpath("//button[.='Create link']"))).as("no enrollment changes").isEmpty();
        open("#/groups", "Groups");
        assertThat(browser.findElements(By.xpath("//button[.='Create group']"))).as("no group changes").isEmpty();
        browser.findElement(By.linkText("Help desk loaners")).click();
        waitForHeading("Help desk loaners");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Help desk phone 1"));
        assertThat(browser.findElements(By.xpath("//button[.='Remove' or .='Find devices']"))).as("no membership changes").isEmpty();

        // Its own API tokens, with a role no higher than its own.
        open("#/api-tokens", "API tokens");
        assertThat(options("role")).containsExactly("Helpdesk");
        browser.findElement(By.name("name")).sendKeys("help desk script");
        browser.findElement(By.xpath("//button[.='Create token']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token-secret")));
        screenshot("24-helpdesk-api-token");

        open("#/policies", "Policies");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Seeded restrictions"));
        assertThat(browser.findElements(By.linkText("New policy"))).as("no policy editing").isEmpty();
        screenshot("21-helpdesk-policies");
        open("#/policies/" + policy, "Seeded restrictions");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Assigned to"));
        assertThat(browser.findElements(By.xpath("//button[.='Assign' or .='Unassign']"))).as("no assignment changes").isEmpty();

        // Pages the role lacks say so, without asking the server.
        open("#/policies/new", "New policy");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Your role (helpdesk) cannot open this page");
        open("#/audit", "Audit log");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Your role (helpdesk) cannot open this page");
        screenshot("22-helpdesk-no-audit");
        open("#/plugins", "Plugins");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Your role (helpdesk) cannot open this page");
        open("#/admins", "Admins");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Your role (helpdesk) cannot open this page");
        open("#/policies/" + policy + "/edit", "Edit policy");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Your role (helpdesk) cannot open this page");

        List<String> calls = apiCalls();
        assertThat(calls).as("the pages did call the API").contains("GET /api/v1/devices/" + device + "/commands");
        for (String call : calls) {
            String method = call.substring(0, call.indexOf(' '));
            String path = call.substring(call.indexOf(' ') + 1);
            AdminRoute route = server.server().adminRoutes().stream()
                    .filter(candidate -> candidate.method().equals(method)
                            && path.matches(candidate.template().replaceAll("\\{[a-zA-Z]+}", "[^/]+")))
                    .findFirst().orElseThrow(() -> new AssertionError("no API route for " + call));
            assertThat(route.isPublic() || AdminRole.HELPDESK.allows(route.permission().get())).as(call).isTrue();
        }
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
        assertThat(browserErrors()).isEmpty();
    }

    @Test
    void aCommandSentToAGroupShowsItsProgressUntilEveryDeviceAcknowledgedAndAFanOutCanBeCancelled() throws Exception {
        List<DeviceId> scanners = seedGroup("Warehouse scanners", "WH", "Scanner", 3);

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/commands", "Commands");
        new Select(browser.findElement(By.name("type"))).selectByVisibleText("Lock");
        new Select(browser.findElement(By.name("group"))).selectByVisibleText("Warehouse scanners (3 devices)");
        browser.findElement(By.name("description")).sendKeys("Stock-take lock");
        screenshot("30-commands");
        browser.findElement(By.xpath("//button[.='Send command']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Lock: all 3 devices of “Warehouse scanners”?");
        dialog.findElement(By.xpath(".//button[.='Send command']")).click();
        waitForHeading("Lock: Stock-take lock");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "0 of 3 devices finished"));
        screenshot("31-command-progress-waiting");

        // The simulated devices check in, as their platform plugin would make them: each takes the lock and answers.
        for (DeviceId scanner : scanners) {
            for (var command : server.server().kernel().commands().take(scanner, 10)) {
                if (command.type() == CommandType.LOCK) {
                    server.server().kernel().commands().report(scanner,
                            new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
                }
            }
        }
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "3 of 3 devices finished"));
        assertThat(figures()).containsEntry("Devices", "3").containsEntry("Delivered", "3").containsEntry("Acknowledged", "3")
                .containsEntry("Failed", "0").containsEntry("Waiting for the device", "0");
        assertThat(browser.findElement(By.id("batch-progress")).getDomProperty("value")).isEqualTo("3");
        assertThat(browser.findElements(By.xpath("//button[.='Cancel command']"))).as("nothing left to cancel").isEmpty();
        screenshot("32-command-progress-acknowledged");

        // An erase is a danger, confirmed with the number of devices; cancelling the dialog sends nothing.
        open("#/commands", "Commands");
        String history = browser.findElement(By.xpath("//h2[.='Sent to groups']/ancestor::section")).getText();
        assertThat(history).contains("Lock", "Stock-take lock", "3 of 3 answered", TestServer.ADMIN);
        new Select(browser.findElement(By.name("type"))).selectByVisibleText("Erase");
        new Select(browser.findElement(By.name("group"))).selectByVisibleText("Warehouse scanners (3 devices)");
        browser.findElement(By.xpath("//button[.='Send command']")).click();
        dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        WebElement erase = dialog.findElement(By.xpath(".//button[.='Erase 3 devices']"));
        assertThat(erase.getDomAttribute("class")).isEqualTo("danger");
        assertThat(browser.switchTo().activeElement().getText()).as("focus starts on Cancel").isEqualTo("Cancel");
        screenshot("33-erase-confirmation");
        dialog.findElement(By.xpath(".//button[.='Cancel']")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("dialog")));
        assertThat(commandsOf(scanners.get(0), CommandType.WIPE)).as("nothing sent without confirming").isEmpty();

        // A restart no device has fetched yet, withdrawn from its progress page.
        new Select(browser.findElement(By.name("type"))).selectByVisibleText("Restart");
        browser.findElement(By.xpath("//button[.='Send command']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")))
                .findElement(By.xpath(".//button[.='Send command']")).click();
        waitForHeading("Restart: group Warehouse scanners");
        browser.findElement(By.xpath("//button[.='Cancel command']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")))
                .findElement(By.xpath(".//button[.='Cancel command']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Cancelled."));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "3 of 3 devices finished"));
        assertThat(figures()).containsEntry("Expired or cancelled", "3").containsEntry("Acknowledged", "0");
        screenshot("34-command-cancelled");
        open("#/commands", "Commands");
        // Newest first (other tests' fan-outs may follow).
        List<WebElement> sent = browser.findElements(By.xpath("//h2[.='Sent to groups']/ancestor::section//tbody/tr"));
        assertThat(sent.get(0).getText()).contains("Restart", "Warehouse scanners", "Cancelled");
        assertThat(sent.get(1).getText()).contains("Lock", "Stock-take lock", "Finished");
        sent.get(1).findElement(By.linkText("Lock")).click();
        waitForHeading("Lock: Stock-take lock");
        // Cancelled before the background fan-out reached a device, it never gets a row; one it reached is cancelled.
        for (DeviceId scanner : scanners) {
            assertThat(commandsOf(scanner, CommandType.RESTART)).as("no restart left to run")
                    .allSatisfy(command -> assertThat(command.command().state()).isEqualTo(CommandState.CANCELLED));
        }

        assertThat(browserErrors()).isEmpty();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aComplianceRuleCreatedInTheConsoleShowsTheDevicesFailingItWithTheReason() throws Exception {
        DeviceId kiosk = seedGroup("Lobby kiosks", "KI", "Lobby kiosk", 1).get(0);
        server.server().kernel().devices().recordInventory(Actor.plugin("simulator"), kiosk, Map.of("storage.encrypted", "false"));

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/compliance", "Compliance");
        browser.findElement(By.name("name")).sendKeys("Kiosks encrypted");
        new Select(browser.findElement(By.name("check"))).selectByVisibleText("Storage encrypted");
        new Select(browser.findElement(By.name("group"))).selectByVisibleText("Lobby kiosks");
        browser.findElement(By.xpath("//button[.='Add a remediation step']")).click();
        new Select(labelledControl("Step 1: action")).selectByValue("NOTIFY");
        screenshot("40-compliance-new-rule");
        browser.findElement(By.xpath("//button[.='Create rule']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "Rule “Kiosks encrypted” created."));
        // The message shows before the list of rules is read again and drawn.
        By rulesTable = By.xpath("//h2[.='Rules']/following-sibling::div[contains(@class,'table-wrap')]/table");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(rulesTable, "Kiosks encrypted"));
        String rules = browser.findElement(rulesTable).getText();
        assertThat(rules).contains("Kiosks encrypted", "Storage encrypted", "Lobby kiosks", "at once: Notify", "On");

        var rule = server.server().kernel().compliance().rules().stream().filter(candidate -> candidate.name().equals("Kiosks encrypted"))
                .findFirst().orElseThrow();
        assertThat(rule.check()).isEqualTo(ComplianceCheck.STORAGE_ENCRYPTED);
        assertThat(rule.groupId()).isPresent();
        assertThat(rule.remediation()).extracting(RemediationStep::action).containsExactly(Remediation.NOTIFY);

        // The server judges the kiosk in the background; "Check again" shows it with the rule it fails and why.
        console.await(Duration.ofSeconds(30)).ignoring(StaleElementReferenceException.class).until(driver -> {
            driver.findElement(By.xpath("//button[.='Check again']")).click();
            return driver.findElement(By.xpath("//h2[.='Non-compliant devices']/ancestor::section")).getText().contains("Lobby kiosk 1");
        });
        String failing = browser.findElement(By.xpath("//h2[.='Non-compliant devices']/ancestor::section")).getText();
        assertThat(failing).contains("Kiosks encrypted: storage is not encrypted");
        screenshot("41-compliance-non-compliant");

        // The rule is edited in the same form, filled with it: a day's grace and a quarantine after it.
        browser.findElement(By.cssSelector("button[aria-label='Edit Kiosks encrypted']")).click();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("form h2"), "Edit the rule “Kiosks encrypted”"));
        assertThat(browser.findElement(By.name("name")).getDomProperty("value")).isEqualTo("Kiosks encrypted");
        assertThat(new Select(labelledControl("Step 1: action")).getFirstSelectedOption().getDomAttribute("value")).isEqualTo("NOTIFY");
        WebElement grace = browser.findElement(By.name("graceHours"));
        grace.clear();
        grace.sendKeys("24");
        browser.findElement(By.xpath("//button[.='Add a remediation step']")).click();
        new Select(labelledControl("Step 2: action")).selectByValue("QUARANTINE");
        browser.findElement(By.xpath("//button[.='Save rule']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Rules']/following-sibling::div[contains(@class,'table-wrap')]/table"), "1 day"));
        assertThat(browser.findElement(By.cssSelector("form h2")).getText()).as("back to a new rule").isEqualTo("New rule");
        var edited = server.server().kernel().compliance().rule(rule.id()).orElseThrow();
        assertThat(edited.graceHours()).isEqualTo(24);
        assertThat(edited.remediation()).extracting(RemediationStep::action).containsExactly(Remediation.NOTIFY, Remediation.QUARANTINE);
        assertThat(edited.version()).isEqualTo(rule.version() + 1);

        // A parameter the server refuses is explained next to the form.
        browser.findElement(By.name("name")).sendKeys("Recent check-in");
        new Select(browser.findElement(By.name("check"))).selectByVisibleText("Checked in recently");
        labelledControl("Days").sendKeys("900");
        browser.findElement(By.xpath("//button[.='Create rule']")).click();
        WebElement refused = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//form[.//button[.='Create rule']]//*[@role='alert']")));
        assertThat(refused.getText()).contains("days");
        screenshot("42-compliance-refused-parameter");

        assertThat(browserErrors()).as("only Chromium's note of the refused rule").singleElement(InstanceOfAssertFactories.STRING)
                .contains("/api/v1/compliance/rules", "400");
        assertThat(forbiddenOrFailedApiCalls()).as("only the refused rule").singleElement(InstanceOfAssertFactories.STRING).startsWith("400 ");
    }

    @Test
    void theThreatsPageFlagsAStaleConnectorListsDevicesByLevelAndLinksAnUnmatchedSignalShownThenOnTheDevicePage() throws Exception {
        List<DeviceId> phones = seedGroup("Field phones", "TH", "Field phone", 2);
        ThreatService threats = server.server().kernel().threats();
        // Connectors as the poller records them; one that stays silent goes stale after a second.
        threats.register("vigil", "vigil-mtd", "Vigil MTD", Optional.of(Duration.ofDays(1)));
        threats.register("hush", "hush-mtd", "Hush MTD", Optional.of(Duration.ofSeconds(1)));
        Instant now = Instant.now();
        Threat trojan = new Threat("t-1", "MALWARE", "Trojan.Banker", ThreatLevel.HIGH, now, now,
                Optional.of(URI.create("https://console.vigil.example/threats/t-1")));
        threats.report("vigil", List.of(
                new ThreatAssessment(new VendorDevice("vg-1", Optional.empty(), Optional.of("TH-SERIAL-1"), Map.of(), Optional.empty()),
                        ThreatLevel.HIGH, "risk=High", List.of(trojan), now),
                new ThreatAssessment(new VendorDevice("vg-unknown", Optional.empty(), Optional.of("NOT-OURS"), Map.of(), Optional.empty()),
                        ThreatLevel.MEDIUM, "risk=Medium", List.of(), now)));
        threats.report("hush", List.of(new ThreatAssessment(new VendorDevice("hu-2", Optional.empty(), Optional.of("TH-SERIAL-2"), Map.of(),
                Optional.empty()), ThreatLevel.NONE, "clean", List.of(), now)));
        await().atMost(Duration.ofSeconds(10)).until(() -> threats.device(phones.get(1)).effective().level().equals("UNKNOWN"));

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/threats", "Threats");
        By connectors = By.xpath("//h2[.='Connectors']/ancestor::section");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(connectors, "Hush MTD"));
        String health = browser.findElement(connectors).getText();
        assertThat(health).contains("Stale: Hush MTD", "Stale since", "Vigil MTD", "Fresh");
        By devices = By.xpath("//h2[.='Devices by threat level']/ancestor::section");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(devices, "Vigil MTD: High"));
        new Select(browser.findElement(By.name("level"))).selectByValue("UNKNOWN");
        browser.findElement(By.xpath("//button[.='Filter']")).click();
        // The unfiltered list already shows "Hush MTD: None": wait for the filtered one, which no longer shows Vigil's.
        wait.until(ExpectedConditions.not(ExpectedConditions.textToBePresentInElementLocated(devices, "Vigil MTD: High")));
        assertThat(browser.findElement(devices).getText()).contains("Hush MTD: None").doesNotContain("Vigil MTD: High");
        screenshot("95-threats-page");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        labelledControl("Device for vg-unknown").sendKeys(phones.get(1).toString());
        browser.findElement(By.xpath("//form[.//input[@name='deviceId']]//button[.='Link']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "vg-unknown is linked"));
        assertThat(threats.device(phones.get(1)).verdicts()).extracting(verdict -> verdict.verdict().vendorDeviceId()).contains("vg-unknown");

        open("#/devices/" + phones.get(0), "Field phone 1");
        By section = By.xpath("//h2[.='Threat defense']/ancestor::section");
        wait.until(ExpectedConditions.presenceOfElementLocated(section));
        assertThat(browser.findElement(section).getText()).contains("Effective level: High", "Vigil MTD", "risk=High", "Trojan.Banker", "Fresh");
        assertThat(browser.findElement(By.xpath("//a[starts-with(., 'Trojan.Banker')]")).getDomAttribute("href"))
                .isEqualTo("https://console.vigil.example/threats/t-1");
        screenshot("96-device-threats");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aSmartGroupIsCreatedFromARuleWithALivePreviewAndAStaticGroupsMembersAreEdited() throws Exception {
        seedGroup("Loan pool", "LP", "Loaner", 2);
        seedGroup("Storeroom", "ST", "Spare tablet", 1);

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/groups", "Groups");
        browser.findElement(By.name("name")).sendKeys("Loaners in use");
        new Select(browser.findElement(By.name("kind"))).selectByValue("smart");
        WebElement preview = browser.findElement(By.cssSelector(".preview"));
        wait.until(ExpectedConditions.textToBePresentInElement(preview, "Fill in the value of each condition"));

        // Condition 1: the name starts with "Loaner"; the preview counts the devices that match, saving nothing.
        new Select(labelledControl("Condition 1: attribute")).selectByVisibleText("Name");
        new Select(labelledControl("Condition 1: test")).selectByVisibleText("starts with");
        labelledControl("Condition 1: value").sendKeys("Loaner");
        wait.until(ExpectedConditions.textToBePresentInElement(preview, "2 devices match this rule now."));
        assertThat(preview.getText()).contains("Loaner 1", "Loaner 2").doesNotContain("Spare tablet");

        // Condition 2, negated: not the second loaner's serial number.
        browser.findElement(By.xpath("//button[.='Add a condition']")).click();
        new Select(labelledControl("Condition 2: attribute")).selectByVisibleText("Serial number");
        labelledControl("Condition 2: value").sendKeys("LP-SERIAL-2");
        labelledControl("Condition 2: negate (devices that do not meet it)").click();
        // Before the negation is read, the preview briefly counts the one device that has the serial number.
        wait.until(ExpectedConditions.and(ExpectedConditions.textToBePresentInElement(preview, "1 device matches this rule now."),
                ExpectedConditions.textToBePresentInElement(preview, "Loaner 1")));
        assertThat(preview.getText()).contains("Loaner 1").doesNotContain("Loaner 2");
        screenshot("50-smart-group-preview");
        assertThat(server.server().kernel().groups().list()).as("a preview saves nothing")
                .noneMatch(group -> group.name().equals("Loaners in use"));

        browser.findElement(By.xpath("//button[.='Create group']")).click();
        waitForHeading("Loaners in use");
        assertThat(browser.findElement(By.cssSelector("main")).getText())
                .as("the rule as the server keeps it (names compare case-insensitively)")
                .contains("Smart group. Devices belong to it while they match all of: Name starts with loaner; not Serial number is LP-SERIAL-2.");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Devices in the group']/ancestor::section"), "Loaner 1"));
        assertThat(browser.findElements(By.xpath("//h2[.='Devices in the group']/ancestor::section//button[.='Remove'] | //button[.='Find devices']")))
                .as("a smart group's members follow its rule").isEmpty();
        screenshot("51-smart-group");
        var smart = server.server().kernel().groups().list().stream().filter(group -> group.name().equals("Loaners in use")).findFirst().orElseThrow();
        assertThat(smart.isSmart()).isTrue();
        assertThat(smart.members()).isEqualTo(1);

        // The rule is changed on the group's page, in the same editor with its preview: without the negated
        // condition both loaners match, and once it is saved both are members.
        WebElement rulePreview = browser.findElement(By.xpath("//h2[.='Change the rule']/ancestor::form//section[contains(@class, 'preview')]"));
        wait.until(ExpectedConditions.textToBePresentInElement(rulePreview, "1 device matches this rule now."));
        assertThat(labelledControl("Condition 2: negate (devices that do not meet it)").isSelected()).isTrue();
        browser.findElement(By.cssSelector("button[aria-label='Remove condition 2']")).click();
        wait.until(ExpectedConditions.textToBePresentInElement(rulePreview, "2 devices match this rule now."));
        screenshot("51b-smart-group-rule-edit");
        browser.findElement(By.xpath("//button[.='Save rule']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "while they match all of: Name starts with loaner."));
        console.await(Duration.ofSeconds(10)).until(driver -> server.server().kernel().groups().get(smart.id()).orElseThrow().members() == 2);

        // The static group: one loaner is taken out after a confirmation, the spare tablet is found and added.
        open("#/groups", "Groups");
        browser.findElement(By.linkText("Loan pool")).click();
        waitForHeading("Loan pool");
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[aria-label='Remove Loaner 2 from the group']"))).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Remove Loaner 2 from “Loan pool”?");
        dialog.findElement(By.xpath(".//button[.='Remove device']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "Loaner 2 removed from the group."));
        labelledControl("Device name starts with").sendKeys("Spare");
        browser.findElement(By.xpath("//button[.='Find devices']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[aria-label='Add Spare tablet 1 to the group']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "Spare tablet 1 added to the group."));
        // The message shows before the members are read again and drawn.
        By membersSection = By.xpath("//h2[.='Devices in the group']/ancestor::section");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(membersSection, "Spare tablet 1"));
        String members = browser.findElement(membersSection).getText();
        assertThat(members).contains("Loaner 1", "Spare tablet 1").doesNotContain("Loaner 2");
        screenshot("52-static-group-members");
        var pool = server.server().kernel().groups().list().stream().filter(group -> group.name().equals("Loan pool")).findFirst().orElseThrow();
        assertThat(server.server().kernel().groups().get(pool.id()).orElseThrow().members()).isEqualTo(2);

        // Renamed, then deleted after a confirmation.
        WebElement groupName = labelledControl("Group name");
        groupName.clear();
        groupName.sendKeys("Loaner pool");
        browser.findElement(By.xpath("//button[.='Save changes']")).click();
        waitForHeading("Loaner pool");
        assertThat(server.server().kernel().groups().get(pool.id()).orElseThrow().name()).isEqualTo("Loaner pool");
        browser.findElement(By.xpath("//button[.='Delete group']")).click();
        WebElement deletion = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(deletion.getText()).contains("Delete the group “Loaner pool”?", "policy assignments go with it");
        deletion.findElement(By.xpath(".//button[.='Delete group']")).click();
        waitForHeading("Groups");
        assertThat(server.server().kernel().groups().get(pool.id())).isEmpty();

        assertThat(browserErrors()).isEmpty();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void anAdminMakesACustomRoleFromPlainWordsGivesItToAnAccountEditsItAndDeletesItOnceUnused() throws Exception {
        String newRole = "//form[h2[.='New role']]";
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/admins", "Admins");
        new Select(browser.findElement(By.xpath(newRole + "//select[@name='rolePreset']"))).selectByVisibleText("Helpdesk");
        assertThat(browser.findElement(By.id("new-role-DEVICE_ACTION")).isSelected()).as("a built-in is a preset to start from").isTrue();
        new Select(browser.findElement(By.xpath(newRole + "//select[@name='rolePreset']"))).selectByVisibleText("Nothing ticked");
        browser.findElement(By.xpath(newRole + "//input[@name='roleName']")).sendKeys("Device reader");
        browser.findElement(By.xpath(newRole + "//input[@name='roleDescription']")).sendKeys("Looks devices up, nothing more");
        browser.findElement(By.cssSelector("label[for='new-role-DEVICE_READ']")).click();
        assertThat(browser.findElement(By.cssSelector("label[for='new-role-DEVICE_READ']")).getText()).contains("See devices and their inventory");
        browser.findElement(By.xpath("//button[.='Create role']")).click();

        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Roles']/following-sibling::div[contains(@class,'table-wrap')]/table"), "Device reader"));
        Role reader = server.server().adminUsers().roles().list().stream().filter(role -> role.name().equals("Device reader")).findFirst().orElseThrow();
        assertThat(reader.permissions()).containsExactly(Permission.DEVICE_READ);
        assertThat(options("role")).as("the account role picker lists it").contains("Operator", "Device reader");
        browser.findElement(By.name("username")).sendKeys("looker");
        browser.findElement(By.name("password")).sendKeys("looker-Password-lantern");
        new Select(browser.findElement(By.name("role"))).selectByVisibleText("Device reader");
        browser.findElement(By.xpath("//button[.='Create admin']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "looker can now sign in as device reader."));
        assertThat(server.server().adminUsers().find("looker").orElseThrow().role()).isEqualTo(reader);

        browser.findElement(By.cssSelector("summary[aria-label='Edit the role Device reader']")).click();
        browser.findElement(By.id("edit-" + reader.id() + "-DEVICE_ACTION")).click();
        browser.findElement(By.xpath("//form[.//h3[.='Edit “Device reader”']]//button[.='Save role']")).click();
        console.await(Duration.ofSeconds(5)).until(driver -> server.server().adminUsers().roles().find(reader.id()).orElseThrow()
                .permissions().contains(Permission.DEVICE_ACTION));
        screenshot("62-custom-role");

        By deleteReader = By.cssSelector("button[aria-label='Delete the role Device reader']");
        wait.until(ExpectedConditions.elementToBeClickable(deleteReader)).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Delete role']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Roles']/ancestor::section"), "held by admin accounts"));
        server.server().adminUsers().update("looker", Optional.of(AdminRole.AUDITOR), Optional.empty());
        browser.findElement(deleteReader).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Delete role']"))).click();
        console.await(Duration.ofSeconds(5)).until(driver -> server.server().adminUsers().roles().find(reader.id()).isEmpty());
        assertThat(browserErrors()).as("only the refused delete, shown to the admin above")
                .allSatisfy(error -> assertThat(error).contains("/api/v1/roles/" + reader.id(), "409"));
    }

    @Test
    void anAdminAccountIsCreatedAndDisabledAndAnApiTokenIsShownOnceWorksAndIsRevoked() throws Exception {
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/admins", "Admins");
        assertThat(browser.findElement(By.xpath("//h2[.='Roles']/following-sibling::div[contains(@class,'table-wrap')]/table")).getText())
                .contains("Helpdesk", "device_action", "Auditor", "audit_read");
        browser.findElement(By.name("username")).sendKeys("night-shift");
        browser.findElement(By.name("password")).sendKeys("night-shift-password");
        new Select(browser.findElement(By.name("role"))).selectByVisibleText("Operator");
        browser.findElement(By.xpath("//button[.='Create admin']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "night-shift can now sign in as operator."));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Accounts']/ancestor::section"), "night-shift"));
        screenshot("60-admins");
        assertThat(server.server().adminUsers().find("night-shift").orElseThrow().role()).isEqualTo(AdminRole.OPERATOR);
        assertThat(browser.findElements(By.cssSelector("select[aria-label='Role of admin']"))).as("not one's own role").isEmpty();

        // A role change is confirmed, and takes effect at once.
        new Select(browser.findElement(By.cssSelector("select[aria-label='Role of night-shift']"))).selectByVisibleText("Auditor");
        WebElement change = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(change.getText()).contains("Make night-shift auditor?");
        change.findElement(By.xpath(".//button[.='Change role']")).click();
        console.await(Duration.ofSeconds(5)).until(driver ->
                server.server().adminUsers().find("night-shift").orElseThrow().role() == AdminRole.AUDITOR);
        // Announced once the list is drawn again, so the next click finds the new row.
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "night-shift is now auditor"));

        // A forgotten password is set anew by another admin, and a lockout is lifted, from the same list.
        By accountsFeedback = By.xpath("//h2[.='Accounts']/following-sibling::div[contains(@class,'feedback')]");
        browser.findElement(By.xpath("//tr[td[.='night-shift']]//summary[.='Reset password']")).click();
        browser.findElement(By.cssSelector("input[aria-label='New password for night-shift']")).sendKeys("sable-Lantern-orchard");
        browser.findElement(By.xpath("//tr[td[.='night-shift']]//button[.='Set password']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(accountsFeedback, "night-shift has a new password"));
        assertThat(server.server().adminUsers().verify("night-shift", "sable-Lantern-orchard".toCharArray())).isPresent();
        browser.findElement(By.cssSelector("button[aria-label='Unlock night-shift']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(accountsFeedback, "night-shift was not locked out."));

        browser.findElement(By.cssSelector("button[aria-label='Disable night-shift']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Disable account']"))).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[aria-label='Enable night-shift']")));
        assertThat(server.server().adminUsers().find("night-shift").orElseThrow().disabled()).isTrue();

        // A token for a script: its secret is shown once, and it works until it is revoked.
        open("#/api-tokens", "API tokens");
        assertThat(browser.findElement(By.xpath("//h2[.='Your password']/ancestor::form")).getText()).contains("Current password", "New password");
        browser.findElement(By.name("name")).sendKeys("inventory export");
        new Select(browser.findElement(By.name("role"))).selectByVisibleText("Auditor");
        WebElement days = browser.findElement(By.name("validForDays"));
        days.clear();
        days.sendKeys("30");
        browser.findElement(By.xpath("//button[.='Create token']")).click();
        String secret = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token-secret"))).getDomProperty("value");
        assertThat(secret).startsWith("shp_");
        assertThat(browser.findElement(By.cssSelector(".created")).getText()).contains("This is the only time the token is shown");
        assertThat(browser.findElement(By.xpath("//h2[.='Tokens']/ancestor::section")).getText()).contains("inventory export", "Auditor", "Active")
                .doesNotContain(secret);
        screenshot("61-api-token-created");
        assertThat(withToken(secret, "/api/v1/devices")).isEqualTo(200);

        browser.findElement(By.cssSelector("button[aria-label='Revoke inventory export']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Revoke token']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[.='Tokens']/ancestor::section"), "“inventory export” is revoked."));
        assertThat(browser.findElements(By.id("token-secret"))).as("the secret is gone from the page").isEmpty();
        assertThat(browser.findElement(By.xpath("//h2[.='Tokens']/ancestor::section")).getText()).contains("Revoked");
        screenshot("62-api-token-revoked");
        assertThat(withToken(secret, "/api/v1/devices")).isEqualTo(401);

        assertThat(browserErrors()).isEmpty();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void anAdminGrantsAnAccountsRoleOverSomeDeviceGroupsByTickingThem() throws Exception {
        String paris = server.server().kernel().groups().create(Actor.admin("seed"), "Paris desks", "", Optional.empty()).id();
        server.server().adminUsers().create("paris-frontline", "paris-Frontline-lantern".toCharArray(), AdminRole.HELPDESK);
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/admins", "Admins");

        browser.findElement(By.cssSelector("summary[aria-label='Scope of paris-frontline: All devices']")).click();
        browser.findElement(By.xpath("//tr[td[.='paris-frontline']]//label[.='Paris desks']")).click();
        browser.findElement(By.xpath("//tr[td[.='paris-frontline']]//button[.='Save scope']")).click();

        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "paris-frontline now reaches paris desks"));
        assertThat(server.server().adminUsers().find("paris-frontline").orElseThrow().scope())
                .isEqualTo(DeviceScope.groups(List.of(paris)));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//tr[td[.='paris-frontline']]"), "Paris desks"));
        assertThat(browserErrors()).isEmpty();
    }

    @Test
    void aPolicyIsEditedAsANewVersionAConcurrentEditIsRefusedAndThePolicyIsDeleted() throws Exception {
        String id = server.server().kernel().policies().create(Actor.admin("seed"), "Kiosk passcode", "",
                List.of(new SettingInput("passcode", json.readTree("{\"required\": true, \"minLength\": 6}")))).id();

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/policies/" + id, "Kiosk passcode");
        browser.findElement(By.linkText("Edit policy")).click();
        waitForHeading("Edit Kiosk passcode");
        WebElement minimumLength = labelledControl("Minimum length");
        assertThat(minimumLength.getDomProperty("value")).as("the current value").isEqualTo("6");
        minimumLength.clear();
        minimumLength.sendKeys("10");
        screenshot("70-policy-edit");
        browser.findElement(By.xpath("//button[.='Save policy']")).click();
        waitForHeading("Kiosk passcode");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).contains("Version 2");
        var saved = server.server().kernel().policies().get(id).orElseThrow();
        assertThat(saved.version()).isEqualTo(2);
        assertThat(saved.settings()).singleElement().satisfies(setting -> assertThat(setting.value()).containsEntry("minLength", 10));
        List<WebElement> versions = wait.until(ExpectedConditions.numberOfElementsToBe(
                By.xpath("//h2[.='Versions']/ancestor::section//tbody/tr"), 2));
        assertThat(versions.get(0).getText()).startsWith("2").contains("changed passcode");
        assertThat(versions.get(1).getText()).startsWith("1").contains("First version");

        // Someone else saves while this edit is open: the edit is refused (If-Match), not silently overwritten.
        browser.findElement(By.linkText("Edit policy")).click();
        waitForHeading("Edit Kiosk passcode");
        server.server().kernel().policies().update(Actor.admin("seed"), id, "Kiosk passcode", "",
                List.of(new SettingInput("passcode", json.readTree("{\"required\": true, \"minLength\": 12}"))), OptionalLong.of(2));
        labelledControl("Minimum length").clear();
        labelledControl("Minimum length").sendKeys("14");
        browser.findElement(By.xpath("//button[.='Save policy']")).click();
        WebElement refused = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("main [role=alert]")));
        assertThat(refused.getText()).contains("version");
        screenshot("71-policy-concurrent-edit");
        assertThat(server.server().kernel().policies().get(id).orElseThrow().settings().get(0).value()).containsEntry("minLength", 12);

        open("#/policies/" + id, "Kiosk passcode");
        browser.findElement(By.xpath("//button[.='Delete policy']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Delete the policy “Kiosk passcode”?");
        dialog.findElement(By.xpath(".//button[.='Delete policy']")).click();
        waitForHeading("Policies");
        assertThat(server.server().kernel().policies().get(id)).isEmpty();

        assertThat(forbiddenOrFailedApiCalls()).as("only the refused concurrent edit").singleElement(InstanceOfAssertFactories.STRING).startsWith("412 ");
    }

    @Test
    void aSavedSecretIsNeitherShownNorLostWhenAPolicyIsEditedAndIsReplacedWhenTyped() throws Exception {
        String id = server.server().kernel().policies().create(Actor.admin("seed"), "Office Wi-Fi", "",
                List.of(new SettingInput("wifi", json.readTree("{\"ssid\": \"Office\", \"security\": \"WPA2_PERSONAL\", \"password\": \"first-secret-1\"}"))))
                .id();
        Object sealed = server.server().kernel().policies().get(id).orElseThrow().settings().get(0).value().get("password");
        assertThat(sealed).asString().startsWith("sealed:");

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/policies/" + id + "/edit", "Edit Office Wi-Fi");
        WebElement password = labelledControl("Password");
        assertThat(password.getDomProperty("value")).isEmpty();
        assertThat(password.getDomAttribute("placeholder")).isEqualTo("Unchanged — type to replace");
        assertThat(browser.findElement(By.cssSelector("main")).getText()).doesNotContain("first-secret-1")
                .contains("Saved and not shown. Leave empty to keep it, or type a new one.");
        labelledControl("Proxy auto-configuration URL").sendKeys("https://proxy.example.com/office.pac");
        browser.findElement(By.xpath("//button[.='Save policy']")).click();
        waitForHeading("Office Wi-Fi");
        var kept = server.server().kernel().policies().get(id).orElseThrow().settings().get(0).value();
        assertThat(kept).containsEntry("proxyUrl", "https://proxy.example.com/office.pac").containsEntry("password", sealed);

        open("#/policies/" + id + "/edit", "Edit Office Wi-Fi");
        labelledControl("Password").sendKeys("second-secret-2");
        browser.findElement(By.xpath("//button[.='Save policy']")).click();
        waitForHeading("Office Wi-Fi");
        Object replaced = server.server().kernel().policies().get(id).orElseThrow().settings().get(0).value().get("password");
        assertThat(replaced).asString().startsWith("sealed:").isNotEqualTo(sealed).doesNotContain("second-secret-2");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aDeviceIsQuarantinedReleasedAndRetiredEachAfterAConfirmation() throws Exception {
        DeviceId device = seedGroup("Shop floor", "SF", "Shop tablet", 1).get(0);

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/devices/" + device, "Shop tablet 1");
        // Meanwhile the device's version moves without a change to what the form edits (another admin quarantines and
        // releases it, as a compliance verdict or an OS update would move it): the save below still goes through.
        server.server().kernel().devices().changeStatus(Actor.admin("other"), device, DeviceStatus.QUARANTINED, "a check");
        server.server().kernel().devices().changeStatus(Actor.admin("other"), device, DeviceStatus.ENROLLED, "checked");

        // Details corrected by hand: name and tags, saved with the version seen.
        browser.findElement(By.xpath("//summary[.='Edit details']")).click();
        WebElement deviceName = labelledControl("Device name");
        deviceName.clear();
        deviceName.sendKeys("Shop tablet 1A");
        labelledControl("Tags").sendKeys("floor, kiosk, floor");
        labelledControl("Custom attributes").sendKeys("no equals sign");
        browser.findElement(By.xpath("//button[.='Save details']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .field-error"), "Custom attributes, line 1: write name=value."));
        labelledControl("Custom attributes").clear();
        labelledControl("Custom attributes").sendKeys("cost-centre = 4711\nlocation=Shop floor, till 2");
        browser.findElement(By.xpath("//button[.='Save details']")).click();
        waitForHeading("Shop tablet 1A");
        var edited = server.server().kernel().devices().get(device).orElseThrow().device();
        assertThat(edited.name()).isEqualTo("Shop tablet 1A");
        assertThat(edited.tags()).containsExactlyInAnyOrder("floor", "kiosk");
        assertThat(edited.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of("cost-centre", "4711", "location", "Shop floor, till 2"));
        assertThat(browser.findElement(By.cssSelector(".facts")).getText()).contains("Attribute cost-centre", "4711");

        browser.findElement(By.xpath("//button[.='Quarantine']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Quarantine this device?");
        screenshot("80-quarantine-confirmation");
        dialog.findElement(By.xpath(".//button[.='Quarantine device']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//button[.='Release from quarantine']")));
        assertThat(status(device)).isEqualTo("QUARANTINED");

        browser.findElement(By.xpath("//button[.='Release from quarantine']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Release device']"))).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//button[.='Quarantine']")));
        assertThat(status(device)).isEqualTo("ENROLLED");

        browser.findElement(By.xpath("//button[.='Retire…']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Retire device']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".facts"), "Retired"));
        assertThat(buttons()).doesNotContain("Quarantine", "Retire…", "Release from quarantine");
        screenshot("81-device-retired");
        assertThat(status(device)).isEqualTo("RETIRED");
        assertThat(forbiddenOrFailedApiCalls()).as("only the first save, over the version moved meanwhile, was refused")
                .containsExactly("409 " + server.uri("/api/v1/devices/" + device));
    }

    @Test
    void anEraseFromTheDevicePageWipesTheDeviceAndThePageShowsItWiped() throws Exception {
        DeviceId device = seedGroup("Lost property", "LP", "Lost phone", 1).get(0);

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/devices/" + device, "Lost phone 1");
        browser.findElement(By.xpath("//button[.='Erase…']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Erase device']"))).click();

        // The erase ends management like "Wipe and retire…": wiped at once, told only to erase itself.
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".facts"), "Wiped"));
        assertThat(status(device)).isEqualTo("WIPED");
        assertThat(commandsOf(device, CommandType.WIPE)).singleElement()
                .satisfies(erase -> assertThat(erase.command().priority()).isEqualTo(100));
        assertThat(buttons()).doesNotContain("Erase…", "Lock", "Retire…", "Wipe and retire…");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aPluginUploadedInTheConsoleLoadsCanBeSwitchedOffAndOnAndIsRemoved() throws Exception {
        Path file = TestPluginBuilder.plugin("greeter", "1.0.0").source("""
                package acme.greeter;

                import dev.shepherd.api.http.*;
                import org.pf4j.Extension;

                @Extension
                public class Greeter implements DeviceEndpoint {
                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, "hello from the greeter");
                    }
                }
                """).buildZip(build, "greeter-1.0.0.zip");

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/plugins", "Plugins");
        labelledControl("Plugin file (.zip or .jar)").sendKeys(file.toAbsolutePath().toString());
        browser.findElement(By.xpath("//button[.='Upload']")).click();
        console.await(Duration.ofSeconds(40)).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("main .feedback"), "greeter 1.0.0 is started"));
        assertThat(server.get("/mdm/greeter/").body()).isEqualTo("hello from the greeter");
        screenshot("43-plugins-uploaded");

        browser.findElement(By.cssSelector("button[aria-label='Switch greeter off']")).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Switch off']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "greeter is switched off."));
        console.await(Duration.ofSeconds(20)).until(driver -> server.get("/mdm/greeter/").statusCode() == 404);

        // Switched on, the plugin loads at the server's next scan; the page follows it until it is back.
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[aria-label='Switch greeter on']"))).click();
        console.await(Duration.ofSeconds(40)).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("main .feedback"), "greeter 1.0.0 is started"));
        assertThat(server.get("/mdm/greeter/").statusCode()).isEqualTo(200);
        // The page redraws its table while it follows the plugin back to STARTED, so the button may be replaced
        // between finding and clicking it: find it again until the click lands.
        console.await(Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class).until(driver -> {
            WebElement remove = driver.findElement(By.cssSelector("button[aria-label='Remove the file greeter-1.0.0.zip']"));
            if (!remove.isDisplayed() || !remove.isEnabled()) {
                return false;
            }
            remove.click();
            return true;
        });
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//dialog//button[.='Remove file']"))).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "greeter-1.0.0.zip is removed"));
        console.await(Duration.ofSeconds(20)).until(driver -> server.get("/mdm/greeter/").statusCode() == 404);
        assertThat(Files.exists(server.pluginsDir().resolve("greeter-1.0.0.zip"))).isFalse();
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aPluginsOwnPageIsServedFromItsFileFollowsItsUpgradesAndIsShownOnlyToRolesThatMayUseIt() throws Exception {
        Path first = stockPlugin("1.0.0", "edition 1").buildZip(build, "stock-1.zip");
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/plugins/stock/counts", "Plugin page");
        assertThat(console.mainText()).contains("The plugin “stock” has no page “counts” you can open.");

        // Installed from the plugins page; its row links to the page it contributes.
        open("#/plugins", "Plugins");
        labelledControl("Plugin file (.zip or .jar)").sendKeys(first.toAbsolutePath().toString());
        browser.findElement(By.xpath("//button[.='Upload']")).click();
        console.await(Duration.ofSeconds(40)).until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("main .feedback"), "stock 1.0.0 is started"));
        By pagesOfStock = By.cssSelector("ul[aria-label='Pages of stock']");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(pagesOfStock, "Stock lookup"));
        assertThat(browser.findElement(pagesOfStock).getText())
                .contains("Stock counts", "How many widgets are left", "Stock lookup");
        screenshot("91-plugins-with-pages");
        browser.findElement(By.cssSelector("a[aria-label='Stock counts (stock)']")).click();
        waitForHeading("Stock counts");
        console.waitForText("Widgets in stock: 7 (edition 1)");
        assertThat(browser.getTitle()).isEqualTo("Stock counts · Shepherd");

        // The page's form changes the plugin's data through its admin endpoint, with the session's CSRF token.
        labelledControl("New count").sendKeys("9");
        browser.findElement(By.xpath("//button[.='Save count']")).click();
        console.waitForText("Widgets in stock: 9 (edition 1)");
        screenshot("92-plugin-page");
        assertThat(apiCalls()).contains("GET /api/v1/console/pages", "GET /api/v1/plugins/stock/counts", "PUT /api/v1/plugins/stock/counts");
        assertThat(console.requests("/ui/plugins/")).contains("GET /ui/plugins/stock/1.0.0/counts.js", "GET /ui/plugins/stock/1.0.0/lib/format.js");

        // A page that fails shows its error in place; the console goes on.
        open("#/plugins/stock/broken", "Stock breakage");
        console.waitForText("The page of the plugin stock failed: the shelf fell over");
        open("#/", "Dashboard");

        // An upgrade is a new address for its files: the page follows without a reload of the console's own files.
        TestServer.replace(server.pluginsDir().resolve("stock-1.zip"), stockPlugin("2.0.0", "edition 2").buildZip(build, "stock-2.zip"));
        console.await(Duration.ofSeconds(20)).until(driver -> {
            // The new generation starts before the old one stops: wait until only the new one is listed.
            String listed = server.getAsAdmin("/api/v1/console/pages").body();
            return listed.contains("stock/2.0.0") && !listed.contains("stock/1.0.0");
        });
        browser.findElement(By.cssSelector("#nav a[href='#/plugins']")).click();
        waitForHeading("Plugins");
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("a[aria-label='Stock counts (stock)']"))).click();
        waitForHeading("Stock counts");
        console.waitForText("Widgets in stock: 9 (edition 2)");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();

        // A help-desk user is listed only the page its permissions open, and never asks for the other one.
        console.signOut();
        int before = console.requests("/").size();
        signIn(HELPDESK, HELPDESK_PASSWORD);
        open("#/plugins/stock/counts", "Plugin page");
        assertThat(console.mainText()).contains("has no page “counts” you can open");
        open("#/plugins/stock/lookup", "Stock lookup");
        console.waitForText("Look up a widget, frontline.");
        List<String> helpdeskRequests = console.requests("/").subList(before, console.requests("/").size());
        assertThat(helpdeskRequests).noneMatch(call -> call.contains("/counts")).contains("GET /ui/plugins/stock/2.0.0/lookup.js");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();

        // Removed: the page is gone, and so are its files.
        Files.delete(server.pluginsDir().resolve("stock-1.zip"));
        console.await(Duration.ofSeconds(20)).until(driver -> server.get("/ui/plugins/stock/2.0.0/lookup.js").statusCode() == 404);
        open("#/", "Dashboard");
        open("#/plugins/stock/lookup", "Plugin page");
        assertThat(console.mainText()).contains("has no page “lookup” you can open");
    }

    /** A plugin with an admin endpoint and three console pages: one behind plugin_manage, one behind device_read, one that fails. */
    private static TestPluginBuilder stockPlugin(String version, String edition) {
        return TestPluginBuilder.plugin("stock", version).source("""
                package acme.stock;

                import dev.shepherd.api.config.PluginStorage;
                import dev.shepherd.api.http.*;
                import jakarta.inject.Inject;
                import java.nio.charset.StandardCharsets;
                import java.util.regex.*;
                import org.pf4j.Extension;

                @Extension
                public class Counts implements AdminEndpoint {
                    private final PluginStorage storage;

                    @Inject
                    public Counts(PluginStorage storage) {
                        this.storage = storage;
                    }

                    public String path() { return "/counts"; }
                    public String permission() { return "plugin_manage"; }

                    public DeviceResponse handle(AdminRequest request) {
                        if (request.method().equals("PUT")) {
                            Matcher number = Pattern.compile("\\"count\\"\\\\s*:\\\\s*(\\\\d+)").matcher(new String(request.body(), StandardCharsets.UTF_8));
                            if (!number.find()) {
                                return DeviceResponse.of(400, "application/problem+json",
                                        "{\\"status\\": 400, \\"detail\\": \\"Give the count as a whole number.\\"}".getBytes(StandardCharsets.UTF_8));
                            }
                            storage.put("count", number.group(1).getBytes(StandardCharsets.UTF_8));
                        }
                        String count = storage.get("count").map(bytes -> new String(bytes, StandardCharsets.UTF_8)).orElse("7");
                        return DeviceResponse.of(200, "application/json", ("{\\"count\\": " + count + "}").getBytes(StandardCharsets.UTF_8));
                    }
                }
                """).source(page("CountsPage", "counts", "Stock counts", "plugin_manage", "counts.js", "How many widgets are left"))
                .source(page("LookupPage", "lookup", "Stock lookup", "device_read", "lookup.js", ""))
                .source(page("BrokenPage", "broken", "Stock breakage", "plugin_read", "broken.js", ""))
                .resource("console/counts.js", """
                        import { label } from './lib/format.js';

                        export async function render({ api, main, ui, plugin, stale }) {
                          const { h, replace, field, message } = ui;
                          const base = `/api/v1/plugins/${plugin.id}/counts`;
                          const status = h('p', { id: 'stock-status' });
                          const input = h('input', { type: 'number', name: 'count', min: '0' });
                          const feedback = h('div', { class: 'feedback' });
                          const show = counts => replace(status, label(counts.count));
                          const form = h('form', { class: 'inline' }, field('New count', input), h('button', { type: 'submit', class: 'primary' }, 'Save count'));
                          form.addEventListener('submit', async event => {
                            event.preventDefault();
                            try {
                              show(await api.put(base, { count: Number(input.value) }));
                            } catch (error) {
                              replace(feedback, message('error', error.message));
                            }
                          });
                          show(await api.get(base));
                          if (stale()) return;
                          main.append(status, form, feedback);
                        }
                        """)
                .resource("console/lib/format.js", "export const label = count => `Widgets in stock: ${count} (EDITION)`;\n"
                        .replace("EDITION", edition))
                .resource("console/lookup.js", """
                        export function render({ api, main, ui }) {
                          main.append(ui.h('p', {}, `Look up a widget, ${api.me.username}.`));
                        }
                        """)
                .resource("console/broken.js", "export function render() { throw new Error('the shelf fell over'); }\n");
    }

    private static String page(String className, String id, String title, String permission, String module, String description) {
        return """
                package acme.stock;

                import dev.shepherd.api.console.ConsolePage;
                import org.pf4j.Extension;

                @Extension
                public class %s implements ConsolePage {
                    public String id() { return "%s"; }
                    public String title() { return "%s"; }
                    public String permission() { return "%s"; }
                    public String module() { return "%s"; }
                    public String description() { return "%s"; }
                }
                """.formatted(className, id, title, permission, module, description);
    }

    @Test
    void anAppFoundInAStoreIsAddedAndAssignedWithAConfigurationFormFromItsSchemaAndTheServersProblemsShownByField() throws Exception {
        Files.copy(mailStorePlugin().buildZip(build, "mail-store.zip"), server.pluginsDir().resolve("mail-store.zip"));
        new WebDriverWait(browser, Duration.ofSeconds(40)).until(driver -> server.getAsAdmin("/api/v1/app-stores").body().contains("mailstore"));
        var kernel = server.server().kernel();
        String secret = kernel.enrollmentTokens().create(Actor.admin("seed"), new NewEnrollmentToken("mail",
                Ownership.CORPORATE, Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
                Instant.now().plus(Duration.ofHours(1)))).secret();
        DeviceId ipad = kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.of(secret), Platform.IOS,
                EnrollmentMethod.LINK, Map.of("udid", "MAIL-UDID-1"), "F9FMAIL01", "iPad13,18", "17.5", "Mail iPad")).device().id();
        String group = kernel.groups().create(Actor.admin("seed"), "Mail readers", "", Optional.empty()).id();
        kernel.groups().addMembers(Actor.admin("seed"), group, List.of(ipad));

        // The store does not list the app by itself: it is found by a search and added.
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/apps", "Apps");
        new Select(labelledControl("Store")).selectByVisibleText("mailstore");
        labelledControl("Search for").sendKeys("Mail");
        browser.findElement(By.xpath("//button[.='Search']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".search-results"), "1 app found in mailstore"));
        console.waitForTexts(By.cssSelector(".search-results"), "Mail Reader", "Example Mail Inc.", "com.example.mail");
        browser.findElement(By.cssSelector("button[aria-label='Add Mail Reader']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "Added Mail Reader to the catalog."));
        assertThat(browser.findElement(By.cssSelector("section[aria-labelledby='catalog-title']")).getText()).contains("Mail Reader", "4.1");
        screenshot("60-app-added-from-store-search");

        // The assignment form is generated from the app's schema: descriptions, defaults, a list for the enum, a secret
        // as a password field that is never filled in, a nested object as a fieldset.
        browser.findElement(By.cssSelector("section[aria-labelledby='catalog-title']")).findElement(By.linkText("Mail Reader")).click();
        waitForHeading("Mail Reader");
        new Select(labelledControl("Group")).selectByVisibleText("Mail readers");
        WebElement form = browser.findElement(By.cssSelector("fieldset.managed-configuration"));
        assertThat(form.getText()).contains("Where the app reads mail from.", "Default: 993.", "Default: imap.", "Signature");
        assertThat(labelledControl("Port").getDomProperty("value")).isEqualTo("993");
        assertThat(new Select(labelledControl("Protocol")).getFirstSelectedOption().getText()).isEqualTo("imap");
        assertThat(labelledControl("Access token").getDomProperty("type")).isEqualTo("password");
        assertThat(labelledControl("Access token").getDomProperty("value")).isEmpty();
        labelledControl("Mail server").sendKeys("mail.example.com");
        labelledControl("Port").clear();
        labelledControl("Port").sendKeys("25");
        labelledControl("Access token").sendKeys("token-s3cret");
        labelledControl("Folders").sendKeys("Inbox\nArchive");
        labelledControl("Sign-off text").sendKeys("Sent from the field");
        browser.findElement(By.xpath("//button[.='Assign']")).click();

        // The server refuses what the form cannot know (the schema's "not"): the problem is shown by the field it names.
        WebElement portField = wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
                "//label[.='Port']/parent::div[contains(@class,'field')]")));
        wait.until(driver -> !portField.findElements(By.cssSelector(".field-error")).isEmpty());
        assertThat(labelledControl("Port").getDomAttribute("aria-invalid")).isEqualTo("true");
        assertThat(kernel.apps().assignments(appId("com.example.mail"))).isEmpty();
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        screenshot("61-app-configuration-refused-by-field");
        labelledControl("Port").clear();
        labelledControl("Port").sendKeys("993");
        browser.findElement(By.xpath("//button[.='Assign']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "Assigned to Mail readers as required."));

        // Stored as typed, the secret sealed and never sent back to the page.
        String appId = appId("com.example.mail");
        assertThat(kernel.apps().assignments(appId)).singleElement().satisfies(assignment -> assertThat(assignment.configuration())
                .containsEntry("server", "mail.example.com").containsEntry("port", 993).containsEntry("folders", List.of("Inbox", "Archive"))
                .containsEntry("signature", Map.of("text", "Sent from the field")).doesNotContainKey("token"));
        assertThat(server.getAsAdmin("/api/v1/apps/" + appId + "/assignments").body()).doesNotContain("token-s3cret");
        new Select(labelledControl("Group")).selectByVisibleText("Mail readers"); // the form edits that assignment again
        assertThat(labelledControl("Mail server").getDomProperty("value")).isEqualTo("mail.example.com");
        assertThat(labelledControl("Access token").getDomProperty("value")).isEmpty();
        assertThat(labelledControl("Access token").getDomAttribute("placeholder")).isEqualTo("Unchanged — type to replace");

        // The devices the app reaches are listed by name, each a link to its page.
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver ->
                server.getAsAdmin("/api/v1/apps/" + appId + "/devices").body().contains(ipad.toString()));
        browser.findElement(By.xpath("//button[.='Refresh']")).click();
        WebElement deviceLink = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("section[aria-labelledby='devices-title'] tbody a")));
        assertThat(deviceLink.getText()).isEqualTo("Mail iPad");
        assertThat(deviceLink.getDomAttribute("href")).isEqualTo("#/devices/" + ipad);
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        screenshot("62-app-assigned-with-configuration");
        assertThat(forbiddenOrFailedApiCalls()).as("only the refused configuration").singleElement().asString()
                .startsWith("400 ").endsWith("/assignments/" + group);
        assertThat(browserErrors()).as("the browser logs only the refused configuration").singleElement().asString()
                .contains("/assignments/" + group, "status of 400");
        Files.delete(server.pluginsDir().resolve("mail-store.zip"));
    }

    @Test
    void aPersonsPortalPasswordIsSetFromTheUsersPage() throws Exception {
        String person = server.server().kernel().directory().create(Actor.admin("seed"), "local", "robin.field", "Robin Field",
                "robin@example.com").id();

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/users", "Users");
        labelledControl("Username, name or e-mail starts with").sendKeys("robin");
        browser.findElement(By.xpath("//button[.='Search']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main table"), "Robin Field"));
        browser.findElement(By.cssSelector("summary[aria-label='Set the portal password of robin.field']")).click();
        browser.findElement(By.cssSelector("input[aria-label='Portal password for robin.field']")).sendKeys("robin-portal-pass-1");
        browser.findElement(By.xpath("//button[.='Set portal password']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"),
                "robin.field signs in to the portal with the new password"));

        assertThat(server.getAsAdmin("/api/v1/audit?action=user.password_set&targetId=" + person).body()).contains("user.password_set")
                .doesNotContain("robin-portal-pass-1");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        screenshot("63-users-portal-password");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    @Test
    void aPersonsStatusProviderAndDirectoryGroupsAreShown() {
        UserDirectory ldap = server.server().kernel().userDirectory().forPlugin("identity-ldap");
        String sasha = ldap.putUser("corp-ldap", new ProvidedUser("e-sasha", "sasha.lee", "Sasha Lee", "sasha@corp.example", true));
        ldap.putGroup("corp-ldap", new ProvidedGroup("g-ops", "Operations", Set.of("e-sasha"), Set.of()));
        String staff = ldap.putGroup("corp-ldap", new ProvidedGroup("g-staff", "All staff", Set.of(), Set.of("g-ops")));
        ldap.putUser("corp-ldap", new ProvidedUser("e-sasha", "sasha.lee", "Sasha Lee", "sasha@corp.example", false));

        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        open("#/users/" + sasha, "Sasha Lee");
        assertThat(browser.findElement(By.cssSelector("main dl")).getText()).contains("corp-ldap", "e-sasha", "Deactivated");
        assertThat(browser.findElement(By.cssSelector("main table")).getText()).contains("All staff", "Through a nested group", "Operations", "Direct");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        browser.findElement(By.linkText("All staff")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), "1 person in it, directly or through nested groups"));
        console.waitForTexts(By.cssSelector("main"), "1 nested group", "Operations", "sasha.lee");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        open("#/directory-groups", "Directory groups");
        assertThat(browser.findElement(By.cssSelector("main table")).getText()).contains("All staff", "Operations");
        assertThat(browser.findElement(By.linkText("All staff")).getAttribute("href")).endsWith("#/directory-groups/" + staff);
        screenshot("64-directory-groups");
        assertThat(forbiddenOrFailedApiCalls()).isEmpty();
    }

    private static String appId(String identifier) {
        return server.server().kernel().apps().list(Optional.of(identifier), Optional.empty(), Optional.empty(), 10).stream()
                .filter(app -> app.identifier().equals(identifier)).findFirst().orElseThrow().id();
    }

    /** A store that lists nothing by itself; its one app is found by a search and publishes a managed-configuration schema. */
    private static TestPluginBuilder mailStorePlugin() {
        return TestPluginBuilder.plugin("mail-store", "1.0.0").source("""
                package acme.mail;

                import dev.shepherd.api.appstore.AppInstallation;
                import dev.shepherd.api.appstore.AppStoreConnector;
                import dev.shepherd.api.appstore.CatalogPage;
                import dev.shepherd.api.appstore.StoreApp;
                import dev.shepherd.api.appstore.StoreHealth;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.Platform;
                import org.pf4j.Extension;

                import java.util.List;
                import java.util.Optional;
                import java.util.OptionalLong;
                import java.util.Set;

                @Extension
                public class MailStore implements AppStoreConnector {
                    static final String SCHEMA = \"""
                        {"type": "object", "additionalProperties": false, "required": ["server"], "properties": {
                          "server": {"type": "string", "title": "Mail server", "description": "Where the app reads mail from."},
                          "port": {"type": "integer", "title": "Port", "minimum": 1, "maximum": 65535, "default": 993,
                                   "not": {"const": 25}, "description": "The app reads mail; it never sends it."},
                          "protocol": {"type": "string", "title": "Protocol", "enum": ["imap", "pop3"], "default": "imap"},
                          "folders": {"type": "array", "title": "Folders", "items": {"type": "string"}},
                          "token": {"type": "string", "title": "Access token", "writeOnly": true},
                          "signature": {"type": "object", "title": "Signature",
                                        "properties": {"text": {"type": "string", "title": "Sign-off text"}}}}}
                        \""";

                    public String id() { return "mailstore"; }
                    public String displayName() { return "Mail store"; }
                    public Set<Platform> platforms() { return Set.of(Platform.IOS); }
                    public StoreHealth health() { return StoreHealth.ready(); }
                    public CatalogPage catalog(Optional<String> cursor) { return CatalogPage.last(List.of()); }
                    public List<StoreApp> search(String query, int limit) {
                        return "Mail Reader".toLowerCase().contains(query.toLowerCase()) ? List.of(mail()) : List.of();
                    }
                    public Optional<StoreApp> lookup(String storeAppId) {
                        return storeAppId.equals("mail-reader") ? Optional.of(mail()) : Optional.empty();
                    }
                    public AppInstallation installation(StoreApp app, Device device) {
                        return AppInstallation.fromStore(app.identifier(), app.storeAppId());
                    }
                    private StoreApp mail() {
                        return new StoreApp("mailstore", "mail-reader", Platform.IOS, "com.example.mail", "Mail Reader", "Example Mail Inc.",
                                Optional.of("4.1"), Optional.empty(), OptionalLong.empty(), Optional.of(SCHEMA), false, Optional.empty());
                    }
                }
                """);
    }

    @Test
    void everyPageMeetsTheWcagRulesAnAccessibilityEngineChecks() throws Exception {
        List<DeviceId> devices = seedGroup("Audited tablets", "AX", "Audited tablet", 2);
        String group = server.server().kernel().groups().list().stream().filter(candidate -> candidate.name().equals("Audited tablets"))
                .findFirst().orElseThrow().id();
        String policy = server.server().kernel().policies().create(Actor.admin("seed"), "Audited policy", "",
                List.of(new SettingInput("wifi", json.readTree("{\"ssid\": \"Audit\", \"security\": \"WPA2_PERSONAL\", \"password\": \"audit-secret-1\"}"))))
                .id();
        String batch = server.server().kernel().commands().issueToMany(Actor.admin("seed"), new CommandTargets.Listed(devices),
                new CommandRequest(CommandType.LOCK, Map.of(), 0, Optional.empty()), "audited lock").id();

        browser.get(server.uri("/").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username")));
        Map<String, List<String>> problems = new LinkedHashMap<>();
        problems.put("sign-in", console.accessibilityViolations("moderate"));
        signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        for (String page : List.of("#/", "#/devices", "#/devices/" + devices.get(0), "#/commands", "#/commands/" + batch, "#/enrollment",
                "#/groups", "#/groups/" + group, "#/users", "#/policies", "#/policies/new", "#/policies/" + policy, "#/policies/" + policy + "/edit",
                "#/policies/" + policy + "/versions/1", "#/apps", "#/compliance", "#/threats", "#/reports", "#/webhooks", "#/plugins", "#/admins",
                "#/api-tokens", "#/audit")) {
            console.open(page);
            List<String> found = console.accessibilityViolations("moderate");
            if (!found.isEmpty()) {
                problems.put(page, found);
            }
        }
        assertThat(problems).as("WCAG 2.1 A/AA violations of moderate impact or worse, by page").containsOnlyKeys("sign-in")
                .containsEntry("sign-in", List.of());
    }

    @Test
    void theConsoleIsUsableFromTheKeyboardAlone() throws Exception {
        DeviceId device = seedGroup("Keyboard tablets", "KB", "Keyboard tablet", 1).get(0);

        // Sign in without the mouse: type, Tab, type, Enter.
        browser.get(server.uri("/").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys(TestServer.ADMIN);
        focused().sendKeys(Keys.TAB);
        assertThat(focused().getDomAttribute("name")).isEqualTo("password");
        focused().sendKeys(TestServer.ADMIN_PASSWORD, Keys.ENTER);
        waitForHeading("Dashboard");
        assertThat(focused().getTagName()).as("focus on the new page's heading").isEqualTo("h1");

        // Back up through the menu to the first stop of the page, the skip link; then the menu, where Enter opens a
        // page and moves focus to its heading.
        for (int presses = 0; presses < 30 && !"skip-link".equals(focused().getDomAttribute("class")); presses++) {
            new Actions(browser).keyDown(Keys.SHIFT).sendKeys(Keys.TAB)
                    .keyUp(Keys.SHIFT).perform();
        }
        assertThat(focused().getText()).isEqualTo("Skip to content");
        focused().sendKeys(Keys.ENTER);
        assertThat(focused().getDomAttribute("id")).as("the skip link moves focus to the content").isEqualTo("main");
        assertThat(browser.findElement(By.cssSelector("main h1")).getText()).as("and stays on the page").isEqualTo("Dashboard");
        // The menu sits before the content: back from the content with Shift+Tab, however many stops the page has.
        WebElement devicesLink = browser.findElement(By.cssSelector("#nav a[href='#/devices']"));
        for (int presses = 0; presses < 40 && !devicesLink.equals(focused()); presses++) {
            new Actions(browser).keyDown(Keys.SHIFT).sendKeys(Keys.TAB)
                    .keyUp(Keys.SHIFT).perform();
        }
        assertThat(focused()).as("the Devices menu entry is reachable with the keyboard").isEqualTo(devicesLink);
        focused().sendKeys(Keys.ENTER);
        waitForHeading("Devices");
        assertThat(focused().getText()).isEqualTo("Devices");

        // A destructive action from the keyboard: the dialog opens on Cancel, and Escape sends nothing.
        open("#/devices/" + device, "Keyboard tablet 1");
        WebElement lock = browser.findElement(By.xpath("//button[.='Lock']"));
        for (int presses = 0; presses < 30 && !lock.equals(focused()); presses++) {
            new Actions(browser).sendKeys(Keys.TAB).perform();
        }
        assertThat(focused()).as("Lock is reachable with Tab").isEqualTo(lock);
        focused().sendKeys(Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(focused().getText()).isEqualTo("Cancel");
        new Actions(browser).sendKeys(Keys.ESCAPE).perform();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(commandsOf(device, CommandType.LOCK)).as("Escape sends nothing").isEmpty();

        // Enter on the focused Lock again, then Tab to the confirming button and Enter: the lock is sent.
        focused().sendKeys(Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        new Actions(browser).sendKeys(Keys.TAB).perform();
        assertThat(focused().getText()).isEqualTo("Lock device");
        focused().sendKeys(Keys.ENTER);
        console.await(Duration.ofSeconds(5)).until(driver -> !commandsOf(device, CommandType.LOCK).isEmpty());
    }

    private WebElement focused() {
        return browser.switchTo().activeElement();
    }

    @Test
    void aWrongPasswordIsExplainedInPlainWords() {
        browser.get(server.uri("/").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys(HELPDESK);
        browser.findElement(By.name("password")).sendKeys("not-the-password");
        browser.findElement(By.cssSelector("form.login button[type=submit]")).click();

        WebElement alert = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[role=alert]")));
        assertThat(alert.getText()).isEqualTo("The username or password is wrong.");
        assertThat(browser.switchTo().activeElement().getDomAttribute("name")).as("focus back on the password").isEqualTo("password");
    }

    @Test
    void anAdminTurnsOnTwoStepSignInAndThenSignsInWithACodeFromTheirApp() throws Exception {
        server.server().adminUsers().create("mika", "mika-Password-lantern".toCharArray(), AdminRole.AUDITOR);
        signIn("mika", "mika-Password-lantern");
        console.open("#/api-tokens", "API tokens");
        wait.until(ExpectedConditions.elementToBeClickable(By.xpath("//button[normalize-space()='Set up an authenticator app']"))).click();
        String secret = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("totp-secret"))).getDomProperty("value");
        assertThat(browser.findElement(By.id("totp-uri")).getDomProperty("value")).startsWith("otpauth://totp/Shepherd%3Amika?secret=" + secret);
        assertThat(browser.findElement(By.id("totp-qr")).getDomProperty("naturalWidth")).as("the QR code is drawn (the page's policy admits data: images)")
                .isNotEqualTo("0");
        byte[] key = Totp.fromBase32(secret);
        long confirmedStep = Totp.AUTHENTICATOR_APPS.stepAt(Instant.now());
        browser.findElement(By.name("code")).sendKeys(Totp.AUTHENTICATOR_APPS.code(key, confirmedStep));
        browser.findElement(By.xpath("//button[normalize-space()='Turn on']")).click();
        String recovery = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("recovery-codes"))).getDomProperty("value");
        assertThat(recovery.split("\n")).hasSize(10);
        screenshot("totp-recovery-codes");
        browser.findElement(By.xpath("//button[normalize-space()='I have stored them']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[aria-labelledby=totp-title]"), "Recovery codes left: 10"));
        console.signOut();

        browser.findElement(By.name("username")).sendKeys("mika");
        browser.findElement(By.name("password")).sendKeys("mika-Password-lantern");
        browser.findElement(By.cssSelector("form.login button[type=submit]")).click();
        WebElement code = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-code")));
        assertThat(browser.switchTo().activeElement().getDomAttribute("id")).as("focus on the code").isEqualTo("sign-in-code");
        screenshot("totp-sign-in-code");
        code.sendKeys(Totp.AUTHENTICATOR_APPS.code(key, Math.max(Totp.AUTHENTICATOR_APPS.stepAt(Instant.now()), confirmedStep + 1)));
        browser.findElement(By.cssSelector("form.login button[type=submit]")).click();
        console.waitForHeading("Dashboard");
    }

    /** A static group of simulated devices, enrolled as their platform plugin would enrol them. */
    private static List<DeviceId> seedGroup(String name, String serialPrefix, String deviceName, int count) {
        String group = server.server().kernel().groups().create(Actor.admin("seed"), name, "", Optional.empty()).id();
        List<DeviceId> ids = new ArrayList<>();
        for (int index = 1; index <= count; index++) {
            ids.add(server.server().kernel().devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.IOS,
                    EnrollmentMethod.MANUAL, Map.of("udid", serialPrefix + "-UDID-" + index), serialPrefix + "-SERIAL-" + index, "iPad13,18",
                    "17.5", deviceName + " " + index)).device().id());
        }
        server.server().kernel().groups().addMembers(Actor.admin("seed"), group, ids);
        return ids;
    }

    /** A device's commands of one type (its history also holds policy settings, queued for delivery). */
    private static List<CommandRecord> commandsOf(DeviceId device, CommandType type) {
        return server.server().kernel().commands().history(device, Optional.empty(), 50).stream()
                .filter(command -> command.command().type() == type).toList();
    }

    /** The device's status as the kernel has it. */
    private static String status(DeviceId device) {
        return server.server().kernel().devices().get(device).orElseThrow().device().status().name();
    }

    /** The status of a GET to the admin API made with an API token, as a script would make it. */
    private static int withToken(String secret, String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + secret).GET().build())
                .statusCode();
    }

    private void signIn(String username, String password) {
        console.signIn(username, password);
    }

    /** The figures of a fan-out's progress, by their terms (read again if the page redrew them while they were read). */
    private Map<String, String> figures() {
        return console.await(Duration.ofSeconds(5)).ignoring(StaleElementReferenceException.class).until(driver -> {
            Map<String, String> figures = new LinkedHashMap<>();
            List<WebElement> terms = driver.findElements(By.cssSelector("#batch-figures dt"));
            List<WebElement> values = driver.findElements(By.cssSelector("#batch-figures dd"));
            for (int index = 0; index < terms.size(); index++) {
                figures.put(terms.get(index).getText(), values.get(index).getText());
            }
            return figures;
        });
    }

    /** The entry numbers of the audit table, top to bottom; null while it is not drawn. */
    private List<Long> auditNumbers() {
        List<WebElement> cells = browser.findElements(By.cssSelector(".results table tbody tr td:first-child"));
        try {
            return cells.isEmpty() ? null : cells.stream().map(cell -> Long.parseLong(cell.getText())).toList();
        } catch (StaleElementReferenceException e) {
            return null;
        }
    }

    /** The visible texts of a select's options. */
    private List<String> options(String name) {
        return new Select(browser.findElement(By.name(name))).getOptions().stream().map(WebElement::getText).toList();
    }

    private void open(String hash, String heading) {
        console.open(hash, heading);
    }

    private void waitForHeading(String text) {
        console.waitForHeading(text);
    }

    private List<String> navigation() {
        return console.navigation();
    }

    private List<String> buttons() {
        return browser.findElements(By.cssSelector("main button")).stream().map(WebElement::getText).toList();
    }

    private static By labelled(String label) {
        return ConsoleBrowser.labelled(label);
    }

    private WebElement labelledControl(String label) {
        return console.labelledControl(label);
    }

    private boolean imageLoaded(WebElement image) {
        Object width = ((JavascriptExecutor) browser).executeScript("return arguments[0].complete && arguments[0].naturalWidth", image);
        return width instanceof Number number && number.intValue() > 0;
    }

    private void screenshot(String name) {
        console.screenshot(name);
    }

    private List<String> browserErrors() {
        return console.browserErrors();
    }

    private List<String> apiCalls() {
        return console.apiCalls();
    }

    private List<String> forbiddenOrFailedApiCalls() {
        return console.forbiddenOrFailedApiCalls();
    }
}
