package dev.shepherd.metrics;

import dev.shepherd.api.device.Device;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * Counts the wake-up pushes the kernel sends ({@code shepherd_pushes_total}) by platform and outcome: {@code sent}
 * when the platform's plugin took the push, {@code failed} when none did (no plugin running for the platform, or the
 * plugin declined or failed; the plugin's own failures show in {@code shepherd_plugin_calls_seconds}).
 */
public final class PushMetrics {

    private record Series(String platform, boolean sent) {
    }

    private final Map<Series, Counter> counters = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    public PushMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    /** @return the push, counted */
    public Predicate<Device> counting(Predicate<Device> push) {
        requireNonNull(push, "push is null");
        return device -> {
            boolean taken = false;
            try {
                taken = push.test(device);
                return taken;
            } finally {
                counters.computeIfAbsent(new Series(device.platform().id(), taken), series -> Counter.builder("shepherd.pushes")
                        .description("Wake-up pushes by platform and outcome (sent, failed)")
                        .tag("platform", series.platform()).tag("outcome", series.sent() ? "sent" : "failed")
                        .register(registry)).increment();
            }
        };
    }
}
