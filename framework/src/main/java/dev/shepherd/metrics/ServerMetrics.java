package dev.shepherd.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The server's meters, in one registry per server (tests run several servers in one JVM, so nothing goes into
 * Micrometer's global registry). Every series carries the {@code node} tag, so the series of several nodes behind
 * one load balancer stay apart. The JVM's and the process's own meters (memory, GC, threads, class loading, CPU,
 * uptime, file descriptors) are bound at once; the kernel's are added by the parts that own them.
 */
public final class ServerMetrics implements AutoCloseable {

    /** The tag naming the node a series comes from. */
    public static final String NODE_TAG = "node";

    /**
     * The latency histograms' bucket bounds: a dozen fixed ones from 5 ms to 30 s, rather than Micrometer's ~70
     * percentile buckets, since every route and status multiplies them; enough to read p50/p99 and alert on
     * thresholds such as 50 ms.
     */
    public static final Duration[] LATENCY_BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000)
            .map(Duration::ofMillis).toArray(Duration[]::new);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();
    private final List<Runnable> beforeScrape = new ArrayList<>();

    /** @param nodeName this node's name, tagged on every series */
    public ServerMetrics(String nodeName) {
        requireNonNull(nodeName, "nodeName is null");
        // Set before any meter is registered: common tags apply to meters registered after them only.
        registry.config().commonTags(Tags.of(NODE_TAG, nodeName));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
    }

    /** @return the registry the kernel's parts register their meters in */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Adds work to do before each scrape, such as refreshing gauges read from the store (each such refresher keeps
     * its own minimum interval, so a scrape does not cost a query every time).
     */
    public synchronized void beforeScrape(Runnable refresh) {
        beforeScrape.add(requireNonNull(refresh, "refresh is null"));
    }

    /** @return every series in the Prometheus text format */
    public String scrape() {
        List<Runnable> refreshers;
        synchronized (this) {
            refreshers = List.copyOf(beforeScrape);
        }
        refreshers.forEach(Runnable::run);
        return registry.scrape();
    }

    @Override
    public void close() {
        for (AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (Exception ignored) {
                // a listener that cannot be removed goes with the JVM
            }
        }
        registry.close();
    }
}
