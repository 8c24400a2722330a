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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every console page, with a small fleet in it, at a desktop (1440 px) and a phone (390 px) width, in the light and
 * the dark theme, saved as {@code target/console-screenshots/<page>-<width>-<theme>.png} for reviews and the
 * documentation. One browser session: the window is resized and the theme switched, never restarted. In the dark
 * theme every page is also checked by the accessibility engine (the light theme is checked by ConsoleBrowserTest).
 */
@LookOnly
class ConsoleScreenshotsTest {

    private static final List<Integer> WIDTHS = List.of(1440, 390);
    /** Full pages are captured up to this height; longer ones are cut (a screenshot of an endless list says nothing more). */
    private static final int MAX_HEIGHT = 5000;
    private static final int WINDOW_HEIGHT = 900;

    @TempDir
    static Path home;
    private static SampleConsole stage;
    private static ConsoleBrowser console;
    private static WebDriver browser;

    @BeforeAll
    static void start() {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        stage = SampleConsole.start(home);
        console = stage.console();
        browser = console.driver();
    }

    @AfterAll
    static void stop() {
        if (stage != null) {
            stage.close();
        }
    }

    @Test
    void everyPageIsCapturedAtDesktopAndPhoneWidthsInBothThemesAndMeetsTheWcagRulesInTheDarkOne() throws IOException {
        Files.createDirectories(SampleConsole.SCREENSHOTS);
        browser.manage().window().setSize(new Dimension(1440, WINDOW_HEIGHT));
        List<String> captured = new ArrayList<>();
        Map<String, List<String>> darkProblems = new LinkedHashMap<>();
        for (String theme : List.of("light", "dark")) {
            stage.theme(theme);
            browser.get(stage.server().uri("/").toString());
            console.await().until(driver -> !driver.findElements(By.name("username")).isEmpty());
            captured.add(capture("sign-in", 1440, theme));
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            Map<String, String> pages = pages();
            for (int width : WIDTHS) {
                browser.manage().window().setSize(new Dimension(width, WINDOW_HEIGHT));
                for (Map.Entry<String, String> page : pages.entrySet()) {
                    console.open(page.getValue());
                    if (theme.equals("dark") && width == 1440) {
                        List<String> found = console.accessibilityViolations("moderate");
                        if (!found.isEmpty()) {
                            darkProblems.put(page.getValue(), found);
                        }
                    }
                    captured.add(capture(page.getKey(), width, theme));
                }
            }
            browser.manage().window().setSize(new Dimension(1440, WINDOW_HEIGHT));
            console.signOut();
        }
        assertThat(darkProblems).as("WCAG 2.1 A/AA violations of moderate impact or worse in the dark theme, by page").isEmpty();
        assertThat(captured).allSatisfy(file -> assertThat(Files.size(SampleConsole.SCREENSHOTS.resolve(file))).isGreaterThan(1000));
        assertThat(captured).contains("devices-390-dark.png", "device-1440-light.png", "policy-390-light.png", "group-1440-dark.png");
        assertThat(console.forbiddenOrFailedApiCalls()).isEmpty();
        assertThat(console.browserErrors()).isEmpty();
    }

    /** The pages, by the name their screenshots take: every sidebar entry the administrator sees, and the sample's detail pages. */
    private static Map<String, String> pages() {
        Map<String, String> pages = new LinkedHashMap<>();
        for (WebElement link : browser.findElements(By.cssSelector("#sidebar a"))) {
            String address = link.getDomAttribute("href");
            pages.put(address.equals("#/") ? "dashboard" : address.replaceFirst("^#/", "").replaceAll("[^a-z0-9]+", "-"), address);
        }
        List<String> details = stage.sample().detailPages();
        List<String> names = List.of("device", "group", "policy", "command-batch", "person", "policy-new");
        for (int index = 0; index < details.size(); index++) {
            pages.put(names.get(index), details.get(index));
        }
        return pages;
    }

    /**
     * Saves the whole page (up to MAX_HEIGHT) as page-width-theme.png and returns the file's name. Chromium captures
     * beyond the window, so the window keeps its size (what sticks to the screen is drawn as at the top of the page).
     */
    private static String capture(String page, int width, String theme) {
        Number height = (Number) ((JavascriptExecutor) browser).executeScript("return document.documentElement.scrollHeight");
        return stage.screenshot(page + "-" + width + "-" + theme, Map.of("format", "png", "captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", Math.min(height.intValue(), MAX_HEIGHT), "scale", 1)));
    }
}
