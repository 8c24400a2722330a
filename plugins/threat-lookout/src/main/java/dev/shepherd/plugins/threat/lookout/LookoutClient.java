package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.threat.ThreatDefenseException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Lookout's Mobile Risk API v2 as the connector uses it: the OAuth 2.0 client-credentials exchange of the application
 * key for an access token ({@code POST /oauth2/token}, the key as a bearer credential), kept until shortly before it
 * expires and fetched again once when Lookout answers 401; the devices and open threats listings
 * ({@code GET /mra/api/v2/devices}, {@code GET /mra/api/v2/threats?status=OPEN}, paged by {@code limit} and the last
 * {@code oid}); and the server-sent event stream ({@code GET /mra/stream/v2/events}), read for a bounded time from an
 * event id ({@code id} parameter and {@code Last-Event-ID} header) or a start time.
 *
 * <p>Every failure is a {@link ThreatDefenseException} whose message an admin can act on and which never contains the
 * application key or a token; 429 and 503 carry Lookout's {@code Retry-After}.
 */
@Singleton
final class LookoutClient {

    static final String TOKEN_PATH = "/oauth2/token";
    static final String DEVICES_PATH = "/mra/api/v2/devices";
    static final String THREATS_PATH = "/mra/api/v2/threats";
    static final String STREAM_PATH = "/mra/stream/v2/events";
    /** The stream's event kinds the connector turns into assessments. */
    static final String STREAM_TYPES = "DEVICE,THREAT";

    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    private static final int MAX_ERROR_BYTES = 16 * 1024;
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** Lookout's documented rate limit is per minute: without a Retry-After, wait for the next minute. */
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(60);

    /**
     * One page of a listing.
     *
     * @param items the resources, in Lookout's order
     * @param full whether the page held as many as asked for, so a further page may follow
     */
    record Page(List<JsonNode> items, boolean full) {
        Page {
            items = List.copyOf(items);
        }

        Optional<String> lastOid() {
            return items.isEmpty() ? Optional.empty() : LookoutJson.identifier(items.get(items.size() - 1), "oid");
        }
    }

    /**
     * What one read of the event stream brought.
     *
     * @param events Lookout's events (DEVICE, THREAT), in stream order
     * @param lastEventId the id of the last stream event read whole, or the position the read started from
     * @param cutShort whether the read stopped because it reached its event limit, so more may be waiting
     */
    record StreamRead(List<JsonNode> events, Optional<String> lastEventId, boolean cutShort) {
        StreamRead {
            events = List.copyOf(events);
        }
    }

    private record CachedToken(String forKey, String accessToken, Instant renewAt) {
    }

    private final LookoutSettings settings;
    private final Clock clock;
    private final HttpClient http;
    private final Object tokenLock = new Object();
    private CachedToken token;

