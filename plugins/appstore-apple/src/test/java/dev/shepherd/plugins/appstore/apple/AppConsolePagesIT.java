package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.shepherd.plugins.appstore.apple.AppleAppsTestbed.KEYNOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The console's app pages in a real headless Chromium against the running server with the iOS and Apps and Books
 * plugins loaded from their files: the catalog synced with its button, an app assigned to a group from its page, the
 * iPhones' install states with the store's reason for the one left without a licence, the device page's apps
 * (desired versus actual, and what the device reports), and a help-desk user who may look but not assign or sync.
 */
class AppConsolePagesIT {

    private static final String HELPDESK = "desk";
    private static final String HELPDESK_PASSWORD = "desk-password-123";

    @TempDir
    Path home;
    @TempDir
    Path profile;
    private AppleAppsTestbed testbed;
    private ConsoleBrowser console;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        testbed = AppleAppsTestbed.start(home);
        testbed.server().server().adminUsers().create(HELPDESK, HELPDESK_PASSWORD.toCharArray(), AdminRole.HELPDESK);
        console = ConsoleBrowser.open(testbed.server(), profile);
    }

    @AfterEach
    void stop() {
        if (console != null) {
            console.close();
        }
        if (testbed != null) {
            testbed.close();
        }
    }

    @Test
    void anAdminSyncsTheCatalogAssignsAnAppAndFollowsItsInstallOnEveryDevice() throws Exception {
        testbed.uploadContentToken();
        List<AppleDeviceSimulator> iphones = new ArrayList<>();
        for (String udid : List.of("C1000001-0011223344556677", "C2000002-0011223344556677", "C3000003-0011223344556677")) {
            iphones.add(testbed.enrolledIphone(udid));
        }
        testbed.group("Field iPhones", iphones);

        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/apps", "Apps");
        assertThat(console.mainText()).contains("apple-vpp");
        console.driver().findElement(By.cssSelector("button[aria-label='Sync apple-vpp now']")).click();
        console.waitForText("Synced apple-vpp: 1 app listed");
        assertThat(console.mainText()).contains("Keynote", "com.apple.Keynote", "14.0", "0 of 2 in use, 2 available");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        console.screenshot("apps-catalog");

        console.driver().findElement(By.linkText("Keynote")).click();
        console.waitForHeading("Keynote");
        assertThat(console.mainText()).contains("The app is not assigned to any group.", "No device holds a licence of this app.");
        new Select(console.labelledControl("Group")).selectByVisibleText("Field iPhones");
        new Select(console.labelledControl("Intent")).selectByValue("REQUIRED");
        console.driver().findElement(By.xpath("//button[.='Assign']")).click();
        console.waitForText("Assigned to Field iPhones as required.");

        // The iPhones install what reaches them; the page shows where each stands when asked again.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (AppleDeviceSimulator iphone : iphones) {
                iphone.acknowledgeAll();
            }
            String appId = testbed.admin("GET", "/api/v1/apps?storeId=apple-vpp", "", 200).get(0).path("id").asText();
            String states = testbed.admin("GET", "/api/v1/apps/" + appId + "/devices", "", 200).toString();
            return states.split("\"INSTALLED\"", -1).length == 3 && states.contains("\"FAILED\"");
        });
        console.driver().findElement(By.xpath("//button[.='Refresh']")).click();
        console.waitForText("Device states refreshed.");
        List<String> states = console.driver().findElements(By.cssSelector("section[aria-labelledby='devices-title'] tbody tr")).stream()
                .map(WebElement::getText).toList();
        assertThat(states).hasSize(3);
        assertThat(states).filteredOn(row -> row.contains("Installed") && row.contains("14.0")).hasSize(2);
        assertThat(states).filteredOn(row -> row.contains("Failed")).singleElement().asString()
                .contains("No licences of app " + KEYNOTE + " are left");
        assertThat(console.driver().findElement(By.cssSelector("section[aria-labelledby='licences-title']")).getText())
                .as("the licences the server assigned, two rows under the caption").contains("Licences the server assigned, per device")
                .contains(testbed.deviceId(iphones.stream().filter(iphone -> iphone.installedApps().containsKey("com.apple.Keynote"))
                        .findFirst().orElseThrow()));
        assertThat(console.mainText()).contains("Field iPhones", "Required");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        console.screenshot("app-page");

        // The device page's Apps tab: the app desired and installed, and every app the iPhone reports.
        AppleDeviceSimulator installed = iphones.stream().filter(iphone -> iphone.installedApps().containsKey("com.apple.Keynote"))
                .findFirst().orElseThrow();
        console.open("#/devices/" + testbed.deviceId(installed) + "/apps");
        console.waitForText("Apps: desired versus actual");
        WebElement apps = console.driver().findElement(By.cssSelector("section[aria-labelledby='apps-title']"));
        assertThat(apps.getText()).contains("Keynote", "Required", "Installed", "14.0", "com.apple.Keynote",
                "com.tinyspeck.chatlyio", "24.05.10");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        assertThat(console.forbiddenOrFailedApiCalls()).isEmpty();
        assertThat(console.browserErrors()).isEmpty();
    }

    @Test
    void helpDeskSeesTheCatalogAndAnAppsDevicesButNeitherSyncsNorAssigns() throws Exception {
        testbed.uploadContentToken();
        testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);

        console.signIn(HELPDESK, HELPDESK_PASSWORD);
        assertThat(console.navigation()).contains("Apps");
        console.open("#/apps", "Apps");
        assertThat(console.mainText()).contains("Keynote", "apple-vpp");
        assertThat(console.driver().findElements(By.xpath("//button[.='Sync now']"))).isEmpty();
        console.driver().findElement(By.linkText("Keynote")).click();
        console.waitForHeading("Keynote");
        assertThat(console.mainText()).contains("An operator can assign it to a group.");
        assertThat(console.driver().findElements(By.xpath("//button[.='Assign' or .='Unassign']"))).isEmpty();
        assertThat(console.forbiddenOrFailedApiCalls()).as("no request the role may not make").isEmpty();
    }
}
