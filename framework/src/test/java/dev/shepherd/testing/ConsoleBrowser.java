package dev.shepherd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.chromium.ChromiumDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The web console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}), for tests of
 * the console and of the pages plugins add to it. The browser's own network log is kept, so a test can say exactly
 * which admin API requests a page sent; screenshots go to {@code target/screenshots} of the module under test.
 */
public final class ConsoleBrowser implements AutoCloseable {

    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /**
     * How often a wait checks the page again. Selenium's default is 500 ms, and a console page is usually drawn within
     * a few tens of milliseconds after the first check, so most waits of a test spent half a second asleep.
     */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private final URI base;
    private final WebDriver driver;
    private final boolean sharedBrowser;
    private final WebDriverWait wait;
    private final ObjectMapper json = new ObjectMapper();
    private final List<JsonNode> network = new ArrayList<>();

    private ConsoleBrowser(URI base, WebDriver driver, boolean sharedBrowser) {
        this.base = requireNonNull(base, "base is null");
        this.driver = requireNonNull(driver, "driver is null");
        this.sharedBrowser = sharedBrowser;
        this.wait = new WebDriverWait(driver, DEFAULT_TIMEOUT, POLL_INTERVAL);
    }

    private static WebDriver startChromium(Path profile, boolean trustAnyCertificate) {
        ChromeOptions options = new ChromeOptions();
        if (trustAnyCertificate) {
            // The test server and the stand-ins for vendors' https pages present throwaway self-signed certificates.
            options.addArguments("--ignore-certificate-errors");
        }
        options.setBinary(CHROMIUM.toFile());
        // Without the background-networking switches Chromium waits on Google services a closed network never answers.
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1366,900");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.PERFORMANCE, "ALL", LogType.BROWSER, "ALL"));
        // The driver is given, so Selenium Manager never looks for one on the network; quit() stops it again.
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /**
     * The Chromium of this test JVM that {@link #openShared} hands out, started at the first use and stopped when the
     * JVM exits, with its window size as started, to which each fresh start puts the window back.
     */
    private static final class SharedChromium {
        static final Path PROFILE = createProfile();
        static final WebDriver DRIVER = start();
        static final Dimension WINDOW = DRIVER.manage().window().getSize();

        private static Path createProfile() {
            try {
                return Files.createTempDirectory("shepherd-chromium");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static WebDriver start() {
            WebDriver driver = startChromium(PROFILE, false);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                driver.quit();
                try (Stream<Path> files = Files.walk(PROFILE)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                } catch (IOException e) {
                    System.err.println("Cannot remove " + PROFILE + ": " + e.getMessage());
                }
            }, "shared-chromium-stop"));
            return driver;
        }
    }

    /** Whether this machine has Chromium and its driver; tests use it in {@code assumeTrue}. */
    public static boolean available() {
        return Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
    }

    /** The message a test skipped for want of a browser gives. */
    public static String unavailableReason() {
        return "Skipped: the console's browser tests need Debian's Chromium (apt-get install chromium chromium-driver)";
    }

    /**
     * Opens a browser of its own on the server's console, for a test that needs a browser nobody else used, or
     * several browsers at once; {@link #openShared} is quicker.
     *
     * @param server the running server
     * @param profile an empty folder for the browser's profile
     * @return the browser; close it
     */
    public static ConsoleBrowser open(TestServer server, Path profile) {
        return new ConsoleBrowser(server.uri(""), startChromium(profile, false), false);
    }

    /**
     * Opens the server's console in this test JVM's shared Chromium, {@linkplain #startAfresh started afresh}: a new
     * tab, with no cookie, storage, cache or log left from an earlier test, as a browser of its own would be. Starting
     * Chromium and its driver takes a second or more on a busy machine, which console tests used to pay for every
     * test. Closing it leaves the shared browser running for the next test.
     *
     * @param server the running server
     * @return the browser
     */
    public static ConsoleBrowser openShared(TestServer server) {
        ConsoleBrowser browser = new ConsoleBrowser(server.uri(""), SharedChromium.DRIVER, true);
        browser.startAfresh();
        return browser;
    }

    /**
     * Opens a browser on the server's console over HTTPS (start the server with {@code SHEPHERD_HTTPS_PORT=0}), for
     * pages whose vendors embed only in https pages. The browser accepts any certificate: the server's and the
     * stand-ins' are self-signed.
     *
     * @param server the running server, listening for HTTPS
     * @param profile an empty folder for the browser's profile
     * @return the browser; close it
     */
    public static ConsoleBrowser openOverHttps(TestServer server, Path profile) {
        return new ConsoleBrowser(URI.create("https://127.0.0.1:" + server.server().httpsPort()), startChromium(profile, true), false);
    }