    @Inject
    LookoutClient(LookoutSettings settings, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** @return one page of devices after an OID */
    Page devices(Optional<String> afterOid, int limit) throws ThreatDefenseException {
        return page(DEVICES_PATH, "devices", Map.of(), afterOid, limit);
    }

    /** @return one page of open threats after an OID */
    Page openThreats(Optional<String> afterOid, int limit) throws ThreatDefenseException {
        return page(THREATS_PATH, "threats", Map.of("status", "OPEN"), afterOid, limit);
    }

    private Page page(String path, String field, Map<String, String> filters, Optional<String> afterOid, int limit)
            throws ThreatDefenseException {
        Map<String, String> query = new LinkedHashMap<>(filters);
        query.put("limit", Integer.toString(limit));
        afterOid.ifPresent(oid -> query.put("oid", oid));
        JsonNode body = getJson(path, query);
        JsonNode items = body.path(field);
        if (!items.isArray()) {
            throw new ThreatDefenseException("Lookout answered " + path + " without a " + field + " list");
        }
        List<JsonNode> list = new ArrayList<>();
        items.forEach(list::add);
        return new Page(list, list.size() >= limit);
    }

    private JsonNode getJson(String path, Map<String, String> query) throws ThreatDefenseException {
        for (int attempt = 0; ; attempt++) {
            String accessToken = accessToken(attempt > 0);
            HttpRequest request = HttpRequest.newBuilder(uri(path, query)).timeout(settings.requestTimeout())
                    .header("Authorization", "Bearer " + accessToken).header("Accept", "application/json").GET().build();
            HttpResponse<InputStream> response = send(request, path);
            if (response.statusCode() == 401 && attempt == 0) {
                // The token expired early or was revoked: one new token, one retry.
                drain(response);
                forgetToken(accessToken);
                continue;
            }
            byte[] body = read(response, response.statusCode() == 200 ? MAX_BODY_BYTES : MAX_ERROR_BYTES, path);
            if (response.statusCode() != 200) {
                throw failure(response.statusCode(), response.headers(), body, path);
            }
            try {
                return LookoutJson.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new ThreatDefenseException("Lookout answered " + path + " with a body that is not JSON: " + e.getMessage());
            }
        }
    }

    /**
     * Reads the event stream for a while.
     *
     * @param fromEventId resume after this event id, when present
     * @param fromTime otherwise start at this time (Lookout keeps 10 days)
     * @param readTime how long to read at most
     * @param idleTime stop when no event (heartbeats do not count) arrives for this long
     * @param maxEvents stop after the stream event that reaches this many Lookout events
     */
    StreamRead readStream(Optional<String> fromEventId, Instant fromTime, Duration readTime, Duration idleTime, int maxEvents)
            throws ThreatDefenseException {
        for (int attempt = 0; ; attempt++) {
            String accessToken = accessToken(attempt > 0);
            Map<String, String> query = new LinkedHashMap<>();
            query.put("types", STREAM_TYPES);
            fromEventId.ifPresentOrElse(id -> query.put("id", id), () -> query.put("start_time", DateTimeFormatter.ISO_INSTANT.format(fromTime)));
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri(STREAM_PATH, query))
                    .header("Authorization", "Bearer " + accessToken).header("Accept", "text/event-stream").header("Cache-Control", "no-cache");
            fromEventId.ifPresent(id -> builder.header("Last-Event-ID", id));
            StreamSubscriber subscriber = new StreamSubscriber();
            CompletableFuture<HttpResponse.ResponseInfo> headers = new CompletableFuture<>();
            CompletableFuture<HttpResponse<Void>> response = http.sendAsync(builder.GET().build(), info -> {
                subscriber.decoding = info.statusCode() == 200;
                headers.complete(info);
                return HttpResponse.BodySubscribers.fromSubscriber(subscriber);
            });
            try {
                HttpResponse.ResponseInfo info = awaitHeaders(headers, response);
                if (info.statusCode() == 401 && attempt == 0) {
                    forgetToken(accessToken);
                    continue;
                }
                if (info.statusCode() != 200) {
                    subscriber.awaitEnd(settings.requestTimeout());
                    ThreatDefenseException failure = failure(info.statusCode(), info.headers(), subscriber.errorBody(), STREAM_PATH);
                    if (info.statusCode() == 400) {
                        throw new PositionRefused(failure.getMessage());
                    }
                    throw failure;
                }
                return consume(subscriber, fromEventId, readTime, idleTime, maxEvents);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ThreatDefenseException("Reading Lookout's event stream was interrupted");
            } finally {
                subscriber.cancel();
                response.cancel(true);
            }
        }
    }

    private HttpResponse.ResponseInfo awaitHeaders(CompletableFuture<HttpResponse.ResponseInfo> headers,
                                                   CompletableFuture<HttpResponse<Void>> response)
            throws ThreatDefenseException, InterruptedException {
        try {
            CompletableFuture.anyOf(headers, response).get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (headers.isDone()) {
                return headers.join();
            }
            response.join();
            throw new ThreatDefenseException("Lookout's event stream ended before it answered");
        } catch (TimeoutException e) {
            throw new ThreatDefenseException("Lookout's event stream did not answer within " + settings.requestTimeout().toSeconds() + " s");
        } catch (ExecutionException | CompletionException e) {
            throw unreachable(e.getCause() == null ? e : e.getCause(), STREAM_PATH, settings.baseUrl());
        }
    }

