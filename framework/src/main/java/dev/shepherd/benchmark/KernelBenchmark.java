package dev.shepherd.benchmark;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.command.CommandBatch;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DevicePage;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.security.SecretBox;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.Database;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Measures the kernel on the embedded store, through the same services the server uses: enrollments per second
 * (the full path: token check, device row, hardware ids, audit entry, durable event, commit), the time to queue one
 * command for many devices, and device search latency over a large fleet.
 */
public final class KernelBenchmark {

    private static final Actor ACTOR = Actor.admin("benchmark");
    private static final Platform[] PLATFORMS = {Platform.IOS, Platform.IOS, Platform.IOS, Platform.IOS, Platform.ANDROID,
            Platform.ANDROID, Platform.ANDROID, Platform.WINDOWS, Platform.WINDOWS, Platform.MACOS};
    private static final int IMPORT_CHUNK = 5_000;

    /**
     * @param devices fleet size for the search and fan-out measurements
     * @param enrollments how many devices to enroll through the full enrollment path
     * @param enrollThreads concurrent enrollments
     * @param fanOut devices to queue one command for
     * @param queries search queries to time
     * @param dataDir where the benchmark's database goes (a fresh directory)
     */
    public record Options(int devices, int enrollments, int enrollThreads, int fanOut, int queries, Path dataDir) {
        public Options {
            requireNonNull(dataDir, "dataDir is null");
            if (enrollments > devices || fanOut > devices) {
                throw new IllegalArgumentException("enrollments and fan-out cannot exceed the fleet size");
            }
        }
    }

    /** Latency percentiles in milliseconds, and the slowest query of each shape. */
    public record Latency(int samples, double p50, double p95, double p99, double max, Map<String, Double> slowestByShape) {
    }

    /**
     * @param enrollmentsPerSecond full-path enrollments per second
     * @param fleetLoadSeconds time to import the rest of the fleet
     * @param fanOutDevices devices the command was queued for
     * @param fanOutSeconds time to queue it, durable
     * @param search search latency
     */
    public record Report(int devices, double enrollmentsPerSecond, double fleetLoadSeconds, int fanOutDevices,
                         double fanOutSeconds, Latency search) {
    }

    public Report run(Options options, PrintWriter progress) throws Exception {
        Map<String, String> environment = Map.of("SHEPHERD_DATA_DIR", options.dataDir().toString());
        try (Database database = Database.open(new ConfigLoader(environment).load(options.dataDir(), options.dataDir().resolve("absent.yaml")))) {
            Kernel kernel = Kernel.over(database, SecretBox.open(options.dataDir()), Clock.systemUTC());

            progress.printf("Enrolling %,d devices through the full enrollment path with %d threads...%n",
                    options.enrollments(), options.enrollThreads());
            progress.flush();
            double enrollmentsPerSecond = enroll(kernel, options);
            progress.printf("  %.0f enrollments/s%n", enrollmentsPerSecond);

            int toImport = options.devices() - options.enrollments();
            progress.printf("Importing %,d more devices in chunks of %,d...%n", toImport, IMPORT_CHUNK);
            progress.flush();
            long start = System.nanoTime();
            Random random = new Random(42);
            for (int from = 0; from < toImport; from += IMPORT_CHUNK) {
                List<DeviceImport> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(toImport, from + IMPORT_CHUNK); i++) {
                    chunk.add(fleetDevice(i, random));
                }
                kernel.devices().importDevices(ACTOR, chunk);
                if ((from / IMPORT_CHUNK) % 20 == 19) {
                    progress.printf("  %,d imported%n", from + chunk.size());
                    progress.flush();
                }
            }
            double loadSeconds = seconds(System.nanoTime() - start);
            progress.printf("  fleet of %,d devices in place after %.1f s%n", kernel.devices().count(DeviceFilter.ALL), loadSeconds);

            List<DeviceId> targets = kernel.devices().ids(DeviceFilter.ALL).subList(0, options.fanOut());
            progress.printf("Queuing one command for %,d devices...%n", targets.size());
            progress.flush();
            start = System.nanoTime();
            CommandBatch batch = kernel.commands().issueToMany(ACTOR, new CommandTargets.Listed(targets),
                    new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of(), 0, Optional.of(Duration.ofDays(7))), "benchmark fan-out");
            double fanOutSeconds = seconds(System.nanoTime() - start);
            progress.printf("  %,d commands durable in %.2f s%n", batch.total(), fanOutSeconds);
            start = System.nanoTime();
            int rows = kernel.commands().materializePending();
            progress.printf("  per-device rows written in the background: %,d in %.1f s%n", rows, seconds(System.nanoTime() - start));

