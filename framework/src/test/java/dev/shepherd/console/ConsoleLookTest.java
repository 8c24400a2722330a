package dev.shepherd.console;

import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.LookOnly;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The console's look and behaviour that every page shares, in a real headless Chromium against a real server: the
 * dark theme, phone-wide screens, the sidebar, and how forms show what is wrong. One server and one browser for the
 * class; each test sets the window and the theme it needs.
 */
@LookOnly
class ConsoleLookTest {

    private static final Dimension DESKTOP = new Dimension(1440, 900);
    private static final Dimension PHONE = new Dimension(390, 844);

    @TempDir
    static Path home;
    private static SampleConsole stage;
    private static TestServer server;
    private static ConsoleBrowser console;
    private static WebDriver browser;
    private static WebDriverWait wait;

    @BeforeAll
    static void start() {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        stage = SampleConsole.start(home);
        server = stage.server();
        console = stage.console();
        browser = console.driver();
        wait = console.await();
        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @Test
    void theDarkThemeFollowsTheSystemAPhoneShowsEveryPageWithoutSidewaysScrollingAndTheSidebarOpensFromTheKeyboard() {
        browser.manage().window().setSize(DESKTOP);
        theme("light");
        console.open("#/devices", "Devices");
        Map<String, String> light = colours();
        assertThat(browser.findElement(By.id("sidebar")).isDisplayed()).as("a wide screen shows the sidebar").isTrue();
        assertThat(browser.findElement(By.id("nav-toggle")).isDisplayed()).as("and no menu button").isFalse();

        // The system asks for dark: the same page switches its colours, and its text still meets AA.
        theme("dark");
        Map<String, String> dark = colours();
        assertThat(dark.get("page")).isNotEqualTo(light.get("page"));
        assertThat(dark.get("text")).isNotEqualTo(light.get("text"));
        assertThat(luminance(dark.get("page"))).as("a dark background").isLessThan(0.1);
        assertThat(luminance(dark.get("text"))).as("light text").isGreaterThan(0.5);
        assertThat(luminance(light.get("page"))).as("the light theme's background").isGreaterThan(0.8);
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA in the dark theme").isEmpty();
        theme("light");

        // A phone: no page scrolls sideways, and nothing outside a table's wrapper sticks out or overflows its box.
        browser.manage().window().setSize(PHONE);
        Map<String, List<String>> overflowing = new LinkedHashMap<>();
        for (String page : pages()) {
            console.open(page);
            List<String> found = overflowing();
            if (!found.isEmpty()) {
                overflowing.put(page, found);
            }
        }
        assertThat(overflowing).as("elements wider than a 390 px screen, by page").isEmpty();

        // The sidebar is closed on a phone; the menu button opens it from the keyboard and Escape closes it again.
        console.open("#/", "Dashboard");
        WebElement toggle = browser.findElement(By.id("nav-toggle"));
        WebElement sidebar = browser.findElement(By.id("sidebar"));
        assertThat(sidebar.isDisplayed()).isFalse();
        assertThat(toggle.getDomAttribute("aria-expanded")).isEqualTo("false");
        browser.findElement(By.cssSelector("main h1")).click();
        for (int presses = 0; presses < 5 && !toggle.equals(focused()); presses++) {
            new Actions(browser).keyDown(Keys.SHIFT).sendKeys(Keys.TAB).keyUp(Keys.SHIFT).perform();
        }
        assertThat(focused()).as("the menu button is reached with the keyboard").isEqualTo(toggle);
        new Actions(browser).sendKeys(Keys.ENTER).perform();
        wait.until(ExpectedConditions.visibilityOf(sidebar));
        assertThat(toggle.getDomAttribute("aria-expanded")).isEqualTo("true");
        assertThat(focused().getText()).as("focus on the first entry").isEqualTo("Dashboard");
        viewportShot("sidebar-open-390-light");
        new Actions(browser).sendKeys(Keys.ESCAPE).perform();
        wait.until(ExpectedConditions.invisibilityOf(sidebar));
        assertThat(focused()).as("Escape closes it and returns to the button").isEqualTo(toggle);
        assertThat(toggle.getDomAttribute("aria-expanded")).isEqualTo("false");

        // Opened again, an entry chosen with Tab and Enter opens its page and closes the sidebar.
        new Actions(browser).sendKeys(Keys.SPACE).perform();
        wait.until(ExpectedConditions.visibilityOf(sidebar));
        WebElement devices = browser.findElement(By.cssSelector("#nav a[href='#/devices']"));
        for (int presses = 0; presses < 5 && !devices.equals(focused()); presses++) {
            new Actions(browser).sendKeys(Keys.TAB).perform();
        }
        assertThat(focused()).isEqualTo(devices);
        new Actions(browser).sendKeys(Keys.ENTER).perform();
        console.waitForHeading("Devices");
        assertThat(sidebar.isDisplayed()).isFalse();
        viewportShot("sidebar-closed-390-light");
        browser.manage().window().setSize(DESKTOP);
    }

    @Test
    void aFormShowsTheServersRefusalAtItsFieldInItsOwnWordsAndSaysBeforeSendingWhenAFieldBecomesRequired() {
        browser.manage().window().setSize(DESKTOP);
        theme("light");

        // The server refuses a common password: the refusal names the body's field, and the form shows it at the
        // Password field, in the form's words (its label, not the API's name), marked invalid and focused.
        console.open("#/admins", "Admins");
        console.labelledControl("Username").sendKeys("lena");
        console.labelledControl("Password").sendKeys("password1234");
        browser.findElement(By.xpath("//button[.='Create admin']")).click();
        WebElement password = console.labelledControl("Password");
        wait.until(driver -> "true".equals(password.getDomAttribute("aria-invalid")));
        WebElement note = passwordNote(password);
        assertThat(note.getText()).startsWith("Password: this password is one of the most commonly used ones");
        assertThat(focused()).as("focus on the field at fault").isEqualTo(password);
        assertThat(server.server().adminUsers().find("lena")).isEmpty();
        assertThat(console.accessibilityViolations("moderate")).isEmpty();
        viewportShot("form-refusal-1440-light");

        // Typing again clears the mark; a good password is taken.
        password.clear();
        password.sendKeys("lantern-orchard-47");
        assertThat(password.getDomAttribute("aria-invalid")).isNull();
        browser.findElement(By.xpath("//button[.='Create admin']")).click();
        console.waitForText("lena can now sign in");
        assertThat(browser.findElements(By.cssSelector("main .field-error"))).isEmpty();

        // The browser's own checks read the same: a link valid for too long is shown at its field, without a bubble.
        console.open("#/enrollment", "Enrollment");
        console.labelledControl("Name").sendKeys("Loan iPads");
        WebElement hours = console.labelledControl("Valid for (hours)");
        hours.clear();
        hours.sendKeys("9000");
        browser.findElement(By.xpath("//button[.='Create link']")).click();
        wait.until(driver -> "true".equals(hours.getDomAttribute("aria-invalid")));
        assertThat(passwordNote(hours).getText()).isEqualTo("Valid for (hours) must be at most 8784.");
        assertThat(focused()).isEqualTo(hours);

        // A Wi-Fi network's password becomes required when the security chosen needs one, and says so before sending.
        console.open("#/policies/new", "New policy");
        console.labelledControl("Name").sendKeys("Warehouse Wi-Fi");
        new Select(console.labelledControl("Setting type")).selectByVisibleText("Wi-Fi network");
        browser.findElement(By.xpath("//button[.='Add setting']")).click();
        WebElement wifiPassword = wait.until(ExpectedConditions.visibilityOfElementLocated(ConsoleBrowser.labelled("Password")));
        assertThat(wifiPassword.getDomAttribute("aria-required")).isNull();
        assertThat(describedBy(wifiPassword)).contains("Required when “Security” is WPA2_PERSONAL or WPA3_PERSONAL.");
        console.labelledControl("Network name (SSID)").sendKeys("Warehouse");
        new Select(console.labelledControl("Security")).selectByVisibleText("WPA2_PERSONAL");
        assertThat(wifiPassword.getDomAttribute("aria-required")).isEqualTo("true");
        assertThat(browser.findElement(By.xpath("//label[@for='" + wifiPassword.getDomAttribute("id") + "']")).getText()).endsWith("*");
        new Select(console.labelledControl("Security")).selectByVisibleText("NONE");
        assertThat(wifiPassword.getDomAttribute("aria-required")).isNull();
        new Select(console.labelledControl("Security")).selectByVisibleText("WPA3_PERSONAL");
        int policiesBefore = server.server().kernel().policies().list().size();
        browser.findElement(By.xpath("//button[.='Create policy']")).click();
        wait.until(driver -> "true".equals(wifiPassword.getDomAttribute("aria-invalid")));
        assertThat(passwordNote(wifiPassword).getText()).isEqualTo("Fill in “Password”.");
        assertThat(focused()).isEqualTo(wifiPassword);
        assertThat(server.server().kernel().policies().list()).as("nothing was sent").hasSize(policiesBefore);
        viewportShot("form-required-when-1440-light");

        // A certificate setting that does not exist is refused by the server only: shown at that setting's field.
        new Select(console.labelledControl("Security")).selectByVisibleText("WPA2_ENTERPRISE");
        new Select(console.labelledControl("EAP method")).selectByVisibleText("TLS");
        WebElement certificate = console.labelledControl("Client certificate setting (its name)");
        certificate.sendKeys("no-such-identity");
        browser.findElement(By.xpath("//button[.='Create policy']")).click();
        wait.until(driver -> "true".equals(certificate.getDomAttribute("aria-invalid")));
        assertThat(passwordNote(certificate).getText())
                .isEqualTo("Client certificate setting (its name): no certificate setting is named \"no-such-identity\" in this or any other policy.");
        assertThat(focused()).isEqualTo(certificate);
        assertThat(wifiPassword.getDomAttribute("aria-invalid")).as("the earlier mark is gone").isNull();
        assertThat(console.accessibilityViolations("moderate")).isEmpty();
        assertThat(console.browserErrors()).as("no script error (the refusals' 400s are logged as failed loads)")
                .allMatch(error -> error.contains("the server responded with a status of 400"));
    }

    private static void theme(String scheme) {
        stage.theme(scheme);
    }

    /** The page's background and text colours, and the main area's. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> colours() {
        return (Map<String, String>) ((JavascriptExecutor) browser).executeScript("""
                const root = getComputedStyle(document.documentElement);
                const main = getComputedStyle(document.querySelector('main'));
                return { page: root.backgroundColor, text: main.color };
                """);
    }

    /** The relative luminance of an rgb() colour (WCAG's formula). */
    private static double luminance(String rgb) {
        String[] parts = rgb.replaceAll("[^0-9,.]", "").split(",");
        double[] linear = new double[3];
        for (int index = 0; index < 3; index++) {
            double channel = Double.parseDouble(parts[index]) / 255;
            linear[index] = channel <= 0.03928 ? channel / 12.92 : Math.pow((channel + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    }

    /** Every page: the sidebar's (as this admin sees them, so pages added later are covered) and the sample's detail pages. */
    private static List<String> pages() {
        browser.manage().window().setSize(DESKTOP);
        console.open("#/", "Dashboard");
        List<String> pages = new ArrayList<>();
        for (WebElement link : browser.findElements(By.cssSelector("#sidebar a"))) {
            pages.add(link.getDomAttribute("href"));
        }
        pages.addAll(stage.sample().detailPages());
        browser.manage().window().setSize(PHONE);
        return pages;
    }

    /** What is wider than the screen: the page itself, elements that stick out of it, boxes whose content overflows them. */
    @SuppressWarnings("unchecked")
    private static List<String> overflowing() {
        return (List<String>) ((JavascriptExecutor) browser).executeScript("""
                const width = document.documentElement.clientWidth;
                const found = [];
                const name = element => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
                  + (element.className && typeof element.className === 'string' ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
                if (document.documentElement.scrollWidth > width) found.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
                for (const element of document.querySelectorAll('body *')) {
                  if (element.closest('.table-wrap, .visually-hidden, .skip-link, svg')) continue;
                  const box = element.getBoundingClientRect();
                  if (box.width === 0 && box.height === 0) continue;
                  const style = getComputedStyle(element);
                  if (box.right > width + 1) found.push(name(element) + ' ends at ' + Math.round(box.right) + ' px');
                  else if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1 && style.overflowX === 'visible'
                           && !['INPUT', 'SELECT', 'TEXTAREA'].includes(element.tagName)) {
                    found.push(name(element) + ' holds ' + element.scrollWidth + ' px in ' + element.clientWidth + ' px');
                  }
                }
                return found.slice(0, 8);
                """);
    }

    /** Saves what the window shows as target/console-screenshots/{name}.png (for the documentation). */
    private static void viewportShot(String name) {
        stage.screenshot(name, Map.of());
    }

    private static WebElement focused() {
        return browser.switchTo().activeElement();
    }

    /** The field message a control is described by. */
    private static WebElement passwordNote(WebElement control) {
        String ids = control.getDomAttribute("aria-describedby");
        assertThat(ids).isNotNull();
        for (String id : ids.split(" ")) {
            WebElement described = browser.findElement(By.id(id));
            if (described.getDomAttribute("class").contains("field-error")) {
                return described;
            }
        }
        throw new AssertionError("no field message describes " + control.getDomAttribute("id"));
    }

    /** The texts that describe a control (aria-describedby), joined. */
    private static String describedBy(WebElement control) {
        StringBuilder text = new StringBuilder();
        for (String id : String.valueOf(control.getDomAttribute("aria-describedby")).split(" ")) {
            text.append(browser.findElement(By.id(id)).getText()).append(' ');
        }
        return text.toString();
    }
}
