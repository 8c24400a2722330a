package dev.shepherd.command;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.testing.TestKernel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child process by {@link CommandQueueCrashTest}: queues commands from several threads as fast as it can
 * and prints each command's id only after {@code issue} returned, that is, once it was acknowledged to the caller.
 * It never stops on its own; the test kills it with SIGKILL.
 */
public final class CrashingCommandWriter {

    private CrashingCommandWriter() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(args[0]);
        DeviceId device = DeviceId.parse(args[1]);
        // The store the parent test names in SHEPHERD_DATABASE_* (none: embedded Derby in home).
        TestKernel test = TestKernel.open(new ConfigLoader(System.getenv()).load(home, home.resolve("absent.yaml")), Clock.systemUTC());
        CommandService commands = test.kernel().commands();
        PrintStream out = System.out;
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread writer = new Thread(() -> {
                while (true) {
                    String id = commands.issue(TestKernel.ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY))
                            .command().id().toString();
                    synchronized (out) {
                        out.println("ACK " + id);
                        out.flush();
                    }
                }
            });
            writer.start();
            writers.add(writer);
        }
        for (Thread writer : writers) {
            writer.join();
        }
    }
}
