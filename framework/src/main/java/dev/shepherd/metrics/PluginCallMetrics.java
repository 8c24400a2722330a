package dev.shepherd.metrics;

import dev.shepherd.plugin.PluginCallObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Times every call into a plugin by plugin and outcome ({@code shepherd_plugin_calls_seconds}, with a latency
 * histogram): its count by outcome gives failures, timeouts and breaker refusals per plugin.
 */
public final class PluginCallMetrics implements PluginCallObserver {

    private record Series(String pluginId, Outcome outcome) {
    }

    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    public PluginCallMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    @Override
    public void called(String pluginId, Outcome outcome, long nanos) {
        timers.computeIfAbsent(new Series(pluginId, outcome), series -> Timer.builder("shepherd.plugin.calls")
                .description("Calls into plugins by plugin and outcome (ok, refused, failed, timeout, busy, out_of_service)")
                .tag("plugin", series.pluginId())
                .tag("outcome", series.outcome().name().toLowerCase(Locale.ROOT))
                .serviceLevelObjectives(ServerMetrics.LATENCY_BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }
}