    private StreamRead consume(StreamSubscriber subscriber, Optional<String> fromEventId, Duration readTime, Duration idleTime,
                               int maxEvents) throws ThreatDefenseException, InterruptedException {
        List<JsonNode> events = new ArrayList<>();
        Optional<String> lastEventId = fromEventId;
        // Monotonic time: the read's limits must hold whatever the wall clock does.
        long deadline = System.nanoTime() + readTime.toNanos();
        // Heartbeats prove the connection alive but bring nothing: only events push the quiet deadline back.
        long quietUntil = System.nanoTime() + idleTime.toNanos();
        while (true) {
            long wait = TimeUnit.NANOSECONDS.toMillis(Math.min(deadline, quietUntil) - System.nanoTime());
            Object item = wait <= 0 ? null : subscriber.items.poll(wait, TimeUnit.MILLISECONDS);
            if (item == null || item instanceof StreamEnded) {
                // Quiet for too long, read long enough, or the connection ended (a disconnect included): the next poll
                // resumes after the last event read whole.
                return new StreamRead(events, lastEventId, false);
            }
            if (item instanceof StreamBroken broken) {
                throw new ThreatDefenseException("Lookout's event stream broke the connector's limits: " + broken.reason());
            }
            SseDecoder.SseEvent event = (SseDecoder.SseEvent) item;
            switch (event.type()) {
                case "heartbeat" -> {
                    // Lookout's sign of life every 5 s; it only keeps the idle timer from expiring.
                }
                case "reconnect", "end" -> {
                    return new StreamRead(events, lastEventId, false);
                }
                case "events" -> {
                    JsonNode batch;
                    try {
                        batch = LookoutJson.parse(event.data());
                    } catch (JsonProcessingException e) {
                        throw new ThreatDefenseException("Lookout's event stream sent an event that is not JSON (id "
                                + event.id().orElse("none") + "): " + e.getOriginalMessage());
                    }
                    batch.path("events").forEach(events::add);
                    quietUntil = System.nanoTime() + idleTime.toNanos();
                    if (event.id().isPresent()) {
                        lastEventId = checkedEventId(event.id().get());
                    }
                    if (events.size() >= maxEvents) {
                        return new StreamRead(events, lastEventId, true);
                    }
                }
                default -> {
                    if (event.id().isPresent()) {
                        lastEventId = checkedEventId(event.id().get());
                    }
                }
            }
        }
    }

    private static Optional<String> checkedEventId(String id) throws ThreatDefenseException {
        if (!LookoutJson.IDENTIFIER.matcher(id).matches()) {
            throw new ThreatDefenseException("Lookout's event stream sent a malformed event id");
        }
        return Optional.of(id);
    }

    /**
     * Exchanges a key for a token without keeping either: an admin's new settings are checked before they are stored.
     *
     * @throws ThreatDefenseException when Lookout refuses the key or cannot be reached
     */
    void checkApplicationKey(URI baseUrl, String key) throws ThreatDefenseException {
        requestToken(baseUrl, key, "");
    }

    private String accessToken(boolean forceNew) throws ThreatDefenseException {
        String key = settings.applicationKey().orElseThrow(() -> new ThreatDefenseException(
                "No Lookout application key is set: generate one in the Lookout console (System > Application Keys) and set it on the connector's page"));
        String forKey = fingerprint(settings.baseUrl() + " " + key);
        synchronized (tokenLock) {
            if (!forceNew && token != null && token.forKey().equals(forKey) && clock.instant().isBefore(token.renewAt())) {
                return token.accessToken();
            }
            token = requestToken(settings.baseUrl(), key, forKey);
            return token.accessToken();
        }
    }

    private void forgetToken(String accessToken) {
        synchronized (tokenLock) {
            if (token != null && token.accessToken().equals(accessToken)) {
                token = null;
            }
        }
    }

