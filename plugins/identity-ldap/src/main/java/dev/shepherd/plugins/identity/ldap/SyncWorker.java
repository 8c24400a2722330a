package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.config.PluginIdentity;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's one sync thread: syncs every {@code syncInterval} on the node that holds the plugin's lease (so a
 * cluster reads the directory once, not once per node) and whenever an admin asks, one sync at a time. Keeps how
 * the last sync went and why the last one failed, for the status endpoint.
 */
@Singleton
public final class SyncWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SyncWorker.class);

    /**
     * Why the last sync failed.
     *
     * @param at when
     * @param message what went wrong, in the directory's words (never a password)
     */
    public record SyncFailure(Instant at, String message) {
        /** Validates every part. */
        public SyncFailure {
            requireNonNull(at, "at is null");
            requireNonNull(message, "message is null");
        }
    }

    private final LdapSync sync;
    private final Leadership leadership;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor thread;
    private final AtomicInteger syncsUnderWay = new AtomicInteger();
    private volatile Optional<LdapSync.Report> lastSync = Optional.empty();
    private volatile Optional<SyncFailure> lastFailure = Optional.empty();

    @Inject
    public SyncWorker(LdapSync sync, LdapConnections connections, Leadership leadership, PluginIdentity identity) {
        this.sync = requireNonNull(sync, "sync is null");
        this.leadership = requireNonNull(leadership, "leadership is null");
        this.clock = Clock.systemUTC();
        String pluginId = requireNonNull(identity, "identity is null").id();
        thread = new ScheduledThreadPoolExecutor(1, task -> {
            Thread worker = new Thread(() -> {
                MDC.put("plugin", pluginId);
                task.run();
            }, "ldap-sync-" + pluginId);
            worker.setDaemon(true);
            return worker;
        });
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        LdapSettings settings = connections.settings();
        long intervalMillis = settings.syncInterval().toMillis();
        if (settings.configured() && intervalMillis > 0) {
            thread.scheduleWithFixedDelay(this::scheduledSync, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Queues a sync after any under way.
     *
     * @return its outcome
     * @throws RejectedExecutionException when the plugin is stopping
     */
    public Future<LdapSync.Report> requestSync() {
        syncsUnderWay.incrementAndGet();
        try {
            return thread.submit(() -> {
                try {
                    return syncNow();
                } finally {
                    syncsUnderWay.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            syncsUnderWay.decrementAndGet();
            throw e;
        }
    }

    /** @return whether a sync is queued or running */
    public boolean syncing() {
        return syncsUnderWay.get() > 0;
    }

    /** @return the last sync that succeeded */
    public Optional<LdapSync.Report> lastSync() {
        return lastSync;
    }

    /** @return why the last sync failed, when the last one did */
    public Optional<SyncFailure> lastFailure() {
        return lastFailure;
    }

    private void scheduledSync() {
        if (!leadership.isLeader()) {
            return; // another node syncs
        }
        try {
            syncNow();
        } catch (LDAPException | RuntimeException e) {
            // Kept in lastFailure; the next round tries again.
        }
    }

    private LdapSync.Report syncNow() throws LDAPException {
        try {
            LdapSync.Report report = sync.sync();
            lastSync = Optional.of(report);
            lastFailure = Optional.empty();
            return report;
        } catch (LDAPException e) {
            lastFailure = Optional.of(new SyncFailure(clock.instant(), e.getExceptionMessage()));
            log.warn("Directory sync failed, no one was deactivated: {}", e.getExceptionMessage());
            throw e;
        } catch (RuntimeException e) {
            lastFailure = Optional.of(new SyncFailure(clock.instant(), String.valueOf(e.getMessage())));
            log.warn("Directory sync failed, no one was deactivated", e);
            throw e;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
