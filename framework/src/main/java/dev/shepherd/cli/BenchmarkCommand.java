package dev.shepherd.cli;

import dev.shepherd.benchmark.KernelBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code shepherd benchmark}: the kernel's throughput and latency figures, on a fresh store of its own. */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Measure enrollments per second, the time to queue one command for many devices, and device"
                + " search latency over a large fleet, on a fresh embedded database (the server's data is not touched).")
final class BenchmarkCommand implements Callable<Integer> {

    @Option(names = "--devices", defaultValue = "1000000", description = "Fleet size (default ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--enrollments", defaultValue = "2000", description = "Full-path enrollments to time (default ${DEFAULT-VALUE}).")
    int enrollments;

    @Option(names = "--threads", defaultValue = "4", description = "Concurrent enrollments (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--fan-out", defaultValue = "100000", description = "Devices to queue one command for (default ${DEFAULT-VALUE}).")
    int fanOut;

    @Option(names = "--queries", defaultValue = "1000", description = "Searches to time (default ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--data-dir", description = "Where to put the benchmark database (default: a temporary directory, deleted afterwards).")
    Path dataDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean temporary = dataDir == null;
        Path directory = temporary ? Files.createTempDirectory("shepherd-benchmark") : dataDir;
        if (!temporary && Files.exists(directory.resolve("db"))) {
            throw new ShepherdCli.CliException(directory + " already holds a database; give an empty directory");
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            KernelBenchmark.Report report = new KernelBenchmark().run(new KernelBenchmark.Options(devices, enrollments, threads,
                    Math.min(fanOut, devices), queries, directory), out);
            out.println();
            out.printf("Shepherd kernel benchmark (%d cores, Java %s, embedded Derby)%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            out.printf("  enrollments per second (full path, %d threads): %.0f%n", threads, report.enrollmentsPerSecond());
            out.printf("  queue one command for %,d devices:             %.2f s%n", report.fanOutDevices(), report.fanOutSeconds());
            out.printf("  device search over %,d devices:            p50 %.1f ms, p95 %.1f ms, p99 %.1f ms (%d queries)%n",
                    report.devices(), report.search().p50(), report.search().p95(), report.search().p99(), report.search().samples());
            out.flush();
            return 0;
        } finally {
            if (temporary) {
                try (Stream<Path> paths = Files.walk(directory)) {
                    paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> {
                        try {
                            Files.deleteIfExists(path);
                        } catch (IOException ignored) {
                            // a leftover temporary file is harmless
                        }
                    });
                }
            }
        }
    }
}
