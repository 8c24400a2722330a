package dev.shepherd.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Wakes Apple devices through the Apple Push Notification service: an HTTP/2 request per device to
 * {@code /3/device/<token>}, authenticated by the uploaded MDM push certificate, with the certificate's topic and the
 * device's {@code PushMagic} as the {@code mdm} payload.
 *
 * <p>Wake-ups are queued and sent in batches whose requests share one HTTP/2 connection as concurrent streams. A
 * device already waiting for its push is not queued twice. Throttling (429), APNs trouble (5xx) and network errors
 * are retried with exponential backoff; a token APNs calls unregistered or bad is forgotten until the device sends
 * a new one, since pushing to it again would only be refused. Pushes are hints: a device that misses one still gets
 * its commands when it next contacts the server, so the queue lives in memory.
 *
 * <p>Plugin settings: {@code apnsUrl} (default Apple's production service; {@code https://api.sandbox.push.apple.com}
 * for development certificates, or a relay), {@code apnsTrustedCertificate} (a PEM file to trust instead of the
 * JDK's roots, for a relay with a private certificate), {@code apnsBatchSize} (concurrent streams, default 100),
 * {@code apnsMaxAttempts} (default 5), {@code apnsRetryDelay} (first backoff, default PT1S) and
 * {@code apnsExpiration} (how long APNs keeps a push for an offline device, default P7D).
 */
@Singleton
public final class ApnsPusher implements AutoCloseable {

    /** Apple's production push service. */
    public static final String PRODUCTION_URL = "https://api.push.apple.com";
    private static final Logger log = LoggerFactory.getLogger(ApnsPusher.class);
    private static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(5);
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<String> DEAD_TOKEN_REASONS = Set.of("BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered");

    /** How the pushes have gone since the plugin started, for admins. */
    public record Statistics(int queued, long delivered, long retried, long failed, long tokensForgotten,
                             Optional<String> lastError, Optional<Instant> lastErrorAt) {
    }

    private record Settings(URI url, Optional<Path> trustedCertificate, int batchSize, int maxAttempts, Duration retryDelay,
                            Duration expiration) {
    }

    private record Client(String certificateFingerprint, String topic, HttpClient http, java.util.concurrent.atomic.AtomicBoolean connected) {
    }

    /** One device's wake-up, due at a moment: retries wait out their backoff in the same queue. */
    private record Wake(String deviceKey, int attempt, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(dueNanos, ((Wake) other).dueNanos);
        }
    }

    private enum Outcome { DELIVERED, RETRY, TOKEN_DEAD, FAILED }

    private final PushCertificates certificates;
    private final PluginStorage storage;
    private final Settings settings;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final DelayQueue<Wake> pending = new DelayQueue<>();
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();
    private final ExecutorService httpThreads;
    private final Thread sender;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong tokensForgotten = new AtomicLong();
    private volatile Client client;
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> lastErrorAt = Optional.empty();
    private volatile boolean running = true;

    @Inject
    public ApnsPusher(PushCertificates certificates, PluginStorage storage, PluginConfig config, PluginIdentity identity) {
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.clock = Clock.systemUTC();
        this.settings = settings(requireNonNull(config, "config is null"));
        String pluginId = requireNonNull(identity, "identity is null").id();
        AtomicInteger threads = new AtomicInteger();
        // Our threads carry the plugin id in their log lines, as the kernel's plugin threads do.
        this.httpThreads = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(() -> {
                MDC.put("plugin", pluginId);
                task.run();
            }, "apns-http-" + pluginId + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.sender = new Thread(() -> {
            MDC.put("plugin", pluginId);
            run();
        }, "apns-sender-" + pluginId);
        this.sender.setDaemon(true);
        this.sender.start();
    }

    private static Settings settings(PluginConfig config) {
        URI url;
        try {
            url = URI.create(config.get("apnsUrl", PRODUCTION_URL).replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting 'apnsUrl' is not a URL: " + e.getMessage(), e);
        }
        if (!"https".equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("plugin setting 'apnsUrl' must be an https URL with a host: " + url);
        }
        int batchSize = config.getInt("apnsBatchSize", 100);
        int maxAttempts = config.getInt("apnsMaxAttempts", 5);
        if (batchSize < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("plugin settings 'apnsBatchSize' and 'apnsMaxAttempts' must be positive");
        }
        return new Settings(url, config.get("apnsTrustedCertificate").map(Path::of), batchSize, maxAttempts,
                config.getDuration("apnsRetryDelay", Duration.ofSeconds(1)), config.getDuration("apnsExpiration", Duration.ofDays(7)));
    }

    /**
     * Queues a wake-up for a device.
     *
     * @param deviceKey the key the device checks in with (its UDID)
     * @return false when it cannot be pushed: no push certificate uploaded, or no push token from the device
     */
    public boolean wake(String deviceKey) {
        requireNonNull(deviceKey, "deviceKey is null");
        if (!running || certificates.status().isEmpty() || storage.get(tokenKey(deviceKey)).isEmpty()
                || storage.get(magicKey(deviceKey)).isEmpty()) {
            return false;
        }
        if (waiting.add(deviceKey)) {
            pending.add(new Wake(deviceKey, 1, System.nanoTime()));
        }
        return true;
    }

    /** @return the pushes so far */
    public Statistics statistics() {
        return new Statistics(waiting.size(), delivered.get(), retried.get(), failed.get(), tokensForgotten.get(), lastError, lastErrorAt);
    }

    static String tokenKey(String deviceKey) {
        return "push-token/" + deviceKey;
    }

    static String magicKey(String deviceKey) {
        return "push-magic/" + deviceKey;
    }

    private void run() {
        while (running) {
            try {
                List<Wake> batch = new ArrayList<>();
                batch.add(pending.take());
                pending.drainTo(batch, settings.batchSize() - 1);
                batch.forEach(wake -> waiting.remove(wake.deviceKey()));
                send(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // Never let one bad batch stop wake-ups for good.
                error("sending pushes failed: " + e.getMessage());
            }
        }
    }

    private void send(List<Wake> batch) throws InterruptedException {
        Optional<Client> current = client();
        if (current.isEmpty()) {
            failed.addAndGet(batch.size());
            return;
        }
        String expiration = Long.toString(clock.instant().plus(settings.expiration()).getEpochSecond());
        List<Wake> sent = new ArrayList<>();
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        for (Wake wake : batch) {
            Optional<String> token = storage.get(tokenKey(wake.deviceKey())).map(ApnsPusher::hexToken);
            Optional<String> magic = storage.get(magicKey(wake.deviceKey())).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
            if (token.isEmpty() || magic.isEmpty()) {
                continue;
            }
            byte[] body;
            try {
                body = json.writeValueAsBytes(Map.of("mdm", magic.get()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            HttpRequest request = HttpRequest.newBuilder(settings.url().resolve("/3/device/" + token.get()))
                    .timeout(BATCH_TIMEOUT)
                    .header("apns-topic", current.get().topic())
                    .header("apns-push-type", "mdm")
                    .header("apns-priority", "10")
                    .header("apns-expiration", expiration)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            sent.add(wake);
            CompletableFuture<Outcome> outcome = current.get().http().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .handle((response, failure) -> outcome(wake, response, failure));
            outcomes.add(outcome);
            if (!current.get().connected().get()) {
                // Until one request has gone through, concurrent requests would each open their own connection; once
                // the HTTP/2 connection is up, the rest of the batch shares it as concurrent streams.
                try {
                    if (outcome.get(BATCH_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS) != Outcome.RETRY) {
                        current.get().connected().set(true);
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // its outcome is read below like the others'
                }
            }
        }
        try {
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(BATCH_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Each outcome below says what became of its push; unfinished ones are retried.
        }
        for (int i = 0; i < sent.size(); i++) {
            Outcome outcome = outcomes.get(i).getNow(Outcome.RETRY);
            Wake wake = sent.get(i);
            switch (outcome) {
                case DELIVERED -> delivered.incrementAndGet();
                case TOKEN_DEAD -> {
                    storage.delete(tokenKey(wake.deviceKey()));
                    tokensForgotten.incrementAndGet();
                }
                case FAILED -> failed.incrementAndGet();
                case RETRY -> retry(wake);
            }
        }
    }

    private Outcome outcome(Wake wake, HttpResponse<byte[]> response, Throwable failure) {
        if (failure != null) {
            error("APNs could not be reached: " + failure.getMessage());
            return Outcome.RETRY;
        }
        int status = response.statusCode();
        if (status == 200) {
            return Outcome.DELIVERED;
        }
        String reason = reason(response.body());
        if (status == 429 || status >= 500) {
            error("APNs answered " + status + " " + reason);
            return Outcome.RETRY;
        }
        if (DEAD_TOKEN_REASONS.contains(reason) || status == 410) {
            log.info("APNs no longer knows the push token of {} ({}); it is forgotten until the device sends a new one", wake.deviceKey(), reason);
            return Outcome.TOKEN_DEAD;
        }
        error("APNs refused the push for " + wake.deviceKey() + ": " + status + " " + reason);
        return Outcome.FAILED;
    }

    private void retry(Wake wake) {
        if (wake.attempt() >= settings.maxAttempts() || !running) {
            failed.incrementAndGet();
            log.warn("Giving up waking {} after {} attempts; it gets its commands when it next contacts the server",
                    wake.deviceKey(), wake.attempt());
            return;
        }
        if (!waiting.add(wake.deviceKey())) {
            return; // a fresh wake-up for the device is already queued
        }
        retried.incrementAndGet();
        long delay = Math.min(settings.retryDelay().toNanos() << (wake.attempt() - 1), MAX_RETRY_DELAY.toNanos());
        pending.add(new Wake(wake.deviceKey(), wake.attempt() + 1, System.nanoTime() + delay));
    }

    /** The HTTP/2 client for the current push certificate, rebuilt when an admin uploads a new one. */
    private Optional<Client> client() {
        Optional<PushCertificates.Credentials> credentials = certificates.credentials();
        if (credentials.isEmpty()) {
            return Optional.empty();
        }
        Client existing = client;
        if (existing != null && existing.certificateFingerprint().equals(credentials.get().fingerprint())) {
            return Optional.of(existing);
        }
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = new char[0];
            keys.setKeyEntry("push", credentials.get().privateKey(), password, new Certificate[] {credentials.get().certificate()});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trustStore());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_2)
                    .sslContext(tls)
                    .connectTimeout(Duration.ofSeconds(10))
                    .executor(httpThreads)
                    .build();
            Client built = new Client(credentials.get().fingerprint(), credentials.get().topic(), http,
                    new java.util.concurrent.atomic.AtomicBoolean());
            client = built;
            return Optional.of(built);
        } catch (GeneralSecurityException | IOException e) {
            error("the push certificate cannot be used for TLS: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** @return the configured certificate to trust, or null for the JDK's roots */
    private KeyStore trustStore() throws GeneralSecurityException, IOException {
        if (settings.trustedCertificate().isEmpty()) {
            return null;
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(settings.trustedCertificate().get())) {
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("trusted-" + index++, certificate);
            }
        }
        return trusted;
    }

    private String reason(byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.hasNonNull("reason") ? node.get("reason").asText() : "";
        } catch (IOException e) {
            return "";
        }
    }

    private void error(String message) {
        log.warn("APNs: {}", message);
        lastError = Optional.of(message);
        lastErrorAt = Optional.of(clock.instant());
    }

    private static String hexToken(byte[] storedBase64) {
        return HexFormat.of().formatHex(Base64.getDecoder().decode(new String(storedBase64, StandardCharsets.US_ASCII)));
    }

    /** Stops sending; queued wake-ups are dropped, since devices fetch their commands at their next contact anyway. */
    @Override
    public void close() {
        running = false;
        sender.interrupt();
        httpThreads.shutdownNow();
        pending.clear();
        waiting.clear();
    }
}