    private CachedToken requestToken(URI baseUrl, String key, String forKey) throws ThreatDefenseException {
        HttpRequest request = HttpRequest.newBuilder(uri(baseUrl, TOKEN_PATH, Map.of())).timeout(settings.requestTimeout())
                .header("Authorization", "Bearer " + key).header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build();
        HttpResponse<InputStream> response = send(request, TOKEN_PATH);
        byte[] body = read(response, MAX_ERROR_BYTES * 4, TOKEN_PATH);
        if (response.statusCode() == 400 || response.statusCode() == 401) {
            String error = errorCode(body).orElse("HTTP " + response.statusCode());
            throw new ThreatDefenseException("Lookout refused the application key (" + error + "): generate a new key in the Lookout"
                    + " console (System > Application Keys) and set it on the connector's page");
        }
        if (response.statusCode() != 200) {
            throw failure(response.statusCode(), response.headers(), body, TOKEN_PATH);
        }
        JsonNode json;
        try {
            json = LookoutJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new ThreatDefenseException("Lookout's token answer is not JSON");
        }
        Optional<String> accessToken = LookoutJson.text(json, "access_token")
                .filter(value -> value.length() <= MAX_TOKEN_CHARS && value.chars().allMatch(c -> c > 0x20 && c < 0x7F));
        if (accessToken.isEmpty()) {
            throw new ThreatDefenseException("Lookout's token answer has no usable access_token");
        }
        Instant now = clock.instant();
        Instant expiresAt = expiry(json, now);
        Duration lifetime = Duration.between(now, expiresAt);
        Duration margin = lifetime.dividedBy(2).compareTo(TOKEN_MARGIN) < 0 ? lifetime.dividedBy(2) : TOKEN_MARGIN;
        return new CachedToken(forKey, accessToken.get(), expiresAt.minus(margin));
    }

    /** The earlier of {@code expires_in} and {@code expires_at}; five minutes when Lookout gave neither (it says it always does). */
    private static Instant expiry(JsonNode json, Instant now) {
        Optional<Instant> in = json.path("expires_in").canConvertToLong() && json.path("expires_in").asLong() > 0
                ? Optional.of(now.plusSeconds(json.path("expires_in").asLong())) : Optional.empty();
        Optional<Instant> at = json.path("expires_at").canConvertToLong() && json.path("expires_at").asLong() > now.toEpochMilli()
                ? Optional.of(Instant.ofEpochMilli(json.path("expires_at").asLong())) : Optional.empty();
        if (in.isPresent() && at.isPresent()) {
            return in.get().isBefore(at.get()) ? in.get() : at.get();
        }
        return in.or(() -> at).orElse(now.plus(Duration.ofMinutes(5)));
    }

    private URI uri(String path, Map<String, String> query) {
        return uri(settings.baseUrl(), path, query);
    }

