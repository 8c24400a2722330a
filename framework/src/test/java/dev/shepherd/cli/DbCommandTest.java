package dev.shepherd.cli;

import dev.shepherd.testing.StoreFree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/shepherd db migrate} as the operator runs it: what it refuses before touching anything, with exit status
 * 2 and a message saying what to do. The copy itself is {@code StoreCopyTest}'s. Opens no store.
 */
@StoreFree
class DbCommandTest {

    @RegisterExtension
    final CliSession cli = new CliSession();

    @Test
    void theCommandIsListedWithItsExitStatuses() {
        assertThat(cli.run("db", "migrate", "--help")).isZero();
        String help = cli.out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("--to").contains("--username").contains("--batch-size").contains("SHEPHERD_DATABASE_PASSWORD")
                .contains("0 copied and verified, 2 refused (nothing written), 3 copied but not verified");
    }

    @Test
    void withoutATargetUserItRefuses() {
        // The test JVM's environment has no SHEPHERD_DATABASE_USERNAME.
        assertThat(cli.run("db", "migrate", "--to", "jdbc:postgresql://127.0.0.1:1/shepherd")).isEqualTo(2);
        assertThat(cli.err.toString()).contains("--username or SHEPHERD_DATABASE_USERNAME");
    }

    @Test
    void withoutAPasswordAndNoTerminalItRefusesRatherThanTakingOneOnTheCommandLine() {
        assertThat(cli.run("db", "migrate", "--to", "jdbc:postgresql://127.0.0.1:1/shepherd", "--username", "shepherd")).isEqualTo(2);
        assertThat(cli.err.toString()).contains("set SHEPHERD_DATABASE_PASSWORD");
    }
}