    /**
     * Leaves this browser as a new one would be: one new blank tab (so no page, history or session storage is left),
     * no cookie, no cache, no storage of the console's origin, the window at its first size, and no browser log or
     * network event kept from before. Tab-scoped settings such as an emulated colour scheme go with the closed tabs.
     */
    public void startAfresh() {
        Set<String> earlierTabs = driver.getWindowHandles();
        driver.switchTo().window(earlierTabs.iterator().next());
        driver.switchTo().newWindow(WindowType.TAB);
        String freshTab = driver.getWindowHandle();
        for (String tab : earlierTabs) {
            driver.switchTo().window(tab);
            driver.close();
        }
        driver.switchTo().window(freshTab);
        ChromiumDriver chromium = (ChromiumDriver) driver;
        chromium.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        chromium.executeCdpCommand("Network.clearBrowserCache", Map.of());
        chromium.executeCdpCommand("Storage.clearDataForOrigin", Map.of("origin", base.toString(), "storageTypes", "all"));
        if (sharedBrowser) {
            driver.manage().window().setSize(SharedChromium.WINDOW);
        }
        driver.manage().logs().get(LogType.PERFORMANCE).getAll();
        driver.manage().logs().get(LogType.BROWSER).getAll();
        network.clear();
    }

    public WebDriver driver() {
        return driver;
    }

    /** A wait of 15 s on this browser, checking every 50 ms. */
    public WebDriverWait await() {
        return wait;
    }

    /** A wait of {@code timeout} on this browser, checking every 50 ms as {@link #await()} does. */
    public WebDriverWait await(Duration timeout) {
        return new WebDriverWait(driver, requireNonNull(timeout, "timeout is null"), POLL_INTERVAL);
    }

