package dev.shepherd.plugins.windows.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.push.WakeQueue;
import dev.shepherd.push.WakeQueue.Outcome;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * Wakes Windows devices through the Windows Push Notification Services. A device's DMClient registers a WNS channel
 * for the MDM push package and reports its channel URI; a raw notification to that URI makes the device start a
 * management session, where it finds its commands.
 *
 * <p>The server authenticates to WNS with the package's SID and client secret (OAuth client credentials against
 * {@code wnsTokenUrl}) and keeps the access token until it expires; a 401 from WNS fetches a new one and sends again.
 * Wake-ups go through a {@link WakeQueue} (one per device, batches, backoff). Throttling (406, 429), WNS trouble
 * (5xx) and network errors are retried; a channel WNS calls unknown or expired (404, 410) is forgotten until the
 * device reports a new one.
 *
 * <p>Channel URIs come from devices, so only https URIs whose host is on {@code wnsAllowedHosts} are ever contacted:
 * otherwise an enrolled device could make the server send requests, with its WNS access token, anywhere. Channel
 * URIs, the client secret and access tokens grant pushing to devices and are never logged.
 *
 * <p>Plugin settings: {@code wnsPackageSid} and {@code wnsClientSecret} (without both, no pushes are sent),
 * {@code wnsTokenUrl} (default {@value #TOKEN_URL}), {@code wnsAllowedHosts} (comma-separated host names, a leading
 * {@code *.} for any subdomain; default {@value #ALLOWED_HOSTS}), {@code wnsTrustedCertificate} (a PEM file to trust
 * instead of the JDK's roots, for a relay with a private certificate), {@code wnsMaxAttempts} (default 5) and
 * {@code wnsRetryDelay} (first backoff, default PT1S).
 */
@Singleton
public final class WnsPusher implements AutoCloseable {

    /** Microsoft's token endpoint for WNS. */
    public static final String TOKEN_URL = "https://login.live.com/accesstoken.srf";
    /** The hosts WNS channel URIs live on. */
    public static final String ALLOWED_HOSTS = "*.notify.windows.com";
    private static final Logger log = LoggerFactory.getLogger(WnsPusher.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** A token is renewed this long before WNS would stop accepting it. */
    private static final Duration TOKEN_MARGIN = Duration.ofMinutes(1);
    private static final int BATCH_SIZE = 50;
    private static final int PARALLEL_PUSHES = 4;

    private record Settings(Optional<String> packageSid, Optional<String> clientSecret, URI tokenUrl, List<String> allowedHosts,
                            Optional<Path> trustedCertificate, WakeQueue.Settings queue) {

        boolean configured() {
            return packageSid.isPresent() && clientSecret.isPresent();
        }
    }

    private record AccessToken(String value, Instant expiresAt) {
    }

    private final PluginStorage storage;
    private final Settings settings;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final ExecutorService pushThreads;
    private final ExecutorService httpThreads;
    private final WakeQueue queue;
    private final Object tokenLock = new Object();
    private volatile HttpClient http;
    private volatile AccessToken token;

    @Inject
    public WnsPusher(PluginStorage storage, PluginConfig config, PluginIdentity identity) {
        this.storage = requireNonNull(storage, "storage is null");
        this.clock = Clock.systemUTC();
        this.settings = settings(requireNonNull(config, "config is null"));
        String pluginId = requireNonNull(identity, "identity is null").id();
        // Pushes wait for their answers on their own threads, so the HTTP client's threads are never all blocked by
        // the requests they serve.
        this.pushThreads = Executors.newFixedThreadPool(PARALLEL_PUSHES, WakeQueue.threads("wns-push", pluginId));
        this.httpThreads = Executors.newCachedThreadPool(WakeQueue.threads("wns-http", pluginId));
        this.queue = WakeQueue.start("WNS", pluginId, settings.queue(), this::send);
    }

    private static Settings settings(PluginConfig config) {
        URI tokenUrl;
        try {
            tokenUrl = URI.create(config.get("wnsTokenUrl", TOKEN_URL));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting 'wnsTokenUrl' is not a URL: " + e.getMessage(), e);
        }
        if (!"https".equals(tokenUrl.getScheme()) || tokenUrl.getHost() == null) {
            throw new IllegalArgumentException("plugin setting 'wnsTokenUrl' must be an https URL with a host: " + tokenUrl);
        }
        List<String> allowedHosts = Arrays.stream(config.get("wnsAllowedHosts", ALLOWED_HOSTS).split(","))
                .map(host -> host.trim().toLowerCase(Locale.ROOT)).filter(host -> !host.isEmpty()).toList();
        if (allowedHosts.isEmpty()) {
            throw new IllegalArgumentException("plugin setting 'wnsAllowedHosts' names no host");
        }
        int maxAttempts = config.getInt("wnsMaxAttempts", 5);
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("plugin setting 'wnsMaxAttempts' must be positive");
        }
        return new Settings(config.get("wnsPackageSid").filter(sid -> !sid.isBlank()), config.get("wnsClientSecret").filter(secret -> !secret.isBlank()),
                tokenUrl, allowedHosts, config.get("wnsTrustedCertificate").map(Path::of),
                new WakeQueue.Settings(BATCH_SIZE, maxAttempts, config.getDuration("wnsRetryDelay", Duration.ofSeconds(1))));
    }

    /**
     * Queues a wake-up for a device.
     *
     * @param windowsDeviceId the id the device's channel is stored under
     * @return false when it cannot be pushed: WNS is not configured, the device reported no channel, or its channel
     *         is not a WNS URI this server may contact
     */
    public boolean wake(String windowsDeviceId) {
        requireNonNull(windowsDeviceId, "windowsDeviceId is null");
        if (!queue.running() || !settings.configured()) {
            return false;
        }
        Optional<URI> channel = channel(windowsDeviceId);
        if (channel.isEmpty()) {
            return false;
        }
        if (!allowed(channel.get())) {
            error("the channel of " + windowsDeviceId + " is not an https URI on an allowed WNS host (" + channel.get().getHost() + "); it is not contacted");
            return false;
        }
        return queue.offer(windowsDeviceId);
    }

    /** @return the pushes so far; {@code gone} counts the channels forgotten */
    public WakeQueue.Statistics statistics() {
        return queue.statistics();
    }

    /** @return the storage key of a device's channel URI, which the management session writes */
    public static String channelKey(String windowsDeviceId) {
        return "wns-channel/" + windowsDeviceId;
    }

    private Optional<URI> channel(String deviceId) {
        return storage.get(channelKey(deviceId)).map(bytes -> new String(bytes, StandardCharsets.UTF_8).trim()).flatMap(text -> {
            try {
                return Optional.of(URI.create(text));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        });
    }

    /** An https URI without user info whose host is on the allow-list, exactly or under a {@code *.} suffix. */
    boolean allowed(URI channel) {
        if (!"https".equalsIgnoreCase(channel.getScheme()) || channel.getRawUserInfo() != null || channel.getHost() == null) {
            return false;
        }
        String host = channel.getHost().toLowerCase(Locale.ROOT);
        for (String allowed : settings.allowedHosts()) {
            if (allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) && host.length() > allowed.length() - 1 : host.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    /** One batch, a few pushes at a time; each push waits for its own answer. */
    private Map<String, Outcome> send(List<String> batch) {
        Map<String, CompletableFuture<Outcome>> outcomes = new LinkedHashMap<>();
        for (String deviceId : batch) {
            Optional<URI> channel = channel(deviceId);
            if (channel.isEmpty() || !allowed(channel.get())) {
                continue; // forgotten or replaced while queued
            }
            outcomes.put(deviceId, CompletableFuture.supplyAsync(() -> push(deviceId, channel.get()), pushThreads));
        }
        Map<String, Outcome> settled = new LinkedHashMap<>();
        outcomes.forEach((deviceId, outcome) -> {
            try {
                settled.put(deviceId, outcome.get(2 * REQUEST_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS));
            } catch (ExecutionException | TimeoutException e) {
                error("a push to " + deviceId + " did not finish: " + e.getMessage());
                settled.put(deviceId, Outcome.RETRY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                settled.put(deviceId, Outcome.RETRY);
            }
        });
        return settled;
    }

    /** One raw notification; a 401 means the access token is no longer accepted, so it is renewed once and sent again. */
    private Outcome push(String deviceId, URI channel) {
        try {
            for (int round = 1; ; round++) {
                AccessToken used = token();
                HttpRequest request = HttpRequest.newBuilder(channel)
                        .timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/octet-stream")
                        .header("X-WNS-Type", "wns/raw")
                        .header("Authorization", "Bearer " + used.value())
                        // The payload is not read: any raw notification makes DMClient start a session.
                        .POST(HttpRequest.BodyPublishers.ofByteArray("wake".getBytes(StandardCharsets.US_ASCII)))
                        .build();
                HttpResponse<String> response = client().send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    return Outcome.DELIVERED;
                }
                String reason = response.headers().firstValue("X-WNS-Error-Description")
                        .or(() -> response.headers().firstValue("WWW-Authenticate")).orElse("");
                if (status == 401 && round == 1) {
                    log.info("WNS no longer accepts the access token ({}); fetching a new one", reason);
                    invalidate(used);
                    continue;
                }
                if (status == 404 || status == 410) {
                    forget(deviceId, channel, status);
                    return Outcome.GONE;
                }
                if (status == 406 || status == 429 || status >= 500) {
                    error("WNS answered " + describe(status, reason) + " for " + deviceId);
                    return Outcome.RETRY;
                }
                error("WNS refused the push for " + deviceId + ": " + describe(status, reason));
                return Outcome.FAILED;
            }
        } catch (TokenException e) {
            error(e.getMessage());
            return Outcome.RETRY;
        } catch (IOException e) {
            error("WNS could not be reached for " + deviceId + ": " + e.getMessage());
            return Outcome.RETRY;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.RETRY;
        }
    }

    private static String describe(int status, String reason) {
        return reason.isBlank() ? Integer.toString(status) : status + " (" + reason + ")";
    }

    /** Forgets the channel only if it is still the one pushed to: the device may have reported a new one meanwhile. */
    private void forget(String deviceId, URI channel, int status) {
        if (channel(deviceId).filter(channel::equals).isPresent()) {
            storage.delete(channelKey(deviceId));
        }
        log.info("WNS answered {} for the channel of {}; it is forgotten until the device reports a new one", status, deviceId);
    }

    /** The cached access token, fetched when there is none or it is about to expire. */
    private AccessToken token() throws IOException, InterruptedException {
        synchronized (tokenLock) {
            AccessToken current = token;
            if (current != null && clock.instant().isBefore(current.expiresAt().minus(TOKEN_MARGIN))) {
                return current;
            }
            String form = "grant_type=client_credentials"
                    + "&client_id=" + URLEncoder.encode(settings.packageSid().orElseThrow(), StandardCharsets.UTF_8)
                    + "&client_secret=" + URLEncoder.encode(settings.clientSecret().orElseThrow(), StandardCharsets.UTF_8)
                    + "&scope=notify.windows.com";
            HttpRequest request = HttpRequest.newBuilder(settings.tokenUrl())
                    .timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form))
                    .build();
            HttpResponse<String> response = client().send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                // The body names the OAuth error (such as invalid_client); it holds no secret.
                throw new TokenException("the WNS access token could not be fetched: " + response.statusCode() + " " + oauthError(response.body()));
            }
            JsonNode body = json.readTree(response.body());
            if (body == null || !body.hasNonNull("access_token")) {
                throw new TokenException("the WNS token endpoint answered without an access token");
            }
            long seconds = body.path("expires_in").asLong(3600);
            AccessToken fetched = new AccessToken(body.get("access_token").asText(), clock.instant().plusSeconds(seconds));
            token = fetched;
            return fetched;
        }
    }

    private void invalidate(AccessToken rejected) {
        synchronized (tokenLock) {
            if (token == rejected) {
                token = null;
            }
        }
    }

    private String oauthError(String body) {
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.hasNonNull("error") ? node.get("error").asText() : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** One client for the token endpoint and every channel host; it trusts the configured certificate if there is one. */
    private HttpClient client() throws IOException {
        HttpClient existing = http;
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            if (http == null) {
                HttpClient.Builder builder = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .executor(httpThreads);
                if (settings.trustedCertificate().isPresent()) {
                    builder.sslContext(trusting(settings.trustedCertificate().get()));
                }
                http = builder.build();
            }
            return http;
        }
    }

    private static SSLContext trusting(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("trusted-" + index++, certificate);
            }
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trustManagers.getTrustManagers(), null);
            return tls;
        } catch (GeneralSecurityException e) {
            throw new IOException("plugin setting 'wnsTrustedCertificate' cannot be used: " + e.getMessage(), e);
        }
    }

    private void error(String message) {
        queue.error(message);
    }

    /** Stops sending; queued wake-ups are dropped, since devices fetch their commands at their next session anyway. */
    @Override
    public void close() {
        queue.close();
        pushThreads.shutdownNow();
        httpThreads.shutdownNow();
    }

    private static final class TokenException extends IOException {
        TokenException(String message) {
            super(message);
        }
    }
}
