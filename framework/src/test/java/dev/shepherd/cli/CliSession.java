package dev.shepherd.cli;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The command line as an operator runs it, each test against an installation folder ({@code shepherd.home}) of its
 * own, deleted afterwards: what it printed is in {@link #out} and {@link #err}. Register it with
 * {@code @RegisterExtension}.
 */
final class CliSession implements BeforeEachCallback, AfterEachCallback {

    StringWriter out;
    StringWriter err;
    private Path home;
    private String previousHome;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        out = new StringWriter();
        err = new StringWriter();
        home = Files.createTempDirectory("shepherd-cli");
        previousHome = System.getProperty("shepherd.home");
        System.setProperty("shepherd.home", home.toString());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (previousHome == null) {
            System.clearProperty("shepherd.home");
        } else {
            System.setProperty("shepherd.home", previousHome);
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** @return the exit status */
    int run(String... arguments) {
        CommandLine commandLine = ShepherdCli.commandLine(Map.of());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(arguments);
    }
}
