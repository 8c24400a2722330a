package dev.shepherd.console;

import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chromium.ChromiumDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A running server holding the sample fleet (ConsoleSampleData) and a headless Chromium on its console, for the tests
 * that look at every page: the theme the page is told the system prefers, and screenshots saved under
 * {@code target/console-screenshots}.
 */
final class SampleConsole implements AutoCloseable {

    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    private final TestServer server;
    private final ConsoleBrowser console;
    private final ConsoleSampleData sample;

    private SampleConsole(TestServer server, ConsoleBrowser console, ConsoleSampleData sample) {
        this.server = requireNonNull(server, "server is null");
        this.console = requireNonNull(console, "console is null");
        this.sample = requireNonNull(sample, "sample is null");
    }

    /** Starts a server in {@code home}, seeds the sample fleet, and opens the shared browser afresh on its console. */
    static SampleConsole start(Path home) {
        TestServer server = TestServer.start(home);
        try {
            ConsoleSampleData sample = ConsoleSampleData.seed(server);
            return new SampleConsole(server, ConsoleBrowser.openShared(server), sample);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    TestServer server() {
        return server;
    }

    ConsoleBrowser console() {
        return console;
    }

    ConsoleSampleData sample() {
        return sample;
    }

    /** Tells the page the system prefers the light or the dark scheme (Chromium's media emulation) and waits until it does. */
    void theme(String scheme) {
        cdp("Emulation.setEmulatedMedia", Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
        console.await().until(driver -> Boolean.TRUE.equals(((JavascriptExecutor) driver)
                .executeScript("return matchMedia('(prefers-color-scheme: " + scheme + ")').matches")));
    }

    /**
     * Captures the page with Chromium's {@code Page.captureScreenshot} (the parameters as that command takes them: none
     * for what the window shows) into {@code target/console-screenshots/<name>.png}.
     *
     * @return the file's name
     */
    String screenshot(String name, Map<String, Object> parameters) {
        Map<String, Object> shot = cdp("Page.captureScreenshot", parameters);
        String file = name + ".png";
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(file), Base64.getDecoder().decode((String) shot.get("data")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    Map<String, Object> cdp(String command, Map<String, Object> parameters) {
        return ((ChromiumDriver) console.driver()).executeCdpCommand(command, parameters);
    }

    @Override
    public void close() {
        try {
            console.close();
        } finally {
            server.close();
        }
    }
}
