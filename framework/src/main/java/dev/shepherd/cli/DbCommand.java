package dev.shepherd.cli;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.StoreCopy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code shepherd db migrate}: moves the embedded Derby store of a stopped installation to PostgreSQL. */
@Command(name = "db", description = "Manage the store.", mixinStandardHelpOptions = true,
        subcommands = {DbCommand.Migrate.class})
final class DbCommand {

    /** Exit status when the copy was made but its verification found a difference. */
    static final int NOT_VERIFIED = 3;

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Copy this installation's embedded Derby store into an empty PostgreSQL database and verify the copy"
                    + " (row counts per table, the audit chain). Stop the server first.",
                    "The password comes from SHEPHERD_DATABASE_PASSWORD, else it is asked for.",
                    "Exit status: 0 copied and verified, 2 refused (nothing written), 3 copied but not verified."})
    static final class Migrate implements Callable<Integer> {

        @Option(names = "--to", required = true, description = "The target: jdbc:postgresql://host:port/database.")
        String to;

        @Option(names = "--username", defaultValue = "${env:SHEPHERD_DATABASE_USERNAME}",
                description = "The target's user (default: SHEPHERD_DATABASE_USERNAME).")
        String username;

        @Option(names = "--batch-size", defaultValue = "1000", description = "Rows per insert batch (default ${DEFAULT-VALUE}).")
        int batchSize;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ShepherdConfig config = ShepherdCli.loadConfig();
            if (config.database().url().isPresent()) {
                throw new ShepherdCli.CliException("this installation's store is " + config.database().displayUrl().orElseThrow()
                        + ", not embedded Derby: db migrate copies the embedded store (unset SHEPHERD_DATABASE_URL and database.url)");
            }
            if (username == null || username.isBlank()) {
                throw new ShepherdCli.CliException("give the target's user with --username or SHEPHERD_DATABASE_USERNAME");
            }
            StoreCopy.Target target = new StoreCopy.Target(to, username, password());
            PrintWriter out = spec.commandLine().getOut();
            Path derby = config.dataDir().resolve("db");
            if (System.getProperty("derby.stream.error.file") == null) {
                System.setProperty("derby.stream.error.file", config.dataDir().resolve("derby.log").toString());
            }
            out.println("Copying " + derby + " to " + to.split("\\?", 2)[0] + ":");
            StoreCopy.Report report;
            try {
                report = new StoreCopy(derby, target, () -> Database.open(targetConfig(config.home(), target)), batchSize, out).run();
            } catch (StoreCopy.RefusedException e) {
                throw new ShepherdCli.CliException(e.getMessage());
            }
            if (!report.verified()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("shepherd: the copy differs from the source; do not switch to it:");
                report.problems().forEach(problem -> err.println("  " + problem));
                return NOT_VERIFIED;
            }
            out.println("Verified: kernel schema " + report.schemaVersion() + ", " + report.tables().size()
                    + " tables with equal row counts, " + report.auditVerification().verifiedEntries()
                    + " audit entries intact, chain tip " + report.targetAuditHead() + " as in the source.");
            out.println("Set database.url (and SHEPHERD_DATABASE_USERNAME / SHEPHERD_DATABASE_PASSWORD) to the target, then start the server.");
            return 0;
        }

        private String password() {
            String password = System.getenv("SHEPHERD_DATABASE_PASSWORD");
            if (password == null && System.console() != null) {
                char[] typed = System.console().readPassword("Password for %s on the target: ", username);
                password = typed == null ? null : new String(typed);
            }
            if (password == null) {
                throw new ShepherdCli.CliException("set SHEPHERD_DATABASE_PASSWORD or run in a terminal to be asked for the target's password");
            }
            return password;
        }

        /** The target as a store configuration: the same pool, lock timeout and migrations as a server on it. */
        private static ShepherdConfig targetConfig(Path home, StoreCopy.Target target) {
            return new ConfigLoader(Map.of("SHEPHERD_DATABASE_URL", target.url(), "SHEPHERD_DATABASE_USERNAME", target.username(),
                    "SHEPHERD_DATABASE_PASSWORD", target.password())).load(home, home.resolve("conf").resolve("no-such-file.yaml"));
        }
    }
}
