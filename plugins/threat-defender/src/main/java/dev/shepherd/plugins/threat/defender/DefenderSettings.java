package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.config.PluginConfig;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How the plugin talks to Microsoft, from {@code plugins.config.threat-defender} in {@code conf/shepherd.yaml}. The
 * credentials and the API region are not here: admins set them through the plugin's settings endpoint
 * ({@link DefenderCredentials}).
 *
 * @param loginUrl Entra's sign-in authority ({@code loginUrl}, default {@code https://login.microsoftonline.com}); the
 *        token endpoint is {@code {loginUrl}/{tenantId}/oauth2/v2.0/token}. Tests point it at a local fake
 * @param portalUrl the Microsoft Defender portal ({@code portalUrl}, default {@code https://security.microsoft.com}),
 *        where each alert's page is {@code {portalUrl}/alerts/{alertId}}: Defender's API gives no alert URL itself
 * @param pollInterval how often the kernel polls ({@code pollInterval}, ISO-8601, default 5 minutes)
 * @param staleAfter how long Defender may stay silent before its verdicts are stale ({@code staleAfter}); empty for
 *        the server's default
 * @param pageSize machines asked for per page ({@code pageSize}, 1 to 10,000, Defender's maximum; default 1,000)
 * @param alertLookupsPerPoll machines whose alerts are read in one poll ({@code alertLookupsPerPoll}, default 25); a
 *        page with more risky machines is finished in later polls
 * @param maxAlertsPerMachine active alerts kept per machine ({@code maxAlertsPerMachine}, default 50)
 * @param callsPerMinute calls to Defender's API per minute ({@code callsPerMinute}, default 100, Defender's limit)
 * @param callsPerHour calls to Defender's API per hour ({@code callsPerHour}, default 1,500, Defender's limit)
 * @param overlap how far before the previous sweep's start a changed-since sweep reads ({@code overlap}, default 10
 *        minutes), so a machine whose report landed while the previous sweep ran is not missed
 * @param fullSweepEvery how often a sweep reads every machine rather than those seen since ({@code fullSweepEvery},
 *        default 1 hour): Defender stamps {@code lastSeen} with a machine's full report, which can come a day apart,
 *        while its risk score changes with its alerts, so changed-since sweeps alone would miss risk changes
 * @param timeout how long one request may take ({@code timeout}, default 30 seconds)
 * @param maxResponseBytes the largest answer read ({@code maxResponseBytes}, default 32 MiB: a page of 10,000
 *        machines is about 20 MiB)
 */
public record DefenderSettings(URI loginUrl, URI portalUrl, Duration pollInterval, Optional<Duration> staleAfter,
                               int pageSize, int alertLookupsPerPoll, int maxAlertsPerMachine, int callsPerMinute,
                               int callsPerHour, Duration overlap, Duration fullSweepEvery, Duration timeout,
                               int maxResponseBytes) {

    /** Entra's public cloud. */
    public static final String ENTRA_LOGIN_URL = "https://login.microsoftonline.com";
    /** The Microsoft Defender portal. */
    public static final String DEFENDER_PORTAL_URL = "https://security.microsoft.com";
    /** Defender's largest page ({@code $top}). */
    public static final int MAX_PAGE_SIZE = 10_000;

    /** Validates every part. */
    public DefenderSettings {
        requireNonNull(loginUrl, "loginUrl is null");
        requireNonNull(portalUrl, "portalUrl is null");
        requireNonNull(pollInterval, "pollInterval is null");
        requireNonNull(staleAfter, "staleAfter is null");
        requireNonNull(overlap, "overlap is null");
        requireNonNull(fullSweepEvery, "fullSweepEvery is null");
        requireNonNull(timeout, "timeout is null");
        if (pollInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("plugin setting 'pollInterval' must be at least one second: " + pollInterval);
        }
        if (staleAfter.filter(age -> age.isNegative() || age.isZero()).isPresent()) {
            throw new IllegalArgumentException("plugin setting 'staleAfter' must be positive: " + staleAfter.get());
        }
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("plugin setting 'pageSize' must be 1 to 10000 (Defender's largest page): " + pageSize);
        }
        if (alertLookupsPerPoll < 1 || maxAlertsPerMachine < 1) {
            throw new IllegalArgumentException("plugin settings 'alertLookupsPerPoll' and 'maxAlertsPerMachine' must be positive");
        }
        if (callsPerMinute < 2 || callsPerHour < callsPerMinute) {
            throw new IllegalArgumentException("plugin settings 'callsPerMinute' must be at least 2 and 'callsPerHour' at least 'callsPerMinute'");
        }
        if (overlap.isNegative() || fullSweepEvery.isNegative() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("plugin settings 'overlap', 'fullSweepEvery' and 'timeout' must not be negative");
        }
        if (maxResponseBytes < 64 * 1024) {
            throw new IllegalArgumentException("plugin setting 'maxResponseBytes' must be at least 65536");
        }
    }

    /**
     * @param config the plugin's settings
     * @return the settings, Microsoft's defaults where unset
     * @throws IllegalArgumentException naming the setting that is malformed
     */
    public static DefenderSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        return new DefenderSettings(url(config, "loginUrl", ENTRA_LOGIN_URL), url(config, "portalUrl", DEFENDER_PORTAL_URL),
                config.getDuration("pollInterval", Duration.ofMinutes(5)),
                config.get("staleAfter").map(value -> config.getDuration("staleAfter", Duration.ZERO)),
                config.getInt("pageSize", 1_000), config.getInt("alertLookupsPerPoll", 25), config.getInt("maxAlertsPerMachine", 50),
                config.getInt("callsPerMinute", 100), config.getInt("callsPerHour", 1_500),
                config.getDuration("overlap", Duration.ofMinutes(10)), config.getDuration("fullSweepEvery", Duration.ofHours(1)),
                config.getDuration("timeout", Duration.ofSeconds(30)), config.getInt("maxResponseBytes", 32 * 1024 * 1024));
    }

    private static URI url(PluginConfig config, String key, String defaultValue) {
        String value = config.get(key, defaultValue).trim();
        URI uri;
        try {
            uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a URL: " + value, e);
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be an http(s) URL: " + value);
        }
        return uri;
    }
}
