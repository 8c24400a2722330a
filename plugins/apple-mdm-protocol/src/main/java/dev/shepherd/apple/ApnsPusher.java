package dev.shepherd.apple;

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

import java.util.concurrent.atomic.AtomicBoolean;
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
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * Wakes Apple devices through the Apple Push Notification service: an HTTP/2 request per device to
 * {@code /3/device/<token>}, authenticated by the uploaded MDM push certificate, with the certificate's topic and the
 * device's {@code PushMagic} as the {@code mdm} payload.
 *
 * <p>Wake-ups go through a {@link WakeQueue} (one per device, batches, backoff); a batch's requests share one HTTP/2
 * connection as concurrent streams. Throttling (429), APNs trouble (5xx) and network errors are retried; a token APNs
 * calls unregistered or bad is forgotten until the device sends a new one, since pushing to it again would only be
 * refused.
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
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<String> DEAD_TOKEN_REASONS = Set.of("BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered");

    private record Settings(URI url, Optional<Path> trustedCertificate, WakeQueue.Settings queue, Duration expiration) {
    }

    private record Client(String certificateFingerprint, String topic, HttpClient http, AtomicBoolean connected) {
    }

    private final PushCertificates certificates;
    private final PluginStorage storage;
    private final Settings settings;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final ExecutorService httpThreads;
    private final WakeQueue queue;
    private volatile Client client;

    @Inject
    public ApnsPusher(PushCertificates certificates, PluginStorage storage, PluginConfig config, PluginIdentity identity) {
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.clock = Clock.systemUTC();
        this.settings = settings(requireNonNull(config, "config is null"));
        String pluginId = requireNonNull(identity, "identity is null").id();
        this.httpThreads = Executors.newFixedThreadPool(2, WakeQueue.threads("apns-http", pluginId));
        this.queue = WakeQueue.start("APNs", pluginId, settings.queue(), this::send);
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
        return new Settings(url, config.get("apnsTrustedCertificate").map(Path::of),
                new WakeQueue.Settings(batchSize, maxAttempts, config.getDuration("apnsRetryDelay", Duration.ofSeconds(1))),
                config.getDuration("apnsExpiration", Duration.ofDays(7)));
    }

    /**
     * Queues a wake-up for a device.
     *
     * @param deviceKey the key the device checks in with (its UDID)
     * @return false when it cannot be pushed: no push certificate uploaded, or no push token from the device
     */
    public boolean wake(String deviceKey) {
        requireNonNull(deviceKey, "deviceKey is null");
        // One look-up for the three things a push needs; the certificate itself is read when the batch goes out.
        List<String> needed = List.of(PushCertificates.CERTIFICATE_KEY, tokenKey(deviceKey), magicKey(deviceKey));
        if (!queue.running() || !storage.present(needed).containsAll(needed)) {
            return false;
        }
        return queue.offer(deviceKey);
    }

    /** @return the pushes so far; {@code gone} counts the push tokens forgotten */
    public WakeQueue.Statistics statistics() {
        return queue.statistics();
    }

    static String tokenKey(String deviceKey) {
        return "push-token/" + deviceKey;
    }

    static String magicKey(String deviceKey) {
        return "push-magic/" + deviceKey;
    }

    /** One batch: its requests share one HTTP/2 connection as concurrent streams. */
    private Map<String, Outcome> send(List<String> batch) throws InterruptedException {
        Map<String, Outcome> settled = new LinkedHashMap<>();
        Optional<Client> current = client();
        if (current.isEmpty()) {
            batch.forEach(key -> settled.put(key, Outcome.FAILED));
            return settled;
        }
        String expiration = Long.toString(clock.instant().plus(settings.expiration()).getEpochSecond());
        Map<String, CompletableFuture<Outcome>> outcomes = new LinkedHashMap<>();
        for (String deviceKey : batch) {
            Optional<String> token = storage.get(tokenKey(deviceKey)).map(ApnsPusher::hexToken);
            Optional<String> magic = storage.get(magicKey(deviceKey)).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
            if (token.isEmpty() || magic.isEmpty()) {
                continue; // forgotten while queued
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
            CompletableFuture<Outcome> outcome = current.get().http().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .handle((response, failure) -> outcome(deviceKey, response, failure));
            outcomes.put(deviceKey, outcome);
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
            CompletableFuture.allOf(outcomes.values().toArray(CompletableFuture[]::new)).get(BATCH_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Each outcome below says what became of its push; unfinished ones are retried.
        }
        outcomes.forEach((deviceKey, outcome) -> {
            Outcome settledOutcome = outcome.getNow(Outcome.RETRY);
            if (settledOutcome == Outcome.GONE) {
                storage.delete(tokenKey(deviceKey));
            }
            settled.put(deviceKey, settledOutcome);
        });
        return settled;
    }

    private Outcome outcome(String deviceKey, HttpResponse<byte[]> response, Throwable failure) {
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
            log.info("APNs no longer knows the push token of {} ({}); it is forgotten until the device sends a new one", deviceKey, reason);
            return Outcome.GONE;
        }
        error("APNs refused the push for " + deviceKey + ": " + status + " " + reason);
        return Outcome.FAILED;
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
                    new AtomicBoolean());
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
        queue.error(message);
    }

    private static String hexToken(byte[] storedBase64) {
        return HexFormat.of().formatHex(Base64.getDecoder().decode(new String(storedBase64, StandardCharsets.US_ASCII)));
    }

    /** Stops sending; queued wake-ups are dropped, since devices fetch their commands at their next contact anyway. */
    @Override
    public void close() {
        queue.close();
        httpThreads.shutdownNow();
    }
}
