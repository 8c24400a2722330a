package dev.shepherd.cli;

import dev.shepherd.api.ShepherdApi;
import dev.shepherd.config.ConfigException;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.util.Map;

/** {@code bin/shepherd}: runs the server, and the operator's commands around it. */
@Command(name = "shepherd", mixinStandardHelpOptions = true, versionProvider = ShepherdCli.Version.class,
        description = "Shepherd unified endpoint management server. Without a command, runs the server.",
        subcommands = {RunCommand.class, AdminCommand.class, PluginsCommand.class, ConfigCommand.class, DbCommand.class, BenchmarkCommand.class,
                CommandLine.HelpCommand.class})
public final class ShepherdCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }

    static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new ShepherdCli());
        commandLine.setExecutionExceptionHandler((exception, cli, parseResult) -> {
            if (exception instanceof ConfigException || exception instanceof CliException) {
                cli.getErr().println("shepherd: " + exception.getMessage());
                return 2;
            }
            // Unexpected: the whole story goes to the log, one line to the operator's terminal.
            LoggerFactory.getLogger(ShepherdCli.class).error("Command failed", exception);
            cli.getErr().println("shepherd: failed: " + exception.getMessage() + " (details in the log above)");
            return 1;
        });
        return commandLine;
    }

    @Override
    public void run() {
        new RunCommand().run();
    }

    /** The installation directory: {@code -Dshepherd.home}, set by {@code bin/shepherd}, else the working directory. */
    static Path home() {
        return Path.of(System.getProperty("shepherd.home", ".")).toAbsolutePath().normalize();
    }

    static ShepherdConfig loadConfig() {
        Map<String, String> environment = System.getenv();
        Path home = home();
        Path file = environment.containsKey("SHEPHERD_CONFIG")
                ? Path.of(environment.get("SHEPHERD_CONFIG"))
                : home.resolve("conf").resolve("shepherd.yaml");
        return new ConfigLoader(environment).load(home, file);
    }

    /** A command failed in a way the operator can fix; the message says how. */
    static final class CliException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CliException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = ShepherdCli.class.getPackage().getImplementationVersion();
            return new String[]{"Shepherd " + (version == null ? "(development build)" : version)
                    + ", plugin API " + ShepherdApi.version()};
        }
    }
}
