package dev.shepherd.webhook;

import dev.shepherd.api.event.Event;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.event.EventLog;
import dev.shepherd.json.Json;
import dev.shepherd.security.SecretBox;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Webhooks: admins register endpoints with the event types they want; every matching event is queued for each of
 * them in the event's own transaction and POSTed in the background, signed, and retried with exponential backoff
 * until the endpoint answers 2xx or the attempts run out. Every attempt is recorded.
 *
 * <p>Signature: {@code Shepherd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>}, so a
 * receiver can check both origin and freshness.
 */
public final class WebhookService {

    private static final Logger log = LoggerFactory.getLogger(WebhookService.class);
    static final int MAX_ATTEMPTS = 10;
    private static final Duration FIRST_RETRY = Duration.ofSeconds(30);
    private static final Duration LONGEST_RETRY = Duration.ofHours(6);
    private static final String SELECT = "SELECT id, name, url, event_types, enabled, created_at, updated_at FROM webhook";
    private static final String DELIVERY_COLUMNS = """
            id, webhook_id, event_id, event_type, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at""";

    /**
     * A new webhook and its secret, shown this once.
     *
     * @param webhook the webhook
     * @param secret the signing secret
     */
    public record Created(Webhook webhook, String secret) {
        @Override
        public String toString() {
            return "Created[webhook=" + webhook + ", secret=(hidden)]";
        }
    }

    private final Transactions transactions;
    private final AuditLog audit;
    private final SecretBox secrets;
    private final Json json;
    private final Clock clock;
    private final HttpClient http;
    private final SecureRandom random = new SecureRandom();
    /** The enabled webhooks, read on every event; replaced after each change commits. */
    private final AtomicReference<List<Webhook>> enabled = new AtomicReference<>();

