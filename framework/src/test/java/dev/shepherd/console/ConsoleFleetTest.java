package dev.shepherd.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.ConsoleStage;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's fleet tools in a real headless Chromium against a real server: the device list's substring search,
 * sorting, saved view, CSV export (the same bytes the API exports for the view), bulk actions on selected rows, the
 * typed confirmation before erasing two devices, a group filled by pasted serial numbers, and the header's search.
 */
class ConsoleFleetTest {

    @RegisterExtension
    static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
    private static TestServer server;
    private static Kernel kernel;
    private static ConsoleBrowser console;
    private static WebDriver browser;
    private static WebDriverWait wait;
    private static List<DeviceId> devices;

    @BeforeAll
    static void start() {
        server = stage.server();
        kernel = server.server().kernel();
        devices = new ArrayList<>();
        String[][] fleet = {
                {"Dock scanner 1", "WH-DOCK-0001", "iPhone15,2"},
                {"Dock scanner 2", "WH-DOCK-0002", "iPhone15,2"},
                {"Front desk iPad", "FD-IPAD-0003", "iPad13,18"},
                {"Spare iPad", "SP-IPAD-0004", "iPad13,18"}};
        for (String[] device : fleet) {
            devices.add(kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.IOS,
                    EnrollmentMethod.MANUAL, Map.of("udid", "UDID-" + device[1]), device[1], device[2], "17.5", device[0])).device().id());
        }
        kernel.groups().create(Actor.admin("seed"), "Stock take", "", Optional.empty());
    }

    @BeforeEach
    void openBrowser() {
        console = stage.console();
        browser = console.driver();
        wait = console.await();
        // The list is drawn again after each change: an element read while it was replaced is read again.
        wait.ignoring(StaleElementReferenceException.class);
    }

    @Test
    void anAdminSearchesSortsSavesExportsAndActsOnSelectedDevicesAndErasesTwoOnlyAfterTypingTheCount() throws Exception {
        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        console.open("#/devices", "Devices");

        // A substring from the middle of the serial numbers, not their start.
        browser.findElement(By.name("q")).sendKeys("DOCK-000");
        wait.until(driver -> rowNames().equals(List.of("Dock scanner 1", "Dock scanner 2")));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("main p.count"), "2 devices match."));

        // Sorted by the server: serial numbers the other way round.
        browser.findElement(By.xpath("//th/button[starts-with(., 'Serial')]")).click();
        wait.until(driver -> "ascending".equals(header("Serial").getDomAttribute("aria-sort")));
        browser.findElement(By.xpath("//th/button[starts-with(., 'Serial')]")).click();
        wait.until(driver -> "descending".equals(header("Serial").getDomAttribute("aria-sort")));
        wait.until(driver -> rowNames().equals(List.of("Dock scanner 2", "Dock scanner 1")));

        // The view is saved, and comes back from the saved views after the search is cleared.
        browser.findElement(By.xpath("//summary[.='Save this view']")).click();
        console.labelledControl("View name").sendKeys("Dock scanners");
        browser.findElement(By.xpath("//button[.='Save view']")).click();
        console.waitForText("Saved as “Dock scanners”.");
        console.open("#/devices", "Devices");
        wait.until(driver -> rowNames().size() == 4);
        new Select(browser.findElement(By.name("view"))).selectByVisibleText("Dock scanners");
        wait.until(driver -> rowNames().equals(List.of("Dock scanner 2", "Dock scanner 1")));
        assertThat(browser.findElement(By.name("q")).getDomProperty("value")).isEqualTo("DOCK-000");

        // The console's CSV export of this view is, byte for byte, what the API exports for it.
        String export = browser.findElement(By.cssSelector("a.export-csv")).getDomAttribute("href");
        assertThat(export).startsWith("/api/v1/devices/export?").contains("q=DOCK-000", "sort=serial_desc", "format=csv");
        // Handed over as JSON, so that the line ends (CRLF, as RFC 4180 has them) arrive as they were downloaded.
        String downloaded = new ObjectMapper().readValue((String) ((JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + " fetch(arguments[0], { credentials: 'same-origin' }).then(r => r.text()).then(text => done(JSON.stringify(text)));", export),
                String.class);
        HttpResponse<String> fromApi = server.send(HttpRequest.newBuilder(server.uri(export))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).GET().build());
        assertThat(downloaded).isEqualTo(fromApi.body());
        assertThat(downloaded.split("\r\n")).hasSize(3);
        assertThat(downloaded.split("\r\n")[1]).contains("Dock scanner 2", "WH-DOCK-0002");

        // A bulk action on the two selected devices: tagged, each device's outcome counted.
        browser.findElement(By.cssSelector("input[aria-label='Select every device shown']")).click();
        wait.until(ExpectedConditions.textToBe(By.id("bulk-title"), "2 devices selected"));
        new Select(browser.findElement(By.name("bulk-action"))).selectByValue("tag");
        browser.findElement(By.name("bulk-tag")).sendKeys("stock-take");
        browser.findElement(By.xpath("//button[.='Apply to 2 devices']")).click();
        console.waitForText("Tag “stock-take” added: 2 of 2 devices done.");
        assertThat(kernel.devices().get(devices.get(0)).orElseThrow().device().tags()).contains("stock-take");
        assertThat(kernel.devices().get(devices.get(1)).orElseThrow().device().tags()).contains("stock-take");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();

        // Erasing two devices asks for the count typed out; until then the button does nothing, and cancelling sends nothing.
        selectRows("Dock scanner 1", "Dock scanner 2");
        new Select(browser.findElement(By.name("bulk-action"))).selectByValue("command");
        new Select(browser.findElement(By.name("bulk-command"))).selectByVisibleText("Erase");
        browser.findElement(By.xpath("//button[.='Apply to 2 devices']")).click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")));
        assertThat(dialog.getText()).contains("Erase 2 devices?", "Type the number of devices, 2, to confirm");
        WebElement erase = dialog.findElement(By.xpath(".//button[.='Erase 2 devices']"));
        assertThat(erase.isEnabled()).isFalse();
        assertThat(browser.switchTo().activeElement().getText()).as("focus starts on Cancel").isEqualTo("Cancel");
        WebElement typed = dialog.findElement(By.name("typed-confirmation"));
        typed.sendKeys("3");
        assertThat(erase.isEnabled()).as("the wrong count").isFalse();
        typed.sendKeys(Keys.BACK_SPACE, "2");
        assertThat(erase.isEnabled()).isTrue();
        console.screenshot("fleet-erase-typed-confirmation");
        assertThat(console.accessibilityViolations("moderate")).as("the dialog meets WCAG 2.1 A/AA").isEmpty();
        erase.click();
        console.waitForText("Erase sent: 2 of 2 devices done.");
        assertThat(kernel.devices().get(devices.get(0)).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(kernel.devices().get(devices.get(1)).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(kernel.devices().get(devices.get(2)).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);

        // A group filled by pasted serial numbers; the one no device has is named back; members show their state.
        String group = kernel.groups().list().stream().filter(candidate -> candidate.name().equals("Stock take")).findFirst().orElseThrow().id();
        console.open("#/groups/" + group, "Stock take");
        console.labelledControl("Serial numbers").sendKeys("FD-IPAD-0003\nSP-IPAD-0004, NO-SUCH-SERIAL");
        browser.findElement(By.xpath("//button[.='Add these devices']")).click();
        console.waitForText("2 devices added to the group.");
        assertThat(browser.findElement(By.cssSelector(".not-found")).getText()).isEqualTo("NO-SUCH-SERIAL");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.xpath("//h2[@id='members-title']/.."), "Spare iPad"));
        assertThat(browser.findElement(By.xpath("//h2[@id='members-title']/..")).getText()).contains("Compliance", "Enrolled");
        assertThat(kernel.groups().memberIds(group)).containsExactlyInAnyOrder(devices.get(2), devices.get(3));

        // The header's search finds a device by a piece of its serial number, from the keyboard.
        WebElement search = browser.findElement(By.id("global-search"));
        search.sendKeys("IPAD-000");
        wait.until(ExpectedConditions.attributeToBe(search, "aria-expanded", "true"));
        List<String> options = browser.findElements(By.cssSelector("#global-search-results [role=option]")).stream().map(WebElement::getText).toList();
        assertThat(options).hasSize(2).allSatisfy(option -> assertThat(option).startsWith("DEVICE").contains("Enrolled"));
        search.sendKeys(Keys.ARROW_DOWN, Keys.ARROW_DOWN);
        String active = search.getDomAttribute("aria-activedescendant");
        assertThat(browser.findElement(By.id(active)).getDomAttribute("aria-selected")).isEqualTo("true");
        assertThat(browser.findElement(By.id(active)).getText()).contains("SP-IPAD-0004");
        console.screenshot("fleet-global-search");
        search.sendKeys(Keys.ENTER);
        console.waitForHeading("Spare iPad");
        assertThat(browser.getCurrentUrl()).endsWith("#/devices/" + devices.get(3));

        assertThat(console.browserErrors()).as("console errors, such as Content-Security-Policy violations").isEmpty();
        assertThat(console.forbiddenOrFailedApiCalls()).isEmpty();
    }

    private static List<String> rowNames() {
        try {
            return browser.findElements(By.cssSelector(".results table tbody tr td:nth-child(2)")).stream().map(WebElement::getText).toList();
        } catch (StaleElementReferenceException e) {
            return List.of();
        }
    }

    private static WebElement header(String label) {
        return browser.findElement(By.xpath("//th[button[starts-with(., '" + label + "')]]"));
    }

    private static void selectRows(String... names) {
        for (String name : names) {
            WebElement box = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("input[aria-label='Select " + name + "']")));
            if (!box.isSelected()) {
                box.click();
            }
        }
        wait.until(ExpectedConditions.textToBe(By.id("bulk-title"), names.length + " devices selected"));
    }
}
