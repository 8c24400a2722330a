package dev.shepherd.cli;

import dev.shepherd.config.ShepherdConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code shepherd config}: checks the configuration and shows what it resolves to, secrets left out. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Check conf/shepherd.yaml and the SHEPHERD_* environment, and print the resolved settings.")
final class ConfigCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ShepherdConfig config = ShepherdCli.loadConfig();
        PrintWriter out = spec.commandLine().getOut();
        out.println("home:       " + config.home());
        out.println("http:       " + config.http());
        out.println("https:      " + config.https());
        out.println("dataDir:    " + config.dataDir());
        out.println("pluginsDir: " + config.pluginsDir());
        out.println("database:   " + config.database());
        out.println("plugins:    scanInterval=" + config.plugins().scanInterval() + " callTimeout="
                + config.plugins().callTimeout() + " breaker=" + config.plugins().breakerFailures() + " in a row, coolDown="
                + config.plugins().breakerCoolDown() + " configured=" + config.plugins().settings().keySet());
        return 0;
    }
}
