package dev.shepherd.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.app.AppIntent;
import dev.shepherd.audit.Actor;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.compliance.Remediation;
import dev.shepherd.compliance.RemediationStep;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.ConsoleStage;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The device page answers "why", in a real headless Chromium against a real server: one iPad on an old iOS fails a
 * compliance rule, is in a static group and in a smart group that matched its OS version, gets a Wi-Fi network from
 * two conflicting policies (and passcode rules combined from both), and has an app assigned from a store plugin
 * loaded from its file. Each tab shows its answers; the lock dialog sends a message and a phone number; the user is
 * picked from the directory; a tab's address opens that tab.
 */
class ConsoleDevicePageTest {

    private static final Actor SEED = Actor.admin("seed");

    @RegisterExtension
    static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
    @TempDir
    static Path build;
    private static TestServer server;
    private static Kernel kernel;
    private static DeviceId device;
    private static String person;

    @BeforeAll
    static void start() throws Exception {
        server = stage.server();
        kernel = server.server().kernel();
        ObjectMapper json = new ObjectMapper();
        Files.copy(storePlugin().buildZip(build, "desk-store.zip"), server.pluginsDir().resolve("desk-store.zip"));

        device = kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.MANUAL,
                Map.of("udid", "DESK-UDID-1"), "DESK-SERIAL-1", "iPad13,18", "16.0", "Front desk iPad")).device().id();
        kernel.devices().recordInventory(Actor.plugin("simulator"), device,
                Map.of("os.version", "16.0", "battery.level", "0.82", "storage.encrypted", "true", "wifi.mac", "aa:bb:cc:dd:ee:ff"));
        person = kernel.directory().create(SEED, DirectoryService.LOCAL, "dana", "Dana Scully", "dana@example.com").id();

        String frontDesk = kernel.groups().create(SEED, "Front desk", "Reception iPads", Optional.empty()).id();
        kernel.groups().addMembers(SEED, frontDesk, List.of(device));
        String oldIos = kernel.groups().create(SEED, "Old iOS", "", Optional.of(kernel.groups().codec().read(json.readTree(
                "{\"attribute\": \"osVersion\", \"op\": \"lt\", \"value\": \"17\"}")))).id();
        String baseline = kernel.policies().create(SEED, "Desk baseline", "", List.of(
                new SettingInput("passcode", json.readTree("{\"required\": true, \"minLength\": 6}")),
                new SettingInput("wifi", json.readTree("{\"ssid\": \"Lobby\", \"security\": \"WPA2_PERSONAL\", \"password\": \"desk-wifi-secret\"}"))))
                .id();
        String strict = kernel.policies().create(SEED, "Old iOS lockdown", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 10}")),
                new SettingInput("wifi", json.readTree("{\"ssid\": \"Lobby\", \"security\": \"WPA2_PERSONAL\", \"password\": \"lockdown-wifi-secret\"}"))))
                .id();
        kernel.policies().assign(SEED, baseline, frontDesk, 10);
        kernel.policies().assign(SEED, strict, oldIos, 20);
        // The server's background work reconciles the policies and judges compliance; the test waits for it.
        await().atMost(Duration.ofSeconds(30)).until(() -> kernel.policies().settingStates(device).size() == 2);
        String wifi = kernel.policies().effectiveSettings(device).stream().filter(setting -> setting.setting().type().equals("wifi"))
                .findFirst().orElseThrow().setting().key();
        kernel.policies().reportActual(device, wifi, SettingState.FAILED, Optional.of("The profile's Wi-Fi password was refused"));

        kernel.compliance().create(SEED, "iOS 17.4 or later", ComplianceCheck.MIN_OS_VERSION, json.readTree("{\"version\": \"17.4\"}"),
                Optional.empty(), 0, List.of(new RemediationStep(0, Remediation.NOTIFY), new RemediationStep(48, Remediation.LOCK)));
        await().atMost(Duration.ofSeconds(30)).until(() -> kernel.compliance().report(device).orElseThrow().failing().stream()
                .anyMatch(failure -> failure.remediation().get(0).takenAt().isPresent()));

        // An app assigned to the static group, from the store plugin once it is loaded from its file.
        await().atMost(Duration.ofSeconds(40)).until(() -> server.getAsAdmin("/api/v1/app-stores").body().contains("deskstore"));
        String app = kernel.apps().addFromStore(SEED, "deskstore", "visitor-log").orElseThrow().id();
        kernel.apps().assign(SEED, app, frontDesk, AppIntent.REQUIRED, Optional.empty());
        await().atMost(Duration.ofSeconds(30)).until(() -> !kernel.apps().appsOf(device).isEmpty());
    }

    @Test
    void everyTabOfTheDevicePageAnswersWhyAndTheActionsSendWhatTheAdminChose() throws Exception {
        try (ConsoleBrowser console = stage.console()) {
            WebDriver browser = console.driver();
            WebDriverWait wait = console.await();
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            String page = "#/devices/" + device;

            // Overview: what the device is, the groups it is in and why, its threat state.
            console.open(page, "Front desk iPad");
            assertThat(selectedTab(browser)).isEqualTo("Overview");
            By groups = By.xpath("//h2[.='Groups and why']/ancestor::section");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(groups, "Old iOS"));
            String why = browser.findElement(groups).getText();
            assertThat(why).contains("Front desk", "Static", "Added to the group on", "Smart", "Its rule matches this device",
                    "osVersion is below 17 — this device: 16.0");
            assertThat(browser.findElement(By.xpath("//h2[.='Threat defense']/ancestor::section")).getText()).contains("Effective level");
            assertThat(browser.findElement(By.cssSelector(".facts")).getText()).contains("Non compliant");
            assertThat(console.apiCalls()).as("the overview loads only its own data")
                    .doesNotContain("GET /api/v1/devices/" + device + "/policy-settings", "GET /api/v1/devices/" + device + "/activity",
                            "GET /api/v1/devices/" + device + "/commands");
            console.screenshot("device-overview");
            assertThat(console.accessibilityViolations("moderate")).as("overview").isEmpty();

            // Compliance: the failing rule in its words, the device's value, and the remediation step it is in.
            tab(browser, "Compliance").click();
            wait.until(driver -> driver.getCurrentUrl().endsWith(page + "/compliance"));
            By compliance = panel("Compliance");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(compliance, "iOS 17.4 or later"));
            assertThat(browser.findElement(compliance).getText()).contains("Access to corporate resources: refused",
                    "Minimum OS version: 17.4", "OS version 16.0 is below 17.4", "Grace period ended", "Next remediation step",
                    "Lock the device, due", "Notify — taken");
            assertThat(console.accessibilityViolations("moderate")).as("compliance").isEmpty();

            // Policies, reached with the arrow key as the ARIA tabs pattern has it: every setting with its form's labels,
            // the policies it comes from and which won, its state on the device, and no secret.
            tab(browser, "Compliance").sendKeys(Keys.ARROW_RIGHT);
            wait.until(driver -> "Policies".equals(selectedTab(driver)));
            assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Policies");
            By policies = panel("Policies");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(policies, "Wi-Fi network"));
            WebElement wifi = browser.findElement(By.xpath("//article[.//h3[starts-with(., 'Wi-Fi network')]]"));
            assertThat(wifi.getText()).contains("Failed", "The device says: The profile's Wi-Fi password was refused", "Network name (SSID)",
                    "Lobby", "Password", "•••••• (secret, not shown)", "the highest priority’s value is taken whole");
            assertThat(row(wifi, "Old iOS lockdown")).contains("20", "Won");
            assertThat(row(wifi, "Desk baseline")).contains("10", "Overridden");
            WebElement passcode = browser.findElement(By.xpath("//article[.//h3[starts-with(., 'Passcode')]]"));
            assertThat(passcode.findElement(By.xpath(".//dl[1]/dt[.='Minimum length']/following-sibling::dd[1]")).getText()).isEqualTo("10");
            assertThat(row(passcode, "Old iOS lockdown")).contains("Gives Minimum length");
            assertThat(row(passcode, "Desk baseline")).contains("Gives Require a passcode");
            assertThat(browser.getPageSource()).doesNotContain("desk-wifi-secret", "lockdown-wifi-secret");
            console.screenshot("device-policies");
            assertThat(console.accessibilityViolations("moderate")).as("policies").isEmpty();

            // Apps: the assignment and its state on the device.
            tab(browser, "Apps").click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(panel("Apps"), "Visitor Log"));
            assertThat(browser.findElement(panel("Apps")).getText()).contains("Required");

            // Inventory: every key, searchable.
            tab(browser, "Inventory").click();
            By inventory = panel("Inventory");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(inventory, "wifi.mac"));
            console.labelledControl("Search inventory").sendKeys("battery");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(inventory, "1 of 4 keys match"));
            assertThat(browser.findElement(inventory).getText()).contains("battery.level", "0.82").doesNotContain("wifi.mac");

            // Activity: its events and the audit entries about it.
            tab(browser, "Activity").click();
            By activity = panel("Activity");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(activity, "Event: device.enrolled"));
            assertThat(browser.findElement(activity).getText()).contains("Event: compliance.notify", "Audit: device.enroll");
            assertThat(console.accessibilityViolations("moderate")).as("activity").isEmpty();

            // The lock dialog asks what the lock screen shows; the Commands tab then shows the command with them.
            browser.findElement(By.xpath("//button[.='Lock']")).click();
            WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
            assertThat(console.accessibilityViolations("moderate")).as("lock dialog").isEmpty();
            console.labelledControl("Message on the lock screen").sendKeys("This iPad belongs to the front desk");
            console.labelledControl("Phone number on the lock screen").sendKeys("+44 20 7946 0000");
            console.screenshot("device-lock-dialog");
            dialog.findElement(By.xpath(".//button[.='Lock device']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main .feedback"), "Lock sent."));
            wait.until(driver -> "Commands".equals(selectedTab(driver)));
            wait.until(ExpectedConditions.textToBePresentInElementLocated(panel("Commands"), "This iPad belongs to the front desk"));
            assertThat(browser.findElement(panel("Commands")).getText()).contains("Lock", "+44 20 7946 0000");
            assertThat(commandsOf(CommandType.LOCK)).singleElement().satisfies(lock -> assertThat(lock.command().parameters())
                    .containsExactlyInAnyOrderEntriesOf(Map.of("message", "This iPad belongs to the front desk", "phoneNumber", "+44 20 7946 0000")));

            // The user is picked from the directory with the keyboard.
            tab(browser, "Overview").click();
            browser.findElement(By.xpath("//summary[.='Edit details']")).click();
            WebElement user = console.labelledControl("User");
            assertThat(user.getDomAttribute("role")).isEqualTo("combobox");
            user.sendKeys("dan");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//li[@role='option'][starts-with(., 'Dana Scully (dana')]")));
            assertThat(user.getDomAttribute("aria-expanded")).isEqualTo("true");
            user.sendKeys(Keys.ARROW_DOWN);
            assertThat(user.getDomAttribute("aria-activedescendant")).isNotBlank();
            user.sendKeys(Keys.ENTER);
            assertThat(user.getDomProperty("value")).isEqualTo("Dana Scully (dana, dana@example.com)");
            browser.findElement(By.xpath("//button[.='Save details']")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".facts"), "Dana Scully (dana)"));
            assertThat(kernel.devices().get(device).orElseThrow().device().userId()).contains(person);

            // A tab's address opens that tab, loading only its data.
            int before = console.apiCalls().size();
            console.open(page + "/inventory", "Front desk iPad");
            assertThat(selectedTab(browser)).isEqualTo("Inventory");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(panel("Inventory"), "storage.encrypted"));
            List<String> calls = console.apiCalls();
            assertThat(calls.subList(before, calls.size())).contains("GET /api/v1/devices/" + device + "/inventory")
                    .doesNotContain("GET /api/v1/devices/" + device + "/policy-settings", "GET /api/v1/devices/" + device + "/compliance/report",
                            "GET /api/v1/devices/" + device + "/activity");
            assertThat(browser.findElements(By.cssSelector("[role=tabpanel]:not([hidden])"))).hasSize(1);

            assertThat(console.browserErrors()).as("console errors, such as Content-Security-Policy violations").isEmpty();
            assertThat(console.forbiddenOrFailedApiCalls()).isEmpty();
        }
    }

    private static WebElement tab(WebDriver browser, String name) {
        return browser.findElement(By.xpath("//*[@role='tab'][.='" + name + "']"));
    }

    private static String selectedTab(WebDriver browser) {
        return browser.findElement(By.cssSelector("[role=tab][aria-selected=true]")).getText();
    }

    /** The panel of a tab, found as assistive technology finds it: by the tab's aria-controls. */
    private static By panel(String tabName) {
        return By.xpath("//*[@role='tabpanel'][@id=//*[@role='tab'][.='" + tabName + "']/@aria-controls]");
    }

    /** The text of the table row naming a policy, in a setting's card. */
    private static String row(WebElement setting, String policy) {
        return setting.findElement(By.xpath(".//tr[td/a[.='" + policy + "']]")).getText();
    }

    private static List<CommandRecord> commandsOf(CommandType type) {
        return kernel.commands().history(device, Optional.empty(), 50).stream().filter(command -> command.command().type() == type).toList();
    }

    private static TestPluginBuilder storePlugin() {
        return TestPluginBuilder.plugin("desk-store", "1.0.0").source("""
                package acme.desk;

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
                public class DeskStore implements AppStoreConnector {
                    public String id() { return "deskstore"; }
                    public String displayName() { return "Desk store"; }
                    public Set<Platform> platforms() { return Set.of(Platform.IOS); }
                    public StoreHealth health() { return StoreHealth.ready(); }
                    public CatalogPage catalog(Optional<String> cursor) { return CatalogPage.last(List.of(visitors())); }
                    public List<StoreApp> search(String query, int limit) { return List.of(visitors()); }
                    public Optional<StoreApp> lookup(String storeAppId) {
                        return storeAppId.equals("visitor-log") ? Optional.of(visitors()) : Optional.empty();
                    }
                    public AppInstallation installation(StoreApp app, Device device) {
                        return AppInstallation.fromStore(app.identifier(), app.storeAppId());
                    }

                    private StoreApp visitors() {
                        return new StoreApp("deskstore", "visitor-log", Platform.IOS, "com.example.visitors", "Visitor Log", "Example Desk Inc.",
                                Optional.of("2.3"), Optional.empty(), OptionalLong.empty(), Optional.empty(), false, Optional.empty());
                    }
                }
                """);
    }
}
