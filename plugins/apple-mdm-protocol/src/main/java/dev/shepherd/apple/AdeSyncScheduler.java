package dev.shepherd.apple;

import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.device.Platform;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Syncs every server token's devices on a schedule, once per cluster: a thread of the plugin looks every minute (or
 * every interval, when shorter) and, on the node holding the plugin's {@value #JOB} lease, syncs each token whose
 * last sync ({@link AdeDeviceSync#lastSync}, kept in the shared storage, manual syncs included) is older than plugin
 * setting {@value #INTERVAL_SETTING} (an ISO-8601 duration, default {@code PT30M}; {@code PT0S} turns the schedule
 * off). Apple's sync cursor must not be older than seven days ("Sync the List of Devices"), so any interval below
 * that keeps later runs incremental. A token Apple throttled (429 or 503 with {@code Retry-After}) is not called
 * again before the time Apple named, whatever the interval. Failures are kept for the token page and logged; the next
 * round tries again.
 */
@Singleton
public final class AdeSyncScheduler implements AutoCloseable {

    /** Plugin setting: how often each token is synced. */
    static final String INTERVAL_SETTING = "adeSyncInterval";
    /** The plugin's lease for the schedule, so that a cluster calls Apple once per round. */
    static final String JOB = "ade-sync";
    private static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(30);
    private static final Duration LONGEST_LOOK = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(AdeSyncScheduler.class);

    private final Leadership leadership;
    private final Clock clock;
    private final Duration interval;
    private final List<AdeDeviceSync> syncs = new CopyOnWriteArrayList<>();
    private final Map<Platform, Runnable> releaseLooks = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor thread;

    @Inject
    public AdeSyncScheduler(Leadership leadership, PluginConfig config, PluginIdentity identity, Clock clock) {
        this(leadership, interval(requireNonNull(config, "config is null")), requireNonNull(identity, "identity is null").id(), clock, true);
    }

    /** @param start whether to look on a timer; tests call {@link #runDue} themselves */
    AdeSyncScheduler(Leadership leadership, Duration interval, String pluginId, Clock clock, boolean start) {
        this.leadership = requireNonNull(leadership, "leadership is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.clock = requireNonNull(clock, "clock is null");
        thread = new ScheduledThreadPoolExecutor(1, task -> {
            Thread worker = new Thread(() -> {
                MDC.put("plugin", pluginId);
                task.run();
            }, "ade-sync-" + pluginId);
            worker.setDaemon(true);
            return worker;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        if (start && !interval.isZero()) {
            long lookMillis = Math.min(interval.toMillis(), LONGEST_LOOK.toMillis());
            thread.scheduleWithFixedDelay(this::runDueQuietly, lookMillis, lookMillis, TimeUnit.MILLISECONDS);
        }
        if (start) {
            // Devices held in Setup Assistant past their timeout are looked for whether or not syncs are scheduled.
            thread.scheduleWithFixedDelay(this::runReleasesQuietly, LONGEST_LOOK.toMillis(), LONGEST_LOOK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static Duration interval(PluginConfig config) {
        Optional<String> text = config.get(INTERVAL_SETTING);
        if (text.isEmpty()) {
            return DEFAULT_INTERVAL;
        }
        try {
            Duration parsed = Duration.parse(text.get().trim());
            if (parsed.isNegative()) {
                throw new IllegalArgumentException("plugin setting '" + INTERVAL_SETTING + "' must not be negative: " + text.get());
            }
            return parsed;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("plugin setting '" + INTERVAL_SETTING + "' is not an ISO-8601 duration such as PT30M: "
                    + text.get(), e);
        }
    }

    /** Adds a platform's sync to the schedule (each Apple plugin has one). */
    void schedule(AdeDeviceSync sync) {
        requireNonNull(sync, "sync is null");
        // One per platform: a plugin that builds its endpoint again replaces the sync it scheduled before.
        syncs.removeIf(scheduled -> scheduled.platform().equals(sync.platform()));
        syncs.add(sync);
    }

    /**
     * Adds a platform's look for ADE devices held past their await timeout (each Apple plugin has one): it wakes them,
     * so that a device that fell silent in Setup Assistant is released ({@link AdeAwaitConfiguration#overdueToWake}).
     * A plugin that builds its endpoint again replaces the look it added before.
     */
    void watchReleases(Platform platform, Runnable look) {
        releaseLooks.put(requireNonNull(platform, "platform is null"), requireNonNull(look, "look is null"));
    }

    /**
     * One round of the release looks, on the node that holds the lease.
     *
     * @return how many looks ran
     */
    int runReleases() {
        if (releaseLooks.isEmpty() || !leadership.isLeader(JOB)) {
            return 0;
        }
        int ran = 0;
        for (Runnable look : releaseLooks.values()) {
            try {
                look.run();
                ran++;
            } catch (RuntimeException e) {
                log.warn("A look for ADE devices past their await timeout failed; the next round tries again", e);
            }
        }
        return ran;
    }

    private void runReleasesQuietly() {
        try {
            runReleases();
        } catch (RuntimeException e) {
            log.warn("A round of looks for ADE devices past their await timeout failed; the next round tries again", e);
        }
    }

    /**
     * One round: on the node that holds the lease, syncs each token that is due and not throttled.
     *
     * @return how many tokens were synced, successfully or not
     */
    int runDue() {
        if (syncs.isEmpty() || !leadership.isLeader(JOB)) {
            return 0;
        }
        int ran = 0;
        for (AdeDeviceSync sync : syncs) {
            for (String token : sync.tokenNames()) {
                if (!due(sync.lastSync(token), clock.instant())) {
                    continue;
                }
                ran++;
                try {
                    AdeDeviceSync.Result result = sync.syncAndRecord(token);
                    log.info("ADE devices of token {} synchronised on schedule: {}", token, result);
                } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
                    log.warn("Scheduled ADE sync of token {} refused by Apple: {}", token, e.getMessage());
                } catch (RuntimeException e) {
                    log.warn("Scheduled ADE sync of token {} failed; the next round tries again", token, e);
                }
            }
        }
        return ran;
    }

    private boolean due(Optional<AdeDeviceSync.SyncStatus> last, Instant now) {
        if (last.isEmpty()) {
            return true;
        }
        if (last.get().retryAfter().filter(now::isBefore).isPresent()) {
            return false;
        }
        return !now.isBefore(last.get().at().plus(interval));
    }

    private void runDueQuietly() {
        try {
            runDue();
        } catch (RuntimeException e) {
            log.warn("A round of scheduled ADE syncs failed; the next round tries again", e);
        }
    }

    /** Stops the schedule with the plugin, so that an old generation's thread does not outlive it. */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