    private static URI uri(URI baseUrl, String path, Map<String, String> query) {
        String encoded = query.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + URLEncoder.encode(entry.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return URI.create(baseUrl + path + (encoded.isEmpty() ? "" : "?" + encoded));
    }

    private HttpResponse<InputStream> send(HttpRequest request, String path) throws ThreatDefenseException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ThreatDefenseException("The call to Lookout (" + path + ") was interrupted");
        } catch (IOException e) {
            throw unreachable(e, path, request.uri());
        }
    }

    private ThreatDefenseException unreachable(Throwable cause, String path, URI where) {
        if (cause instanceof HttpTimeoutException) {
            return new ThreatDefenseException("Lookout did not answer " + path + " within " + settings.requestTimeout().toSeconds() + " s");
        }
        return new ThreatDefenseException("Lookout could not be reached at " + where.getScheme() + "://" + where.getRawAuthority() + " (" + path + "): "
                + Optional.ofNullable(cause.getMessage()).orElse(cause.getClass().getSimpleName()));
    }

    private static byte[] read(HttpResponse<InputStream> response, int limit, String path) throws ThreatDefenseException {
        try (InputStream in = response.body()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new ThreatDefenseException("Lookout's answer to " + path + " is larger than " + limit + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new ThreatDefenseException("Reading Lookout's answer to " + path + " failed: " + e.getMessage());
        }
    }

    private static void drain(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            in.readNBytes(MAX_ERROR_BYTES);
        } catch (IOException ignored) {
            // The connection is dropped instead of reused; nothing else depends on it.
        }
    }

    private ThreatDefenseException failure(int status, HttpHeaders headers, byte[] body, String path) {
        String detail = excerpt(body);
        if (status == 429 || status == 503) {
            Duration retryAfter = retryAfter(headers.firstValue("Retry-After"), clock.instant())
                    .orElse(status == 429 ? DEFAULT_RETRY_AFTER : Duration.ZERO);
            String what = status == 429 ? "Lookout is throttling the connector (HTTP 429; it allows 100 requests a minute per tenant)"
                    : "Lookout is unavailable (HTTP 503)";
            return retryAfter.isZero() ? new ThreatDefenseException(what + detail)
                    : new ThreatDefenseException(what + "; it asked to wait " + retryAfter.toSeconds() + " s" + detail, retryAfter);
        }
        if (status == 401) {
            return new ThreatDefenseException("Lookout refused a fresh access token for " + path + " (HTTP 401)" + detail);
        }
        if (status == 403) {
            return new ThreatDefenseException("Lookout refused " + path + " (HTTP 403): the application key lacks the permission" + detail);
        }
        if (status >= 500) {
            return new ThreatDefenseException("Lookout failed on " + path + " (HTTP " + status + ")" + detail);
        }
        return new ThreatDefenseException("Lookout refused " + path + " (HTTP " + status + ")" + detail);
    }

    static Optional<Duration> retryAfter(Optional<String> header, Instant now) {
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().strip();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(seconds, 86_400)));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    /** @return ": " and a short, printable part of an error body (OAuth's error and description when present), or nothing */
    private static String excerpt(byte[] body) {
        if (body.length == 0) {
            return "";
        }
        String text;
        try {
            JsonNode json = LookoutJson.MAPPER.readTree(body);
            text = LookoutJson.text(json, "error_description").or(() -> LookoutJson.text(json, "message"))
                    .or(() -> LookoutJson.text(json, "error")).orElse(json.toString());
        } catch (IOException e) {
            text = new String(body, StandardCharsets.UTF_8);
        }
        String printable = text.replaceAll("[\\p{Cntrl}]", " ").strip();
        return printable.isEmpty() ? "" : ": " + (printable.length() > 300 ? printable.substring(0, 300) + "…" : printable);
    }

    private static Optional<String> errorCode(byte[] body) {
        try {
            return LookoutJson.text(LookoutJson.MAPPER.readTree(body), "error")
                    .filter(value -> value.length() <= 64 && value.chars().allMatch(c -> c > 0x20 && c < 0x7F));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String fingerprint(String text) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Lookout refused to open the stream where the connector asked (an event id or a start time it no longer keeps,
     * after 10 days): only a full read can start again.
     */
    static final class PositionRefused extends ThreatDefenseException {
        private static final long serialVersionUID = 1L;

        PositionRefused(String message) {
            super(message);
        }
    }

    /** The stream connection ended (a clean end or a disconnect). */
    private record StreamEnded(Optional<Throwable> failure) {
    }

    /** The stream broke the decoder's bounds. */
    private record StreamBroken(String reason) {
    }

    /**
     * Receives the stream's bytes on the HTTP client's threads and hands decoded events to the polling thread; keeps
     * a bounded error body instead when the status is not 200.
     */
    private static final class StreamSubscriber implements Flow.Subscriber<List<ByteBuffer>> {

        final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
        private final SseDecoder decoder = new SseDecoder();
        private final ByteArrayOutputStream error = new ByteArrayOutputStream();
        private final CompletableFuture<Void> ended = new CompletableFuture<>();
        volatile boolean decoding;
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (cancelled) {
                subscription.cancel();
            } else {
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (decoding) {
                    try {
                        items.addAll(decoder.feed(buffer));
                    } catch (SseDecoder.SseException e) {
                        items.add(new StreamBroken(e.getMessage()));
                        cancel();
                        return;
                    }
                } else {
                    synchronized (error) {
                        int room = MAX_ERROR_BYTES - error.size();
                        byte[] bytes = new byte[Math.min(room, buffer.remaining())];
                        buffer.get(bytes);
                        error.write(bytes, 0, bytes.length);
                    }
                }
            }
        }

        @Override
        public void onError(Throwable throwable) {
            items.add(new StreamEnded(Optional.of(throwable)));
            ended.complete(null);
        }

        @Override
        public void onComplete() {
            items.add(new StreamEnded(Optional.empty()));
            ended.complete(null);
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
        }

        void awaitEnd(Duration atMost) throws InterruptedException {
            try {
                ended.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // Whatever arrived is enough for the message.
            }
        }

        byte[] errorBody() {
            synchronized (error) {
                return error.toByteArray();
            }
        }
    }
}
