package dev.shepherd.cli;

import dev.shepherd.server.ShepherdServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

import java.util.concurrent.CountDownLatch;

/** Runs the server in the foreground until SIGTERM or Ctrl-C, then shuts down gracefully. */
@Command(name = "run", description = "Run the server in the foreground (the default).", mixinStandardHelpOptions = true)
final class RunCommand implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Override
    public void run() {
        ShepherdServer server = ShepherdServer.start(ShepherdCli.loadConfig());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Shutting down");
            server.close();
            log.info("Stopped");
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
