package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local fake of Lookout's Mobile Risk API v2 on loopback, built from Lookout's published documentation and refusing
 * what it would refuse:
 * <ul>
 *   <li>Authentication, <a href="https://doc.lookout.com/mobile-endpoint-security/mes-apis/mes-api-authentication/how-to-authenticate/request-a-token">Request
 *       a Token</a> and <a href="https://doc.lookout.com/en/mobile-endpoint-security/partner-and-mobile-risk-apis/mobile-risk-api-v2/authenticating-to-access-mes-apis/about-api-authentication">About
 *       API Authentication</a>: {@code POST /oauth2/token}, {@code Content-Type: application/x-www-form-urlencoded},
 *       the application key as {@code Authorization: Bearer <application_key>}, {@code grant_type=client_credentials}
 *       (required), {@code scope} optional; the answer has {@code access_token}, {@code token_type} Bearer,
 *       {@code expires_at} (epoch milliseconds), {@code expires_in} (seconds, 2 hours) and {@code scope}. Refusals use
 *       RFC 6749 section 5.2's shape ({@code error}: {@code invalid_client}, {@code invalid_request},
 *       {@code unsupported_grant_type}); Lookout's page shows no error example, so the RFC's is the conservative reading.</li>
 *   <li>Rate limit, <a href="https://doc.lookout.com/en/mobile-endpoint-security/mes-apis/mobile-risk-api-v2/mobile-risk-api-v2-overview/rest-conventions">REST
 *       conventions</a>: 100 requests a minute per tenant; throttling is injected here as HTTP 429 with
 *       {@code Retry-After} (the reference does not show the header; RFC 6585 does).</li>
 *   <li>Devices and threats, <a href="https://doc.lookout.com/en/mobile-endpoint-security/mes-apis/mobile-risk-api-v2/swagger-api-documentation">Swagger
 *       API documentation</a> (interactive; its text is not reproducible here, so the fields follow the v2 resources
 *       Lookout's own published clients read): {@code GET /mra/api/v2/devices} and {@code GET /mra/api/v2/threats},
 *       {@code limit} 1 to 1,000 and {@code oid} (the last OID read) for paging, answers {@code {"count", "devices"}}
 *       and {@code {"count", "threats"}} in OID order. Devices carry {@code guid}, {@code oid}, {@code platform},
 *       {@code email}, {@code security_status} ({@code SECURE}, {@code THREATS_LOW}, {@code THREATS_MEDIUM},
 *       {@code THREATS_HIGH}), {@code activation_status}, {@code protection_status}, {@code customer_device_id},
 *       {@code details} ({@code external_id}, {@code mdm_connector_id}, {@code mdm_connector_uuid}: set when Lookout
 *       imported the device from an MDM), {@code hardware}, {@code software}, {@code checkin_time},
 *       {@code updated_time}. Threats carry {@code guid}, {@code oid}, {@code device} ({@code guid}),
 *       {@code threat_type}, {@code assessment} ({@code classification}, {@code risk}: {@code HIGH}, {@code MEDIUM},
 *       {@code LOW}, {@code ADVISORY}, {@code NONE}), {@code status} ({@code OPEN}, {@code RESOLVED}, {@code IGNORED}),
 *       {@code detected_at}, {@code changed_at}. Unknown query parameters and bad values are refused with 400.</li>
 *   <li>The event stream, <a href="https://doc.lookout.com/en/mobile-endpoint-security/partner-and-mobile-risk-apis/mobile-risk-api-v2/mobile-risk-api-v2-overview/use-the-mobile-risk-api-version-2/stream-events">Stream
 *       Events</a> and <a href="https://doc.lookout.com/en/mobile-endpoint-security/partner-and-mobile-risk-apis/mobile-risk-api-v2/mobile-risk-api-v2-overview/streaming-events/streaming-mobile-risk-device-threat-and-audit-events">Streaming
 *       Mobile Risk Device, Threat, and Audit events</a>: {@code GET /mra/stream/v2/events}, {@code text/event-stream};
 *       messages {@code id:<id>}, {@code event:events}, {@code data:{"events": [...]}}, {@code event:heartbeat} with
 *       {@code data:{}} every 5 seconds, {@code reconnect} and {@code end}; up to 10 days back. Each event has
 *       {@code id}, {@code enterprise_guid}, {@code created_time}, {@code type} ({@code DEVICE}, {@code THREAT},
 *       {@code AUDIT}, {@code SMISHING_ALERT}), {@code change_type}, and the {@code device} or {@code threat} it is
 *       about. Resuming: the {@code id} parameter (as Lookout's published stream clients send it) and the server-sent
 *       events standard's {@code Last-Event-ID} header, which must agree when both are sent; {@code start_time}
 *       (ISO-8601, at most 10 days back) instead; {@code types} filters the kinds. The documentation does not say what
 *       an unknown id gets: this fake answers 400, the conservative reading.</li>
 * </ul>
 * Injectable faults: throttling, 5xx outages, expired tokens, slow answers and stream disconnects in the middle of an
 * event, duplicated stream events.
 */
final class LocalLookout implements AutoCloseable {

    static final int MAX_LIMIT = 1000;
    private static final Duration TOKEN_LIFETIME = Duration.ofHours(2);
    private static final Duration HISTORY = Duration.ofDays(10);
    private static final Set<String> EVENT_TYPES = Set.of("DEVICE", "THREAT", "AUDIT", "SMISHING_ALERT");

    /** One request as the fake received it. */
    record Received(String method, String path, Map<String, String> query, Optional<String> lastEventId) {
    }

    /** One batch on the stream: the SSE id and Lookout's events in it. */
    private record Batch(String id, List<ObjectNode> events) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "local-lookout");
        thread.setDaemon(true);
        return thread;
    });
    private final String enterpriseGuid = UUID.randomUUID().toString();
    private final Set<String> applicationKeys = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> devices = new TreeMap<>();
    private final Map<String, ObjectNode> threats = new TreeMap<>();
    private final List<Batch> batches = new ArrayList<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicLong oids = new AtomicLong(1000);
    private final AtomicLong eventIds = new AtomicLong();
    private final AtomicInteger tokensIssued = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private final AtomicInteger failing = new AtomicInteger();
    private volatile int throttleRetryAfterSeconds = 1;
    private volatile boolean down;
    private volatile Duration heartbeat = Duration.ofSeconds(5);
    private volatile int disconnectAfterBatches = -1;
    private volatile boolean duplicateBatches;
    private volatile Duration delay = Duration.ZERO;

    LocalLookout() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** @return a new application key the token endpoint accepts */
    String issueApplicationKey() {
        String key = "lk_" + UUID.randomUUID().toString().replace("-", "") + "." + UUID.randomUUID();
        applicationKeys.add(key);
        return key;
    }

    void revokeApplicationKeys() {
        applicationKeys.clear();
    }

    /** Every access token handed out stops working at once, as when they expire. */
    void expireTokens() {
        tokens.replaceAll((token, expiry) -> Instant.EPOCH);
    }

    int tokensIssued() {
        return tokensIssued.get();
    }

    /** The next requests to the API (token endpoint included) get 429 with this Retry-After. */
    void throttleNext(int requests, int retryAfterSeconds) {
        throttleRetryAfterSeconds = retryAfterSeconds;
        throttled.set(requests);
    }

    /** The next requests get 502. */
    void failNext(int requests) {
        failing.set(requests);
    }

    /** While down, every request gets 503 without Retry-After, as an outage. */
    void down(boolean isDown) {
        down = isDown;
    }

    void heartbeatEvery(Duration interval) {
        heartbeat = interval;
    }

    /** Every answer waits this long first. */
    void slowAnswers(Duration wait) {
        delay = wait;
    }

    /** Each stream connection sends this many batches whole, then half of the next one, then ends. */
    void disconnectStreamsAfter(int wholeBatches) {
        disconnectAfterBatches = wholeBatches;
    }

    /** Each batch is sent twice in a row, as a server replaying after a hiccup might. */
    void duplicateStreamBatches(boolean duplicate) {
        duplicateBatches = duplicate;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /**
     * Enrolls a device in Lookout, as Lookout's MDM connector imports it: its {@code details.external_id} is the MDM's id.
     *
     * @return the device's Lookout GUID
     */
    synchronized String addDevice(Optional<String> mdmExternalId, String securityStatus) {
        String guid = UUID.randomUUID().toString();
        ObjectNode device = json.createObjectNode();
        device.put("guid", guid);
        device.put("oid", Long.toString(oids.incrementAndGet()));
        device.put("enterprise_guid", enterpriseGuid);
        device.put("platform", "ANDROID");
        device.put("email", "owner-" + guid.substring(0, 8) + "@example.com");
        device.put("activation_status", "ACTIVATED");
        device.put("protection_status", "PROTECTED");
        device.put("security_status", securityStatus);
        device.put("customer_device_id", "asset-" + guid.substring(0, 8));
        mdmExternalId.ifPresent(id -> {
            ObjectNode details = device.putObject("details");
            details.put("external_id", id);
            details.put("mdm_connector_id", 4711);
            details.put("mdm_connector_uuid", "7b7cf3a4-6e2f-4b9f-9a3c-0d6c2a0e5f11");
        });
        device.putObject("hardware").put("manufacturer", "Google").put("model", "Pixel 8");
        device.putObject("software").put("os_version", "14");
        String now = Instant.now().toString();
        device.put("checkin_time", now);
        device.put("updated_time", now);
        devices.put(guid, device);
        publish("DEVICE", "CREATED", "device", device);
        return guid;
    }

    synchronized void setSecurityStatus(String deviceGuid, String securityStatus) {
        ObjectNode device = device(deviceGuid);
        device.put("security_status", securityStatus);
        device.put("updated_time", Instant.now().toString());
        publish("DEVICE", "UPDATED", "device", device);
    }

    /** @return the threat's GUID; the device's security status follows its worst open threat, as Lookout's does */
    synchronized String openThreat(String deviceGuid, String classification, String risk) {
        device(deviceGuid);
        String guid = UUID.randomUUID().toString();
        ObjectNode threat = json.createObjectNode();
        threat.put("guid", guid);
        threat.put("oid", Long.toString(oids.incrementAndGet()));
        threat.putObject("device").put("guid", deviceGuid);
        threat.put("threat_type", "APPLICATION");
        threat.putObject("assessment").put("classification", classification).put("risk", risk);
        threat.put("status", "OPEN");
        String now = Instant.now().toString();
        threat.put("detected_at", now);
        threat.put("changed_at", now);
        threats.put(guid, threat);
        publish("THREAT", "CREATED", "threat", threat);
        followThreats(deviceGuid);
        return guid;
    }

    synchronized void resolveThreat(String threatGuid) {
        ObjectNode threat = threats.get(threatGuid);
        threat.put("status", "RESOLVED");
        threat.put("changed_at", Instant.now().toString());
        publish("THREAT", "UPDATED", "threat", threat);
        followThreats(threat.path("device").path("guid").asText());
    }

    private void followThreats(String deviceGuid) {
        String worst = "SECURE";
        for (ObjectNode threat : threats.values()) {
            if (threat.path("device").path("guid").asText().equals(deviceGuid) && threat.path("status").asText().equals("OPEN")) {
                String status = "THREATS_" + threat.path("assessment").path("risk").asText();
                if (rank(status) > rank(worst)) {
                    worst = status;
                }
            }
        }
        if (!device(deviceGuid).path("security_status").asText().equals(worst)) {
            setSecurityStatus(deviceGuid, worst);
        }
    }

    private static int rank(String status) {
        return List.of("SECURE", "THREATS_ADVISORY", "THREATS_NONE", "THREATS_LOW", "THREATS_MEDIUM", "THREATS_HIGH").indexOf(status);
    }

    private ObjectNode device(String guid) {
        ObjectNode device = devices.get(guid);
        if (device == null) {
            throw new IllegalArgumentException("no device " + guid);
        }
        return device;
    }

    private void publish(String type, String change, String field, ObjectNode resource) {
        ObjectNode event = json.createObjectNode();
        event.put("id", eventId());
        event.put("enterprise_guid", enterpriseGuid);
        event.put("created_time", OffsetDateTime.now().toString());
        event.put("type", type);
        event.put("change_type", change);
        event.set(field, resource.deepCopy());
        event.putObject("target").put("type", "DEVICE")
                .put("guid", type.equals("DEVICE") ? resource.path("guid").asText() : resource.path("device").path("guid").asText());
        batches.add(new Batch(eventId(), List.of(event)));
        notifyAll();
    }

    /** Ordered like Lookout's time-ordered (version 7) UUIDs. */
    private String eventId() {
        return String.format("0190ec04-0000-7000-8000-%012x", eventIds.incrementAndGet());
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            serve(exchange);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "invalid_request", e.getMessage());
        } finally {
            exchange.close();
        }
    }

    private void serve(HttpExchange exchange) throws IOException, InterruptedException {
        {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            String path = exchange.getRequestURI().getPath();
            received.add(new Received(exchange.getRequestMethod(), path, query,
                    Optional.ofNullable(exchange.getRequestHeaders().getFirst("Last-Event-ID"))));
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            if (down) {
                error(exchange, 503, "service_unavailable", "Lookout is down (injected outage)");
                return;
            }
            if (throttled.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                exchange.getResponseHeaders().add("Retry-After", Integer.toString(throttleRetryAfterSeconds));
                error(exchange, 429, "too_many_requests", "Rate limit of 100 requests per minute exceeded");
                return;
            }
            if (failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                error(exchange, 502, "bad_gateway", "Upstream failure (injected)");
                return;
            }
            switch (path) {
                case "/oauth2/token" -> token(exchange);
                case "/mra/api/v2/devices" -> listing(exchange, query, "devices");
                case "/mra/api/v2/threats" -> listing(exchange, query, "threats");
                case "/mra/stream/v2/events" -> stream(exchange, query);
                default -> error(exchange, 404, "not_found", "No such endpoint: " + path);
            }
        }
    }

    private void token(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            error(exchange, 405, "invalid_request", "Use POST");
            return;
        }
        String contentType = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("");
        if (!contentType.startsWith("application/x-www-form-urlencoded")) {
            error(exchange, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
            return;
        }
        String authorization = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
        if (!authorization.startsWith("Bearer ") || !applicationKeys.contains(authorization.substring(7))) {
            error(exchange, 401, "invalid_client", "Client authentication failed");
            return;
        }
        Map<String, String> form = query(new String(exchange.getRequestBody().readNBytes(4096), StandardCharsets.UTF_8));
        if (!form.containsKey("grant_type")) {
            error(exchange, 400, "invalid_request", "grant_type is required");
            return;
        }
        if (!form.get("grant_type").equals("client_credentials")) {
            error(exchange, 400, "unsupported_grant_type", "Only client_credentials is supported");
            return;
        }
        String token = "eyJ" + UUID.randomUUID().toString().replace("-", "") + "." + UUID.randomUUID().toString().replace("-", "");
        Instant expiry = Instant.now().plus(TOKEN_LIFETIME);
        tokens.put(token, expiry);
        tokensIssued.incrementAndGet();
        ObjectNode body = json.createObjectNode();
        body.put("access_token", token);
        body.put("token_type", "Bearer");
        body.put("expires_at", expiry.toEpochMilli());
        body.put("expires_in", TOKEN_LIFETIME.toSeconds());
        body.put("scope", form.getOrDefault("scope", ""));
        send(exchange, 200, body);
    }

    private boolean authorized(HttpExchange exchange) throws IOException {
        String authorization = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
        Instant expiry = authorization.startsWith("Bearer ") ? tokens.get(authorization.substring(7)) : null;
        if (expiry == null || !Instant.now().isBefore(expiry)) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            error(exchange, 401, "invalid_token", "The access token is missing, unknown or expired");
            return false;
        }
        return true;
    }

    private void listing(HttpExchange exchange, Map<String, String> query, String kind) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            error(exchange, 405, "invalid_request", "Use GET");
            return;
        }
        if (!authorized(exchange)) {
            return;
        }
        Set<String> allowed = kind.equals("devices")
                ? Set.of("limit", "oid", "platform", "security_status", "protection_status", "activation_status", "email", "group", "is_mdm")
                : Set.of("limit", "oid", "status", "risk", "classification", "platform", "device_guid");
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException("Unknown query parameter: " + name);
            }
        }
        int limit = limit(query.get("limit"));
        long after = Optional.ofNullable(query.get("oid")).map(oid -> {
            try {
                return Long.parseLong(oid);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("oid must be an OID from an earlier answer");
            }
        }).orElse(Long.MIN_VALUE);
        Optional<String> status = Optional.ofNullable(query.get("status"));
        status.ifPresent(value -> {
            if (!Set.of("OPEN", "RESOLVED", "IGNORED").contains(value)) {
                throw new IllegalArgumentException("status must be OPEN, RESOLVED or IGNORED");
            }
        });
        ArrayNode items = json.createArrayNode();
        synchronized (this) {
            List<ObjectNode> all = new ArrayList<>(kind.equals("devices") ? devices.values() : threats.values());
            all.sort((a, b) -> Long.compare(a.path("oid").asLong(), b.path("oid").asLong()));
            for (ObjectNode item : all) {
                if (item.path("oid").asLong() > after && items.size() < limit
                        && status.map(value -> item.path("status").asText().equals(value)).orElse(true)
                        && Optional.ofNullable(query.get("device_guid")).map(guid -> item.path("device").path("guid").asText().equals(guid)).orElse(true)) {
                    items.add(item.deepCopy());
                }
            }
        }
        ObjectNode body = json.createObjectNode();
        body.put("count", items.size());
        body.set(kind, items);
        send(exchange, 200, body);
    }

    private static int limit(String text) {
        if (text == null) {
            return 100;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("limit must be an integer from 1 to " + MAX_LIMIT);
    }

    private void stream(HttpExchange exchange, Map<String, String> query) throws IOException, InterruptedException {
        if (!exchange.getRequestMethod().equals("GET")) {
            error(exchange, 405, "invalid_request", "Use GET");
            return;
        }
        String accept = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Accept")).orElse("");
        if (!accept.contains("text/event-stream")) {
            error(exchange, 406, "not_acceptable", "The stream is text/event-stream");
            return;
        }
        if (!authorized(exchange)) {
            return;
        }
        for (String name : query.keySet()) {
            if (!Set.of("types", "id", "start_time").contains(name)) {
                throw new IllegalArgumentException("Unknown query parameter: " + name);
            }
        }
        Set<String> types = Optional.ofNullable(query.get("types")).map(value -> Set.of(value.split(","))).orElse(EVENT_TYPES);
        if (!EVENT_TYPES.containsAll(types)) {
            throw new IllegalArgumentException("types must be among " + EVENT_TYPES);
        }
        Optional<String> id = Optional.ofNullable(query.get("id")).filter(value -> !value.isEmpty());
        Optional<String> header = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Last-Event-ID"));
        if (id.isPresent() && header.isPresent() && !id.equals(header)) {
            throw new IllegalArgumentException("The id parameter and Last-Event-ID disagree");
        }
        Optional<String> from = id.or(() -> header);
        if (from.isPresent() && query.containsKey("start_time")) {
            throw new IllegalArgumentException("Give id or start_time, not both");
        }
        int next;
        synchronized (this) {
            if (from.isPresent()) {
                int at = -1;
                for (int i = 0; i < batches.size(); i++) {
                    if (batches.get(i).id().equals(from.get())) {
                        at = i;
                    }
                }
                if (at < 0) {
                    throw new IllegalArgumentException("Unknown event id: " + from.get());
                }
                next = at + 1;
            } else if (query.containsKey("start_time")) {
                Instant start;
                try {
                    start = OffsetDateTime.parse(query.get("start_time")).toInstant();
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("start_time must be ISO-8601 with an offset");
                }
                if (start.isBefore(Instant.now().minus(HISTORY))) {
                    throw new IllegalArgumentException("start_time may go back 10 days at most");
                }
                next = 0;
                while (next < batches.size()
                        && OffsetDateTime.parse(batches.get(next).events().get(0).path("created_time").asText()).toInstant().isBefore(start)) {
                    next++;
                }
            } else {
                next = batches.size();
            }
        }
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        int sent = 0;
        Instant closeAt = Instant.now().plus(Duration.ofMinutes(2));
        try {
            while (Instant.now().isBefore(closeAt)) {
                List<Batch> pending;
                synchronized (this) {
                    if (next >= batches.size()) {
                        wait(heartbeat.toMillis());
                    }
                    pending = new ArrayList<>(batches.subList(Math.min(next, batches.size()), batches.size()));
                    next = batches.size();
                }
                if (pending.isEmpty()) {
                    out.write("event:heartbeat\ndata:{}\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                for (Batch batch : pending) {
                    List<ObjectNode> wanted = batch.events().stream().filter(event -> types.contains(event.path("type").asText())).toList();
                    String message = "id:" + batch.id() + "\nevent:events\ndata:"
                            + json.writeValueAsString(json.createObjectNode().set("events", json.valueToTree(wanted))) + "\n\n";
                    if (disconnectAfterBatches >= 0 && sent >= disconnectAfterBatches) {
                        // The connection drops in the middle of an event: the client must not take it.
                        out.write(message.substring(0, message.length() / 2).getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        return;
                    }
                    out.write(message.getBytes(StandardCharsets.UTF_8));
                    if (duplicateBatches) {
                        out.write(message.getBytes(StandardCharsets.UTF_8));
                    }
                    out.flush();
                    sent++;
                }
            }
            out.write("event:reconnect\ndata:{}\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException clientLeft) {
            // The client closed the connection: the end of its read.
        }
    }

    private void error(HttpExchange exchange, int status, String code, String description) throws IOException {
        ObjectNode body = json.createObjectNode();
        body.put("error", code);
        body.put("error_description", description);
        send(exchange, status, body);
    }

    private void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json;charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            if (query.put(name, value) != null) {
                throw new IllegalArgumentException("Repeated query parameter: " + name);
            }
        }
        return Collections.unmodifiableMap(query);
    }
}
