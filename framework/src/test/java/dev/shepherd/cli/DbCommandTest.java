package dev.shepherd.cli;

import dev.shepherd.testing.StoreFree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/shepherd db migrate} as the operator runs it: what it refuses before touching anything, with exit status
 * 2 and a message saying what to do. The copy itself is {@code StoreCopyTest}'s. Opens no store.
 */
@StoreFree
class DbCommandTest {

    @TempDir
    Path home;
    private String previousHome;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void installation() {
        previousHome = System.getProperty("shepherd.home");
        System.setProperty("shepherd.home", home.toString());
    }

    @AfterEach
    void restore() {
        if (previousHome == null) {
            System.clearProperty("shepherd.home");
        } else {
            System.setProperty("shepherd.home", previousHome);
        }
    }

    @Test
    void theCommandIsListedWithItsExitStatuses() {
        assertThat(run("db", "migrate", "--help")).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("--to").contains("--username").contains("--batch-size").contains("SHEPHERD_DATABASE_PASSWORD")
                .contains("0 copied and verified, 2 refused (nothing written), 3 copied but not verified");
    }

    @Test
    void withoutATargetUserItRefuses() {
        // The test JVM's environment has no SHEPHERD_DATABASE_USERNAME.
        assertThat(run("db", "migrate", "--to", "jdbc:postgresql://127.0.0.1:1/shepherd")).isEqualTo(2);
        assertThat(err.toString()).contains("--username or SHEPHERD_DATABASE_USERNAME");
    }

    @Test
    void withoutAPasswordAndNoTerminalItRefusesRatherThanTakingOneOnTheCommandLine() {
        assertThat(run("db", "migrate", "--to", "jdbc:postgresql://127.0.0.1:1/shepherd", "--username", "shepherd")).isEqualTo(2);
        assertThat(err.toString()).contains("set SHEPHERD_DATABASE_PASSWORD");
    }

    private int run(String... arguments) {
        CommandLine commandLine = ShepherdCli.commandLine(Map.of());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(arguments);
    }
}
