package dev.shepherd.plugins.android;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * What the plugin's parts share for one generation: its checked settings, one HTTP client for Google, and how the
 * calls to Google have gone, which the admin endpoints show so a refused permission or an exhausted quota is seen
 * where it can be fixed rather than only in the log.
 */
@Singleton
public final class AndroidPluginContext {

    /** How the calls to Google have gone since the plugin started. */
    public record GoogleStatus(long calls, long retried, long failed, Optional<String> lastError, Optional<Instant> lastErrorAt) {
    }

    private final AndroidSettings settings;
    private final String pluginId;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Clock clock = Clock.systemUTC();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> lastErrorAt = Optional.empty();

    @Inject
    public AndroidPluginContext(PluginConfig config, PluginIdentity identity) {
        this.settings = AndroidSettings.from(requireNonNull(config, "config is null"));
        this.pluginId = requireNonNull(identity, "identity is null").id();
    }

    /** @return the plugin's settings */
    public AndroidSettings settings() {
        return settings;
    }

    /** @return the plugin's id, for thread names and log context */
    public String pluginId() {
        return pluginId;
    }

    HttpClient http() {
        return http;
    }

    void called() {
        calls.incrementAndGet();
    }

    void retried() {
        retried.incrementAndGet();
    }

    void failed(String message) {
        failed.incrementAndGet();
        lastError = Optional.of(message);
        lastErrorAt = Optional.of(clock.instant());
    }

    /** @return how the calls to Google have gone */
    public GoogleStatus googleStatus() {
        return new GoogleStatus(calls.get(), retried.get(), failed.get(), lastError, lastErrorAt);
    }
}
