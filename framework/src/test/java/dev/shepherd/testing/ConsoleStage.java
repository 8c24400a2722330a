package dev.shepherd.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stage of a console browser test class: a server of the class's own, started once before its tests in a
 * temporary installation and closed after them, and before each test the test JVM's shared Chromium opened
 * {@linkplain ConsoleBrowser#startAfresh afresh} on its console, signed in to nothing. Register it on a static field:
 * <pre>{@code
 * @RegisterExtension
 * static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
 * }</pre>
 * Its server runs before the class's own {@code @BeforeAll} methods, which may seed it. Where Chromium is not
 * installed, the class's tests are skipped, saying why.
 */
public final class ConsoleStage implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    /** Starts the class's server in the installation directory it is given. */
    @FunctionalInterface
    public interface ServerStart {
        TestServer start(Path home) throws Exception;
    }

    private final ServerStart serverStart;
    private Path home;
    private TestServer server;
    private ConsoleBrowser console;

    private ConsoleStage(ServerStart serverStart) {
        this.serverStart = requireNonNull(serverStart, "serverStart is null");
    }

    /** A stage whose server {@code serverStart} starts, such as {@code TestServer::start}. */
    public static ConsoleStage withServer(ServerStart serverStart) {
        return new ConsoleStage(serverStart);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        home = Files.createTempDirectory("shepherd-console-test");
        server = serverStart.start(home);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        console = ConsoleBrowser.openShared(server);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (server != null) {
            server.close();
        }
        if (home != null) {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** The class's running server. */
    public TestServer server() {
        return requireNonNull(server, "the stage's server runs from the class's @BeforeAll on");
    }

    /** The browser of the running test, opened afresh on the server's console. */
    public ConsoleBrowser console() {
        return requireNonNull(console, "the stage's browser is opened before each test");
    }

    /** The browser of the running test, signed in as the server's bootstrap admin and showing the dashboard. */
    public ConsoleBrowser consoleSignedInAsAdmin() {
        console().signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        return console;
    }
}