            progress.printf("Timing %,d device searches...%n", options.queries());
            progress.flush();
            Latency latency = searches(kernel, options.queries(), options.devices() - options.enrollments());
            progress.printf("  p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n", latency.p50(), latency.p95(), latency.p99(), latency.max());
            latency.slowestByShape().forEach((shape, millis) -> progress.printf("    slowest %-22s %.1f ms%n", shape + ":", millis));
            progress.flush();
            return new Report(options.devices(), enrollmentsPerSecond, loadSeconds, batch.total(), fanOutSeconds, latency);
        }
    }

    private static double enroll(Kernel kernel, Options options) throws Exception {
        String secret = kernel.enrollmentTokens().create(ACTOR, new NewEnrollmentToken("benchmark", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofDays(1)))).secret();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(options.enrollThreads());
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < options.enrollThreads(); t++) {
            workers.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < options.enrollments(); ) {
                    kernel.devices().enroll(Actor.plugin("benchmark"), new EnrollmentClaim(Optional.of(secret),
                            PLATFORMS[i % PLATFORMS.length], EnrollmentMethod.LINK, Map.of("udid", "ENROLL-" + i),
                            String.format("ENR%08d", i), "Model " + (i % 20), (12 + i % 6) + ".0", ""));
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        return options.enrollments() / seconds(System.nanoTime() - start);
    }

    private static DeviceImport fleetDevice(int i, Random random) {
        Platform platform = PLATFORMS[random.nextInt(PLATFORMS.length)];
        Set<String> tags = random.nextInt(20) == 0 ? Set.of("kiosk") : Set.of();
        return new DeviceImport(platform, String.format("SN%09d", i), "Model " + random.nextInt(40),
                String.format("Device %07d", i), random.nextInt(10) < 7 ? Ownership.CORPORATE : Ownership.PERSONAL,
                Map.of("serial", String.format("SN%09d", i)), tags);
    }

    private static final List<String> SHAPES = List.of("platform", "status and ownership", "name prefix, by name",
            "exact serial", "tag", "platform and model", "second page by name", "everything");

    private static Latency searches(Kernel kernel, int queries, int imported) {
        Random random = new Random(7);
        List<Supplier<DevicePage>> mix = List.of(
                () -> kernel.devices().search(DeviceFilter.builder().platform(Platform.IOS).build(), DeviceSort.ID, Optional.empty(), 50),
                () -> kernel.devices().search(DeviceFilter.builder().status(DeviceStatus.PENDING).ownership(Ownership.PERSONAL).build(),
                        DeviceSort.ID, Optional.empty(), 50),
                () -> kernel.devices().search(DeviceFilter.builder().namePrefix(String.format("device %05d", random.nextInt(Math.max(1, imported / 100)))).build(),
                        DeviceSort.NAME, Optional.empty(), 50),
                () -> kernel.devices().search(DeviceFilter.builder().serialNumber(String.format("SN%09d", random.nextInt(Math.max(1, imported)))).build(),
                        DeviceSort.ID, Optional.empty(), 50),
                () -> kernel.devices().search(DeviceFilter.builder().tag("kiosk").build(), DeviceSort.ID, Optional.empty(), 50),
                () -> kernel.devices().search(DeviceFilter.builder().platform(Platform.ANDROID).model("Model " + random.nextInt(40)).build(),
                        DeviceSort.ID, Optional.empty(), 50),
                () -> {
                    DevicePage first = kernel.devices().search(DeviceFilter.builder().platform(Platform.WINDOWS).build(), DeviceSort.NAME, Optional.empty(), 50);
                    return kernel.devices().search(DeviceFilter.builder().platform(Platform.WINDOWS).build(), DeviceSort.NAME, first.nextCursor(), 50);
                },
                () -> kernel.devices().search(DeviceFilter.ALL, DeviceSort.ID, Optional.empty(), 50));
        for (int i = 0; i < 50; i++) {
            mix.get(i % mix.size()).get();
        }
        double[] millis = new double[queries];
        double[] worstByKind = new double[mix.size()];
        for (int i = 0; i < queries; i++) {
            long start = System.nanoTime();
            mix.get(i % mix.size()).get();
            millis[i] = (System.nanoTime() - start) / 1_000_000.0;
            worstByKind[i % mix.size()] = Math.max(worstByKind[i % mix.size()], millis[i]);
        }
        Map<String, Double> slowest = new LinkedHashMap<>();
        for (int i = 0; i < SHAPES.size(); i++) {
            slowest.put(SHAPES.get(i), worstByKind[i]);
        }
        Arrays.sort(millis);
        return new Latency(queries, percentile(millis, 50), percentile(millis, 95), percentile(millis, 99), millis[millis.length - 1], slowest);
    }

    private static double percentile(double[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double seconds(long nanos) {
        return nanos / 1_000_000_000.0;
    }
}
