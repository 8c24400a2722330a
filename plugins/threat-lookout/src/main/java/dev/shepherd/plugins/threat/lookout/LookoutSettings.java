package dev.shepherd.plugins.threat.lookout;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The connector's settings. What an admin sets through {@link LookoutSettingsEndpoint} lives in the plugin's storage:
 * the application key (sealed with the server's key, never returned) and the API's base URL (Lookout's
 * {@code https://api.lookout.com} unless set; plain {@code http} only to a loopback address, for tests). How the
 * connector paces itself comes from {@code plugins.config.threat-lookout.*} in {@code conf/shepherd.yaml}.
 */
@Singleton
public final class LookoutSettings {

    /** Lookout's production API. */
    public static final URI DEFAULT_BASE_URL = URI.create("https://api.lookout.com");
    /** Longer than any key Lookout issues (its keys are JWTs of a few hundred characters). */
    static final int MAX_KEY_CHARS = 8192;

    private static final String KEY = "settings/application-key";
    private static final String BASE_URL = "settings/api-base-url";

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final PluginConfig config;

    @Inject
    public LookoutSettings(PluginStorage storage, SecretSealer sealer, PluginConfig config) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.config = requireNonNull(config, "config is null");
    }

    /** @return the application key, when one is set */
    public Optional<String> applicationKey() {
        return storage.get(KEY).map(sealed -> new String(sealer.open(sealed), StandardCharsets.UTF_8));
    }

    /** @return whether an application key is set, without opening it */
    public boolean applicationKeySet() {
        return storage.get(KEY).isPresent();
    }

    /**
     * @param key the application key from Lookout's console
     * @throws IllegalArgumentException for an empty, too long or non-printable key (the message never repeats it)
     */
    public void setApplicationKey(String key) {
        storage.put(KEY, sealer.seal(checkedApplicationKey(key).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @return the key without surrounding white space
     * @throws IllegalArgumentException for an empty, too long or non-printable key (the message never repeats it)
     */
    static String checkedApplicationKey(String key) {
        requireNonNull(key, "key is null");
        String trimmed = key.strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_KEY_CHARS || !trimmed.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("applicationKey must be 1 to " + MAX_KEY_CHARS
                    + " printable ASCII characters without spaces, as Lookout's console shows it");
        }
        return trimmed;
    }

    /** @return whether there was a key */
    public boolean removeApplicationKey() {
        return storage.delete(KEY);
    }

    /** @return the API's base URL, without a trailing slash */
    public URI baseUrl() {
        return storage.get(BASE_URL).map(bytes -> URI.create(new String(bytes, StandardCharsets.UTF_8))).orElse(DEFAULT_BASE_URL);
    }

    /**
     * @param text an https URL with no path, query or user info; http only to a loopback address
     * @throws IllegalArgumentException naming what is wrong
     */
    public void setBaseUrl(String text) {
        storage.put(BASE_URL, checkedBaseUrl(text).toString().getBytes(StandardCharsets.UTF_8));
    }

    static URI checkedBaseUrl(String text) {
        requireNonNull(text, "text is null");
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("apiBaseUrl is not a URL: " + e.getReason());
        }
        String scheme = Optional.ofNullable(uri.getScheme()).map(s -> s.toLowerCase(Locale.ROOT)).orElse("");
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
            throw new IllegalArgumentException("apiBaseUrl must be a scheme, a host and an optional port only, such as "
                    + DEFAULT_BASE_URL);
        }
        if (!scheme.equals("https") && !(scheme.equals("http") && isLoopback(uri.getHost()))) {
            throw new IllegalArgumentException("apiBaseUrl must use https (plain http is accepted for a loopback address only)");
        }
        return URI.create(scheme + "://" + uri.getRawAuthority());
    }

    private static boolean isLoopback(String host) {
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (bare.equalsIgnoreCase("localhost")) {
            return true;
        }
        // Only literal addresses: a name is never resolved here, so DNS cannot turn it into a loopback address.
        if (!bare.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return false;
        }
        try {
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** @return how often the kernel polls: the stream is read for a moment each time (default 30 s) */
    public Duration pollInterval() {
        return atLeast(config.getDuration("pollInterval", Duration.ofSeconds(30)), Duration.ofSeconds(1), "pollInterval");
    }

    /** @return how long one poll reads the event stream at most (default 10 s, well inside the kernel's call timeout) */
    public Duration streamReadTime() {
        return atLeast(config.getDuration("streamReadTime", Duration.ofSeconds(10)), Duration.ofMillis(100), "streamReadTime");
    }

    /**
     * @return how long the stream may bring no event before a poll ends early (default 3 s); Lookout's heartbeats,
     *         every 5 s, keep the connection open but do not count as events
     */
    public Duration streamIdleTime() {
        return atLeast(config.getDuration("streamIdleTime", Duration.ofSeconds(3)), Duration.ofMillis(50), "streamIdleTime");
    }

    /** @return the most events one poll turns into assessments (default 1,000); the rest wait for the next poll */
    public int maxEventsPerPoll() {
        return Math.max(1, config.getInt("maxEventsPerPoll", 1000));
    }

    /** @return devices or threats asked for per page (default and Lookout's maximum: 1,000) */
    public int pageSize() {
        return Math.min(1000, Math.max(1, config.getInt("pageSize", 1000)));
    }

    /** @return how long one REST call may take (default 30 s) */
    public Duration requestTimeout() {
        return atLeast(config.getDuration("requestTimeout", Duration.ofSeconds(30)), Duration.ofMillis(100), "requestTimeout");
    }

    private static Duration atLeast(Duration value, Duration minimum, String key) {
        if (value.compareTo(minimum) < 0) {
            throw new IllegalArgumentException("plugins.config.threat-lookout." + key + " must be at least " + minimum);
        }
        return value;
    }
}
