package dev.shepherd.portal;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.audit.Actor;
import dev.shepherd.testing.ConsoleBrowser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.portal.PortalFixture.NOTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A device's user installs an app from the self-service portal in a real headless Chromium sized like a phone, against
 * a real server with the store plugin loaded from its file: they sign in, tap Install, the kernel queues
 * {@code INSTALL_APP} for their device, the device acknowledges it and reports the app in its inventory, and the page
 * (polling) shows it installed with its version. Screenshots go to {@code target/screenshots}.
 */
class PortalBrowserTest {

    private static final String PASSWORD = "juniper-falcon-ledger";

    @TempDir
    Path home;
    @TempDir
    Path build;
    private PortalFixture fixture;
    private ConsoleBrowser browser;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        fixture = PortalFixture.start(home, build);
        browser = ConsoleBrowser.openShared(fixture.server());
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aDeviceUserInstallsAnAvailableAppWithOneTapAndWatchesItArrive() {
        String dana = fixture.user("dana", PASSWORD);
        DeviceId phone = fixture.phoneOf(dana, "DANA-1");
        fixture.offerApps(phone);
        String notes = fixture.app(NOTES).id();
        WebDriver driver = browser.driver();
        // the page redraws an app list on each poll, so an element found a moment ago may be gone: look again
        WebDriverWait wait = (WebDriverWait) browser.await().ignoring(StaleElementReferenceException.class);
        driver.manage().window().setSize(new Dimension(390, 844));

        driver.get(fixture.server().uri("/portal").toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys("dana");
        driver.findElement(By.name("password")).sendKeys(PASSWORD);
        browser.screenshot("portal-01-sign-in");
        driver.findElement(By.cssSelector("#sign-in button[type=submit]")).click();

        By install = By.cssSelector("[data-device='" + phone + "'] [data-app='" + notes + "'] button");
        WebElement button = wait.until(ExpectedConditions.elementToBeClickable(install));
        assertThat(button.getText()).isEqualTo("Install");
        assertThat(button.getSize().getHeight()).as("a tap target").isGreaterThanOrEqualTo(48);
        assertThat(driver.findElement(By.cssSelector("meta[name=viewport]")).getDomAttribute("content")).contains("width=device-width");
        assertThat(driver.findElement(By.id("who-name")).getText()).isEqualTo("Dana");
        assertThat(driver.findElement(By.id("sign-in")).isDisplayed()).as("the sign-in form goes once signed in").isFalse();
        assertThat(browser.mainText()).contains("Field Notes", "Version 2.4", "Not installed", "Handbook", "Installed for you by your organisation");
        assertThat(browser.accessibilityViolations("serious")).isEmpty();
        browser.screenshot("portal-02-apps");
        button.click();

        List<Command> queued = new ArrayList<>();
        await().atMost(PortalFixture.WITHIN).untilAsserted(() -> {
            queued.addAll(fixture.kernel().commands().take(phone, 10));
            assertThat(queued).anyMatch(command -> command.type() == CommandType.INSTALL_APP && NOTES.equals(command.parameters().get("identifier")));
        });
        Command installNotes = queued.stream().filter(command -> NOTES.equals(command.parameters().get("identifier"))).findFirst().orElseThrow();
        By state = By.cssSelector("[data-app='" + notes + "'] .state");
        wait.until(page -> "INSTALLING".equals(page.findElement(state).getDomAttribute("data-state")));
        wait.until(page -> !page.findElement(install).isEnabled()); // no second tap while it installs
        browser.screenshot("portal-03-installing");

        // the device does it: acknowledges the command and reports the app in its inventory
        fixture.kernel().commands().report(phone, new CommandResult(installNotes.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        fixture.kernel().devices().replaceInventory(Actor.plugin("simulator"), phone, "app.", Map.of("app." + NOTES, "2.4"));

        wait.until(page -> "INSTALLED".equals(page.findElement(state).getDomAttribute("data-state")));
        // settled: the page stops polling this device once every app is INSTALLED, FAILED or REMOVED
        wait.until(page -> "Installed 2.4".equals(page.findElement(state).getText())
                && "Reinstall".equals(page.findElement(install).getText()));
        browser.screenshot("portal-04-installed");
        assertThat(browser.requests("/api/v1")).as("the portal never calls the admin API").isEmpty();
        assertThat(browser.browserErrors()).noneMatch(error -> error.contains("Content Security Policy"));

        driver.navigate().refresh();
        wait.until(page -> "Installed 2.4".equals(page.findElement(state).getText())); // the tab's session resumes

        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username")));
        assertThat(fixture.server().get("/portal/api/me").statusCode()).isEqualTo(401);
    }
}
