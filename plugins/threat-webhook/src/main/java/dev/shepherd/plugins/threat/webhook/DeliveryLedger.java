package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import static java.util.Objects.requireNonNull;

/**
 * What the plugin remembers of deliveries, in its storage so every node of a cluster and every restart sees the same:
 * <ul>
 *   <li>the {@code webhook-id}s taken in the last {@link #RETENTION}, the idempotency keys of the Standard Webhooks
 *       specification: a delivery whose id was taken is answered 2xx without being reported again (a sender's retry
 *       whose first answer was lost, or a replay inside the signature's five-minute window). Ids are kept in hourly
 *       buckets, so a look-up is one query over the buckets of the retention, and a bucket past it is removed whole:
 *       what is kept is bounded by the retention, never by how long the server ran;</li>
 *   <li>the last {@link #RECENT} authenticated deliveries of each source with their outcome, for admins.</li>
 * </ul>
 * Deliveries refused before their signature was checked are kept only in this node's memory (the last
 * {@link #REFUSED}): an unauthenticated sender can make the server write nothing.
 */
@Singleton
final class DeliveryLedger {

    static final Duration RETENTION = Duration.ofHours(24);
    static final int RECENT = 50;
    static final int REFUSED = 20;
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);
    private static final String SEEN = "seen/";
    private static final String RECENT_PREFIX = "recent/";

    /** One delivery as admins see it. */
    record Delivery(Instant at, String webhookId, String outcome, String detail) {
        Delivery {
            requireNonNull(at, "at is null");
            requireNonNull(webhookId, "webhookId is null");
            requireNonNull(outcome, "outcome is null");
            requireNonNull(detail, "detail is null");
        }
    }

    /** A delivery refused before it was authenticated, on this node. */
    record Refused(Instant at, String source, int status, String reason, String remoteAddress) {
        Refused {
            requireNonNull(at, "at is null");
            requireNonNull(source, "source is null");
            requireNonNull(reason, "reason is null");
            requireNonNull(remoteAddress, "remoteAddress is null");
        }
    }

    private final PluginStorage storage;
    private final Clock clock;
    private final Map<String, String> prunedThrough = new ConcurrentHashMap<>();
    private final Deque<Refused> refused = new ArrayDeque<>();

    @Inject
    DeliveryLedger(PluginStorage storage, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Takes a delivery's id for processing, unless it was taken within the retention.
     *
     * @return true when this call took it; false for a repeat
     */
    boolean take(String source, String webhookId) {
        Instant now = clock.instant();
        pruneOnceAnHour(source, now);
        List<String> keys = new ArrayList<>();
        for (Instant hour = now.minus(RETENTION).truncatedTo(ChronoUnit.HOURS); !hour.isAfter(now); hour = hour.plus(Duration.ofHours(1))) {
            keys.add(seenKey(source, hour, webhookId));
        }
        if (!storage.present(keys).isEmpty()) {
            return false;
        }
        // Atomic in the kernel's storage: of two nodes handed the same delivery at once, one takes it.
        return storage.putIfAbsent(seenKey(source, now, webhookId), Long.toString(now.getEpochSecond()).getBytes(StandardCharsets.US_ASCII));
    }

    /** Gives an id back when its delivery could not be recorded, so the sender's retry is processed. */
    void release(String source, String webhookId) {
        Instant now = clock.instant();
        storage.delete(seenKey(source, now, webhookId));
        storage.delete(seenKey(source, now.minus(Duration.ofHours(1)), webhookId));
    }

    void record(String source, Delivery delivery) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("at", delivery.at().toString());
        out.put("webhookId", delivery.webhookId());
        out.put("outcome", delivery.outcome());
        out.put("detail", delivery.detail());
        String key = RECENT_PREFIX + source + "/" + String.format("%013d", delivery.at().toEpochMilli()) + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        storage.put(key, WebhookJson.write(out));
        List<String> keys = storage.keys(RECENT_PREFIX + source + "/");
        for (int i = 0; i < keys.size() - RECENT; i++) {
            storage.delete(keys.get(i));
        }
    }

    /** @return the source's last deliveries, newest first */
    List<Delivery> recent(String source) {
        List<Delivery> recent = new ArrayList<>();
        for (String key : storage.keys(RECENT_PREFIX + source + "/")) {
            storage.get(key).flatMap(WebhookJson::read).map(DeliveryLedger::decode).ifPresent(delivery -> recent.add(0, delivery));
        }
        return recent;
    }

    /** Forgets everything about a source that was removed. */
    void forget(String source) {
        storage.keys(SEEN + source + "/").forEach(storage::delete);
        storage.keys(RECENT_PREFIX + source + "/").forEach(storage::delete);
        prunedThrough.remove(source);
    }

    void refused(String source, int status, String reason, String remoteAddress) {
        synchronized (refused) {
            refused.addFirst(new Refused(clock.instant(), source, status, reason, remoteAddress));
            while (refused.size() > REFUSED) {
                refused.removeLast();
            }
        }
    }

    /** @return the deliveries this node refused before authenticating them, newest first */
    List<Refused> refusedOnThisNode() {
        synchronized (refused) {
            return List.copyOf(refused);
        }
    }

    private void pruneOnceAnHour(String source, Instant now) {
        String hour = HOUR.format(now);
        if (hour.equals(prunedThrough.put(source, hour))) {
            return;
        }
        String oldestKept = HOUR.format(now.minus(RETENTION));
        String prefix = SEEN + source + "/";
        for (String key : storage.keys(prefix)) {
            String bucket = key.substring(prefix.length(), Math.min(key.length(), prefix.length() + HOUR.format(now).length()));
            if (bucket.compareTo(oldestKept) < 0) {
                storage.delete(key);
            }
        }
    }

    private static String seenKey(String source, Instant at, String webhookId) {
        return SEEN + source + "/" + HOUR.format(at) + "/" + webhookId;
    }

    private static Delivery decode(JsonNode stored) {
        return new Delivery(Instant.parse(stored.path("at").asText()), stored.path("webhookId").asText(), stored.path("outcome").asText(),
                stored.path("detail").asText());
    }
}
