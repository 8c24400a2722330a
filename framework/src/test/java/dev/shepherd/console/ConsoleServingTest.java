package dev.shepherd.console;

import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the server hands out the console, checked over plain HTTP (no browser needed): the page at {@code /}, its
 * files under {@code /ui/}, everything else as before, and a Content-Security-Policy that no inline script or
 * style gets past, with console files that need none.
 */
class ConsoleServingTest {

    @TempDir
    static Path home;
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(home);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theConsoleIsServedAtTheRootWithAPolicyThatForbidsInlineScriptAndStyle() {
        HttpResponse<String> page = server.get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<script type=\"module\" src=\"/ui/app.js\"></script>");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).contains("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval");
    }

    @Test
    void scriptsAndStylesComeFromUiWithTheirTypes() {
        HttpResponse<String> script = server.get("/ui/pages/devices.js");
        HttpResponse<String> style = server.get("/ui/console.css");

        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/javascript");
        assertThat(script.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(style.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
        assertThat(server.get("/ui/").statusCode()).as("no directory listing").isEqualTo(404);
        assertThat(server.get("/ui/nothing.js").statusCode()).isEqualTo(404);

        // The reports' charting library, from its WebJar's dist folder and nothing else of it.
        HttpResponse<String> charts = server.get("/ui/vendor/uplot/uPlot.esm.js");
        assertThat(charts.statusCode()).isEqualTo(200);
        assertThat(charts.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/javascript");
        assertThat(server.get("/ui/vendor/uplot/uPlot.min.css").headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
        assertThat(server.get("/ui/vendor/uplot/").statusCode()).isEqualTo(404);
        assertThat(server.get("/ui/vendor/uplot/package.json").statusCode()).isEqualTo(404);
    }

    @Test
    void otherPathsAnswerAsBefore() {
        assertThat(server.get("/health").body()).contains("\"status\"");
        assertThat(server.get("/api/v1/devices").statusCode()).isEqualTo(401);
        HttpResponse<String> unknown = server.get("/nothing-here");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(unknown.headers().firstValue("Content-Security-Policy").orElseThrow()).doesNotContain("unsafe-inline");
    }

    @Test
    void theConsoleFilesNeedNoInlineScriptOrStyleAndWriteNoMarkupFromStrings() throws IOException, URISyntaxException {
        Path root = Path.of(WebConsole.class.getResource("/dev/shepherd/console/index.html").toURI()).getParent();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(file -> file.toString().matches(".*\\.(html|js)$")).toList();
        }
        assertThat(files).hasSizeGreaterThan(5);
        for (Path file : files) {
            String text = Files.readString(file);
            assertThat(text).as(root.relativize(file).toString())
                    .doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>")
                    .doesNotContain("<style", " style=\"", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")
                    .doesNotContainPattern(" on[a-z]+=\"");
        }
    }
}