    /** Signs in on the console's sign-in page and waits for the dashboard. */
    public void signIn(String username, String password) {
        driver.get(base + "/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys(username);
        driver.findElement(By.name("password")).sendKeys(password);
        driver.findElement(By.cssSelector("form.login button[type=submit]")).click();
        waitForHeading("Dashboard");
    }

    /** Signs out with the console's button and waits for the sign-in form. */
    public void signOut() {
        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.name("username")));
    }

    /** Opens a console address such as {@code #/devices} and waits for the page's heading. */
    public void open(String hash, String heading) {
        open(hash);
        waitForHeading(heading);
    }

    /**
     * Opens a console address and waits until the console has drawn it: its content area names the address it shows
     * ({@code data-route}) and is no longer {@code aria-busy}.
     */
    public void open(String hash) {
        driver.get(base + "/" + hash);
        wait.until(driver -> hash.equals(driver.findElement(By.id("main")).getDomAttribute("data-route")) && !busy());
    }

    /** Waits until the page's heading reads this and it has finished loading. */
    public void waitForHeading(String text) {
        wait.until(ExpectedConditions.textToBe(By.cssSelector("main h1"), text));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("main .loading")));
        wait.until(driver -> !busy());
    }

    private boolean busy() {
        return "true".equals(driver.findElement(By.id("main")).getDomAttribute("aria-busy"));
    }

    /** Waits until the page's main area shows this text. */
    public void waitForText(String text) {
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), text));
    }

    /**
     * Waits until the element holds every one of the texts. The page may render the element again meanwhile (a search
     * refining its results as the admin types), so it is found afresh on every look, never read from a stale copy.
     */
    public void waitForTexts(By locator, String... texts) {
        await(DEFAULT_TIMEOUT).ignoring(StaleElementReferenceException.class).withMessage(() -> locator + " to hold all of " + Arrays.toString(texts))
                .until(driver -> {
                    String text = driver.findElement(locator).getText();
                    return Arrays.stream(texts).allMatch(text::contains);
                });
    }

    /** The text of the page's main area. */
    public String mainText() {
        return driver.findElement(By.cssSelector("main")).getText();
    }

    /** The menu's entries, in order. */
    public List<String> navigation() {
        return driver.findElements(By.cssSelector("#nav a")).stream().map(WebElement::getText).toList();
    }

    /** The form control a visible label names, found the way assistive technology finds it (label for=id). */
    public static By labelled(String label) {
        return By.xpath("//*[@id=//label[normalize-space(.)='" + label + "' or normalize-space(.)='" + label + " *']/@for]");
    }

    public WebElement labelledControl(String label) {
        return driver.findElement(labelled(label));
    }

    /** Saves the whole page as {@code target/screenshots/<name>.png} (the window is stretched to its height, then put back). */
    public void screenshot(String name) {
        Dimension window = driver.manage().window().getSize();
        Object height = ((JavascriptExecutor) driver).executeScript("return document.documentElement.scrollHeight");
        int page = height instanceof Number number ? number.intValue() : window.getHeight();
        if (page > window.getHeight()) {
            driver.manage().window().setSize(new Dimension(window.getWidth(), Math.min(page + 150, 4000)));
        }
        try {
            Files.createDirectories(SCREENSHOTS);
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            driver.manage().window().setSize(window);
        }
    }

    /** Severe messages of the browser's console (script errors, failed loads). */
    public List<String> browserErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
    }

    /** Chromium's network events so far (its performance log is drained on each read, so they are kept here). */
    public List<JsonNode> network() {
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE).getAll()) {
            try {
                JsonNode message = json.readTree(entry.getMessage()).path("message");
                if (message.path("method").asText().startsWith("Network.")) {
                    network.add(message);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return network;
    }

    /** "METHOD /path" of every request the page sent under a path prefix, such as {@code /api/v1/}. */
    public List<String> requests(String pathPrefix) {
        List<String> calls = new ArrayList<>();
        for (JsonNode event : network()) {
            if (event.path("method").asText().equals("Network.requestWillBeSent")) {
                URI url = URI.create(event.path("params").path("request").path("url").asText());
                if (url.getScheme().startsWith("http") && url.getPath().startsWith(pathPrefix)) {
                    calls.add(event.path("params").path("request").path("method").asText().toUpperCase(Locale.ROOT) + " " + url.getPath());
                }
            }
        }
        return calls;
    }

    /** "METHOD /path" of every request the page sent to the admin API. */
    public List<String> apiCalls() {
        return requests("/api/v1/");
    }

    /** "status url" of every admin API answer of 400 or more the page received. */
    public List<String> forbiddenOrFailedApiCalls() {
        return network().stream().filter(event -> event.path("method").asText().equals("Network.responseReceived"))
                .map(event -> event.path("params").path("response"))
                .filter(response -> response.path("url").asText().contains("/api/") && response.path("status").asInt() >= 400)
                .map(response -> response.path("status").asInt() + " " + response.path("url").asText()).toList();
    }

    /**
     * The accessibility problems of the page as shown now, by Deque's axe-core (WCAG 2.0 and 2.1, levels A and AA):
     * "impact rule-id: the first offending element (what to fix)" for each violation at or above an impact.
     *
     * @param minimumImpact {@code minor}, {@code moderate}, {@code serious} or {@code critical}
     */
    public List<String> accessibilityViolations(String minimumImpact) {
        List<String> impacts = List.of("minor", "moderate", "serious", "critical");
        int minimum = impacts.indexOf(minimumImpact);
        if (minimum < 0) {
            throw new IllegalArgumentException("unknown impact " + minimumImpact);
        }
        JavascriptExecutor script = (JavascriptExecutor) driver;
        if (!Boolean.TRUE.equals(script.executeScript("return typeof window.axe === 'object'"))) {
            // Injected through the driver, which Chromium lets past the page's Content-Security-Policy.
            script.executeScript(axeSource());
        }
        Object result = script.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                  .then(results => done(JSON.stringify(results.violations.map(violation => ({
                    id: violation.id, impact: violation.impact,
                    target: violation.nodes.length ? String(violation.nodes[0].target) : '',
                    summary: violation.nodes.length ? violation.nodes[0].failureSummary : '' })))))
                  .catch(error => done(JSON.stringify([{ id: 'axe-failed', impact: 'critical', target: String(error) }])));
                """);
        List<String> violations = new ArrayList<>();
        try {
            for (JsonNode violation : json.readTree(String.valueOf(result))) {
                if (impacts.indexOf(violation.path("impact").asText()) >= minimum) {
                    violations.add(violation.path("impact").asText() + " " + violation.path("id").asText() + ": "
                            + violation.path("target").asText() + " (" + violation.path("summary").asText().replace('\n', ' ') + ")");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return violations;
    }

    private static String axeSource() {
        ClassLoader loader = ConsoleBrowser.class.getClassLoader();
        // The WebJar's files live under its version: read it from the jar rather than repeating it here.
        Properties webJar = new Properties();
        try (InputStream in = loader.getResourceAsStream("META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
            webJar.load(requireNonNull(in, "axe-core is not on the test classpath"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (InputStream in = loader.getResourceAsStream("META-INF/resources/webjars/axe-core/" + webJar.getProperty("version") + "/axe.min.js")) {
            return new String(requireNonNull(in, "axe.min.js is missing from the axe-core WebJar").readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Quits a browser of its own; leaves the shared browser running, to be started afresh by its next user. */
    @Override
    public void close() {
        if (!sharedBrowser) {
            driver.quit();
        }
    }
}
