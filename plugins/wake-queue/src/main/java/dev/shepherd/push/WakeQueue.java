package dev.shepherd.push;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * The wake-ups a platform plugin sends through a push service (APNs, WNS), one per device key: a device already
 * waiting for its push is not queued twice; wake-ups go out in batches on one sender thread; those the service could
 * not take now (throttling, its own trouble, the network) come back after an exponential backoff, up to a number of
 * attempts. Pushes are hints — a device that misses one gets its commands at its next contact anyway — so the queue
 * lives in memory and is dropped on close.
 *
 * <p>What a push is, and what the service's answers mean, is the {@link Sender}'s business.
 */
public final class WakeQueue implements AutoCloseable {

    /** What became of one push. */
    public enum Outcome {
        /** The service took it. */
        DELIVERED,
        /** Not now: sent again after a backoff. */
        RETRY,
        /** The device's address (token, channel) is dead; the sender has forgotten it. */
        GONE,
        /** Refused for good. */
        FAILED
    }

    /** Sends one batch of wake-ups. */
    @FunctionalInterface
    public interface Sender {
        /**
         * @param keys the devices to wake, each once
         * @return an outcome for each key pushed to; a key left out (nothing to push to any more) is dropped
         * @throws InterruptedException when the queue is closing
         */
        Map<String, Outcome> send(List<String> keys) throws InterruptedException;
    }

    /**
     * @param batchSize the most wake-ups handed to the sender at once
     * @param maxAttempts the most times one wake-up is tried
     * @param firstRetryDelay the first backoff; each retry doubles it, up to {@link #MAX_RETRY_DELAY}
     */
    public record Settings(int batchSize, int maxAttempts, Duration firstRetryDelay) {
        public Settings {
            if (batchSize < 1 || maxAttempts < 1) {
                throw new IllegalArgumentException("the batch size and the number of attempts must be positive");
            }
            requireNonNull(firstRetryDelay, "firstRetryDelay is null");
        }
    }

    /**
     * How the pushes have gone since the queue started, for admins.
     *
     * @param queued wake-ups waiting now
     * @param gone device addresses the service called dead
     */
    public record Statistics(int queued, long delivered, long retried, long failed, long gone, Optional<String> lastError,
                             Optional<Instant> lastErrorAt) {
    }

    /** The longest backoff between two attempts. */
    public static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(WakeQueue.class);

    /** One device's wake-up, due at a moment: retries wait out their backoff in the same queue. */
    private record Wake(String key, int attempt, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(dueNanos, ((Wake) other).dueNanos);
        }
    }

    private final String service;
    private final Settings settings;
    private final Sender sender;
    private final Clock clock;
    private final DelayQueue<Wake> pending = new DelayQueue<>();
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong gone = new AtomicLong();
    private final Thread thread;
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> lastErrorAt = Optional.empty();
    private volatile boolean running = true;

    private WakeQueue(String service, String pluginId, Settings settings, Sender sender, Clock clock) {
        this.service = requireNonNull(service, "service is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.sender = requireNonNull(sender, "sender is null");
        this.clock = requireNonNull(clock, "clock is null");
        requireNonNull(pluginId, "pluginId is null");
        // One sender per queue, named for the service and the plugin (such as wns-sender-windows), as operators see it.
        this.thread = new Thread(() -> {
            MDC.put("plugin", pluginId);
            run();
        }, service.toLowerCase(Locale.ROOT) + "-sender-" + pluginId);
        this.thread.setDaemon(true);
    }

    /**
     * Starts a queue and its sender thread.
     *
     * @param service the push service's name, for log lines and thread names, such as {@code APNs}
     * @param pluginId the plugin's id, put on every log line of the sender thread
     */
    public static WakeQueue start(String service, String pluginId, Settings settings, Sender sender) {
        WakeQueue queue = new WakeQueue(service, pluginId, settings, sender, Clock.systemUTC());
        queue.thread.start();
        return queue;
    }

    /**
     * Daemon threads whose log lines carry the plugin's id, as the kernel's plugin threads do.
     *
     * @param prefix the threads' names start with it
     */
    public static ThreadFactory threads(String prefix, String pluginId) {
        requireNonNull(prefix, "prefix is null");
        requireNonNull(pluginId, "pluginId is null");
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(() -> {
                MDC.put("plugin", pluginId);
                task.run();
            }, prefix + "-" + pluginId + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Queues a wake-up, unless the device already waits for one.
     *
     * @return false once the queue is closed
     */
    public boolean offer(String key) {
        requireNonNull(key, "key is null");
        if (!running) {
            return false;
        }
        if (waiting.add(key)) {
            pending.add(new Wake(key, 1, System.nanoTime()));
        }
        return true;
    }

    /** Logs a problem with the service and keeps it as the last error admins see. */
    public void error(String message) {
        log.warn("{}: {}", service, message);
        lastError = Optional.of(message);
        lastErrorAt = Optional.of(clock.instant());
    }

    /** @return the pushes so far */
    public Statistics statistics() {
        return new Statistics(waiting.size(), delivered.get(), retried.get(), failed.get(), gone.get(), lastError, lastErrorAt);
    }

    /** @return whether the queue still takes wake-ups */
    public boolean running() {
        return running;
    }

    private void run() {
        while (running) {
            try {
                List<Wake> batch = new ArrayList<>();
                batch.add(pending.take());
                pending.drainTo(batch, settings.batchSize() - 1);
                batch.forEach(wake -> waiting.remove(wake.key()));
                settle(batch, sender.send(batch.stream().map(Wake::key).toList()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // Never let one bad batch stop wake-ups for good.
                error("sending pushes failed: " + e.getMessage());
            }
        }
    }

    private void settle(List<Wake> batch, Map<String, Outcome> outcomes) {
        for (Wake wake : batch) {
            Outcome outcome = outcomes.get(wake.key());
            if (outcome == null) {
                continue;
            }
            switch (outcome) {
                case DELIVERED -> delivered.incrementAndGet();
                case GONE -> gone.incrementAndGet();
                case FAILED -> failed.incrementAndGet();
                case RETRY -> retry(wake);
            }
        }
    }

    private void retry(Wake wake) {
        if (wake.attempt() >= settings.maxAttempts() || !running) {
            failed.incrementAndGet();
            log.warn("Giving up waking {} through {} after {} attempts; it gets its commands when it next contacts the server",
                    wake.key(), service, wake.attempt());
            return;
        }
        if (!waiting.add(wake.key())) {
            return; // a fresh wake-up for the device is already queued
        }
        retried.incrementAndGet();
        long delay = Math.min(settings.firstRetryDelay().toNanos() << Math.min(wake.attempt() - 1, 30), MAX_RETRY_DELAY.toNanos());
        pending.add(new Wake(wake.key(), wake.attempt() + 1, System.nanoTime() + delay));
    }

    /** Stops sending; queued wake-ups are dropped, since devices fetch their commands at their next contact anyway. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        pending.clear();
        waiting.clear();
    }
}