    public WebhookService(Transactions transactions, EventLog events, AuditLog audit, SecretBox secrets, Json json, Clock clock,
                          HttpClient http) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = requireNonNull(http, "http is null");
        refresh();
        requireNonNull(events, "events is null").addTransactionalHook(this::queue);
    }

    public List<Webhook> list() {
        return query(SELECT + " ORDER BY name", List.of());
    }

    public Optional<Webhook> get(String id) {
        return query(SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /**
     * @throws IllegalArgumentException for a URL that is not http(s), or no event types
     */
    public Created create(Actor actor, String name, String url, List<String> eventTypes) {
        check(name, url, eventTypes);
        String id = UUID.randomUUID().toString();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        transactions.inTransaction("create a webhook", tx -> {
            Timestamp now = Timestamp.from(clock.instant());
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO webhook (id, name, url, secret_encrypted, event_types, enabled, created_by, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)""")) {
                insert.setString(1, id);
                insert.setString(2, name);
                insert.setString(3, url);
                insert.setString(4, secrets.encrypt(secret));
                insert.setString(5, String.join(",", eventTypes));
                insert.setString(6, actor.toString());
                insert.setTimestamp(7, now);
                insert.setTimestamp(8, now);
                insert.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "webhook.create", "webhook", id, Optional.empty(),
                    Optional.of(json.write(Map.of("name", name, "url", url, "eventTypes", eventTypes)))));
            tx.afterCommit(this::refresh);
            return null;
        });
        return new Created(get(id).orElseThrow(), secret);
    }

    /**
     * Changes a webhook's name, endpoint and event types; its secret and whether it is on stay as they are.
     *
     * @return the webhook after, or empty when there is none
     * @throws IllegalArgumentException for a URL that is not http(s), or no event types
     */
    public Optional<Webhook> update(Actor actor, String id, String name, String url, List<String> eventTypes) {
        check(name, url, eventTypes);
        return transactions.inTransaction("change a webhook", tx -> {
            List<Webhook> before = query(tx.connection(), SELECT + " WHERE id = ?", List.of(id));
            if (before.isEmpty()) {
                return Optional.<Webhook>empty();
            }
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE webhook SET name = ?, url = ?, event_types = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, name);
                update.setString(2, url);
                update.setString(3, String.join(",", eventTypes));
                update.setTimestamp(4, Timestamp.from(clock.instant()));
                update.setString(5, id);
                update.executeUpdate();
            }
            Webhook old = before.get(0);
            audit.append(tx, new AuditRecord(actor, "webhook.update", "webhook", id,
                    Optional.of(json.write(Map.of("name", old.name(), "url", old.url(), "eventTypes", old.eventTypes()))),
                    Optional.of(json.write(Map.of("name", name, "url", url, "eventTypes", eventTypes)))));
            tx.afterCommit(this::refresh);
            return query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
        });
    }

    /**
     * One delivery with what was sent and every attempt, oldest first.
     *
     * @return empty when there is no such delivery
     */
    public Optional<WebhookDeliveryDetail> delivery(String deliveryId) {
        return transactions.read("read a webhook delivery", connection -> {
            List<WebhookDelivery> found = deliveries(connection,
                    "SELECT " + DELIVERY_COLUMNS + " FROM webhook_delivery WHERE id = ?", deliveryId);
            if (found.isEmpty()) {
                return Optional.<WebhookDeliveryDetail>empty();
            }
            String payload;
            try (PreparedStatement select = connection.prepareStatement("SELECT payload FROM webhook_delivery WHERE id = ?")) {
                select.setString(1, deliveryId);
                try (ResultSet rows = select.executeQuery()) {
                    payload = rows.next() ? rows.getString(1) : "{}";
                }
            }
            List<WebhookAttempt> attempts = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT attempt, attempted_at, status, error, duration_ms FROM webhook_attempt WHERE delivery_id = ? ORDER BY attempt""")) {
                select.setString(1, deliveryId);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        int status = rows.getInt(3);
                        OptionalInt shown = rows.wasNull() ? OptionalInt.empty() : OptionalInt.of(status);
                        attempts.add(new WebhookAttempt(rows.getInt(1), rows.getTimestamp(2).toInstant(), shown,
                                Optional.ofNullable(rows.getString(4)), rows.getLong(5)));
                    }
                }
            }
            return Optional.of(new WebhookDeliveryDetail(found.get(0), payload, attempts));
        });
    }

    /** Turns delivery on or off; returns the webhook after, or empty when there is none. */
    public Optional<Webhook> setEnabled(Actor actor, String id, boolean on) {
        return transactions.inTransaction("change a webhook", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE webhook SET enabled = ?, updated_at = ? WHERE id = ?")) {
                update.setShort(1, (short) (on ? 1 : 0));
                update.setTimestamp(2, Timestamp.from(clock.instant()));
                update.setString(3, id);
                if (update.executeUpdate() == 0) {
                    return Optional.<Webhook>empty();
                }
            }
            audit.append(tx, new AuditRecord(actor, on ? "webhook.enable" : "webhook.disable", "webhook", id, Optional.empty(), Optional.empty()));
            tx.afterCommit(this::refresh);
            return query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
        });
    }

    /** @return false when there is no such webhook */
    public boolean delete(Actor actor, String id) {
        return transactions.inTransaction("delete a webhook", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM webhook WHERE id = ?")) {
                delete.setString(1, id);
                if (delete.executeUpdate() == 0) {
                    return false;
                }
            }
            audit.append(tx, new AuditRecord(actor, "webhook.delete", "webhook", id, Optional.empty(), Optional.empty()));
            tx.afterCommit(this::refresh);
            return true;
        });
    }

    /** A webhook's deliveries, newest first. */
    public List<WebhookDelivery> deliveries(String webhookId, int limit) {
        return deliveries("SELECT " + DELIVERY_COLUMNS + " FROM webhook_delivery WHERE webhook_id = ? ORDER BY created_at DESC FETCH FIRST "
                + Math.max(1, Math.min(limit, 500)) + " ROWS ONLY", webhookId);
    }

    /** Queues a delivery again, whatever became of it; returns false when there is none. */
    public boolean redeliver(Actor actor, String deliveryId) {
        return transactions.inTransaction("redeliver a webhook event", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE webhook_delivery SET state = 'PENDING', next_attempt_at = ? WHERE id = ?")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, deliveryId);
                if (update.executeUpdate() == 0) {
                    return false;
                }
            }
            audit.append(tx, new AuditRecord(actor, "webhook.redeliver", "webhook-delivery", deliveryId, Optional.empty(), Optional.empty()));
            return true;
        });
    }

    /** In the event's transaction: one pending delivery per enabled webhook that wants the event. */
    private void queue(Tx tx, Event event) throws SQLException {
        List<Webhook> hooks = enabled.get();
        if (hooks.isEmpty()) {
            return;
        }
        String payload = null;
        for (Webhook hook : hooks) {
            if (!hook.wants(event.type())) {
                continue;
            }
            if (payload == null) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("id", event.id().toString());
                body.put("type", event.type());
                body.put("occurredAt", event.occurredAt().toString());
                body.put("source", event.source());
                body.put("data", event.data());
                payload = json.write(body);
            }
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO webhook_delivery (id, webhook_id, event_id, event_type, payload, state, attempts, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)""")) {
                Timestamp now = Timestamp.from(clock.instant());
                insert.setString(1, UUID.randomUUID().toString());
                insert.setString(2, hook.id());
                insert.setString(3, event.id().toString());
                insert.setString(4, event.type());
                insert.setString(5, payload);
                insert.setTimestamp(6, now);
                insert.setTimestamp(7, now);
                insert.executeUpdate();
            }
        }
    }

    /** Attempts every delivery that is due; returns how many were attempted. Called in the background. */
    public int deliverDue() {
        int attempted = 0;
        while (true) {
            List<Object[]> due = new ArrayList<>();
            try (Connection connection = transactions.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement("""
                         SELECT d.id, d.payload, d.event_type, d.attempts, w.url, w.secret_encrypted
                         FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
                         WHERE d.state = 'PENDING' AND d.next_attempt_at <= ? AND w.enabled = 1
                         ORDER BY d.next_attempt_at FETCH FIRST 50 ROWS ONLY""")) {
                select.setTimestamp(1, Timestamp.from(clock.instant()));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        due.add(new Object[]{rows.getString(1).trim(), rows.getString(2), rows.getString(3), rows.getInt(4),
                                rows.getString(5), rows.getString(6)});
                    }
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read due webhook deliveries", e);
            }
            if (due.isEmpty()) {
                return attempted;
            }
            for (Object[] delivery : due) {
                attempt((String) delivery[0], (String) delivery[1], (String) delivery[2], (Integer) delivery[3],
                        (String) delivery[4], (String) delivery[5]);
                attempted++;
            }
        }
    }

    private void attempt(String deliveryId, String payload, String eventType, int attempts, String url, String sealedSecret) {
        int status = -1;
        String error = null;
        long started = System.nanoTime();
        try {
            String secret = secrets.decrypt(sealedSecret);
            long timestamp = clock.instant().getEpochSecond();
            HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Shepherd-Webhooks/1")
                    .header("Shepherd-Event", eventType)
                    .header("Shepherd-Delivery", deliveryId)
                    .header("Shepherd-Signature", "t=" + timestamp + ",v1=" + sign(secret, timestamp, payload))
                    .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            status = response.statusCode();
            if (status < 200 || status > 299) {
                error = "the endpoint answered " + status;
            }
        } catch (IOException e) {
            error = "cannot reach the endpoint: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (IllegalArgumentException e) {
            error = e.getMessage();
        }
        record(deliveryId, attempts + 1, status, Optional.ofNullable(error), Duration.ofNanos(System.nanoTime() - started));
    }

    private void record(String deliveryId, int attempts, int status, Optional<String> error, Duration took) {
        Instant now = clock.instant();
        String state = error.isEmpty() ? "DELIVERED" : attempts >= MAX_ATTEMPTS ? "FAILED" : "PENDING";
        transactions.inTransaction("record a webhook attempt", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE webhook_delivery SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?
                    WHERE id = ?""")) {
                update.setString(1, state);
                update.setInt(2, attempts);
                update.setTimestamp(3, Timestamp.from(now.plus(backoff(attempts))));
                if (status > 0) {
                    update.setInt(4, status);
                } else {
                    update.setNull(4, Types.INTEGER);
                }
                if (error.isPresent()) {
                    update.setString(5, error.get().length() > 1000 ? error.get().substring(0, 1000) : error.get());
                    update.setNull(6, Types.TIMESTAMP);
                } else {
                    update.setNull(5, Types.VARCHAR);
                    update.setTimestamp(6, Timestamp.from(now));
                }
                update.setString(7, deliveryId);
                update.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO webhook_attempt (delivery_id, attempt, attempted_at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)""")) {
                insert.setString(1, deliveryId);
                insert.setInt(2, attempts);
                insert.setTimestamp(3, Timestamp.from(now));
                if (status > 0) {
                    insert.setInt(4, status);
                } else {
                    insert.setNull(4, Types.INTEGER);
                }
                if (error.isPresent()) {
                    insert.setString(5, error.get().length() > 1000 ? error.get().substring(0, 1000) : error.get());
                } else {
                    insert.setNull(5, Types.VARCHAR);
                }
                insert.setLong(6, took.toMillis());
                insert.executeUpdate();
            }
            return null;
        });
        if (state.equals("FAILED")) {
            log.warn("Webhook delivery {} failed for good after {} attempts: {}", deliveryId, attempts, error.orElse(""));
        }
    }

    /** 30 s, 1 min, 2 min, … doubling, at most 6 h. */
    static Duration backoff(int attempts) {
        Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(20, Math.max(0, attempts - 1)));
        return wait.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : wait;
    }

    /** The signature receivers check: hex HMAC-SHA256 over {@code timestamp + "." + body}. */
    public static String sign(String secret, long timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    private void refresh() {
        enabled.set(query(SELECT + " WHERE enabled = 1", List.of()));
    }

    private static void check(String name, String url, List<String> eventTypes) {
        requireNonNull(name, "name is null");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("webhook names are 1 to 200 characters");
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null || url.length() > 2000) {
                throw new IllegalArgumentException("url must be an absolute http or https URL");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url must be an absolute http or https URL");
        }
        if (eventTypes.isEmpty() || eventTypes.stream().anyMatch(type -> type.isBlank() || type.contains(",") || type.length() > 100)) {
            throw new IllegalArgumentException("eventTypes: one or more event types, prefixes ending in '*', or '*'");
        }
    }

    private List<Webhook> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read webhooks", e);
        }
    }

    private static List<Webhook> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<Webhook> hooks = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    hooks.add(new Webhook(rows.getString(1).trim(), rows.getString(2), rows.getString(3),
                            Arrays.asList(rows.getString(4).split(",")), rows.getShort(5) != 0, rows.getTimestamp(6).toInstant(),
                            rows.getTimestamp(7).toInstant()));
                }
            }
            return hooks;
        }
    }

    private List<WebhookDelivery> deliveries(String sql, String parameter) {
        return transactions.read("read webhook deliveries", connection -> deliveries(connection, sql, parameter));
    }

    private static List<WebhookDelivery> deliveries(Connection connection, String sql, String parameter) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, parameter);
            List<WebhookDelivery> deliveries = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    int status = rows.getInt(8);
                    OptionalInt lastStatus = rows.wasNull() ? OptionalInt.empty() : OptionalInt.of(status);
                    deliveries.add(new WebhookDelivery(rows.getString(1).trim(), rows.getString(2).trim(), rows.getString(3).trim(),
                            rows.getString(4), rows.getString(5), rows.getInt(6), rows.getTimestamp(7).toInstant(), lastStatus,
                            Optional.ofNullable(rows.getString(9)), rows.getTimestamp(10).toInstant(),
                            Optional.ofNullable(rows.getTimestamp(11)).map(Timestamp::toInstant)));
                }
            }
            return deliveries;
        }
    }
}
