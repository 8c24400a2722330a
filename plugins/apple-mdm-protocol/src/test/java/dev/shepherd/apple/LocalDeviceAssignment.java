package dev.shepherd.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A stand-in for Apple's device assignment service on loopback, built from Apple's reference (the pages cited in
 * {@link DeviceAssignmentClient}) and refusing what the real service refuses:
 * <ul>
 *   <li>{@code GET /session}: an {@code Authorization: OAuth ...} header with this token's consumer key and access
 *       token, {@code HMAC-SHA1}, version {@code 1.0}, a timestamp within five minutes, an unused nonce and a signature
 *       checked here independently of the client (RFC 5849 section 3.4); else 401 {@code UNAUTHORIZED}. Answers
 *       {@code {"auth_session_token": ...}}.</li>
 *   <li>every other call: {@code X-Server-Protocol-Version} (else 400 {@code BAD_REQUEST}) and a live
 *       {@code X-ADM-Auth-Session} (else 401 {@code UNAUTHORIZED}); JSON bodies with
 *       {@code Content-Type: application/json}; 403 {@code T_C_NOT_SIGNED} while new terms are unaccepted.</li>
 *   <li>{@code POST /server/devices} pages the devices assigned ({@code limit} at most 1,000, default 100), cursors
 *       continuing the snapshot taken at the first page; its last cursor starts {@code POST /devices/sync}, which
 *       pages the changes since ({@code op_type} added, modified, deleted). A missing cursor is
 *       {@code CURSOR_REQUIRED}, an unknown one {@code INVALID_CURSOR}, an expired one {@code EXPIRED_CURSOR}.</li>
 *   <li>{@code POST /profile}: a profile defined, refused as Apple's Define a Profile reference says
 *       ({@code CONFIG_NAME_REQUIRED}, {@code CONFIG_NAME_INVALID} over 125 characters, {@code CONFIG_URL_REQUIRED},
 *       {@code CONFIG_URL_INVALID}, {@code DEPARTMENT_INVALID} over 125, {@code SUPPORT_PHONE_INVALID} over 50,
 *       {@code SUPPORT_EMAIL_INVALID} over 250, {@code MAGIC_INVALID} over 256, {@code FLAGS_INVALID} for a
 *       non-removable profile that does not supervise).</li>
 *   <li>{@code PUT /profile/devices} (Apple's current page says POST, which is taken too): a profile assigned to
 *       at most 1,000 devices ({@code PROFILE_UUID_REQUIRED}, {@code DEVICE_ID_REQUIRED}, 404 for an unknown profile),
 *       answering per device {@code SUCCESS}, or {@code NOT_ACCESSIBLE} for a device not assigned to this server or
 *       one made inaccessible ({@link #makeInaccessible}).</li>
 *   <li>{@code DELETE /profile/devices}: the profile of at most 1,000 devices removed ({@code DEVICE_ID_REQUIRED}),
 *       answered per device likewise.</li>
 *   <li>{@code GET /profile?profile_uuid=}: a profile as defined.</li>
 *   <li>{@link #throttleNext}: the next call answered 429 or 503 with {@code Retry-After}.</li>
 * </ul>
 * Errors are the bare code in a {@code text/plain} body, as Apple's are.
 */
public final class LocalDeviceAssignment implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern OAUTH_PARAMETER = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");
    private static final Duration SESSION_LIFETIME = Duration.ofMinutes(30);

    private final AdeTokenFiles.Credentials credentials;
    private final Clock clock;
    private final HttpServer server;
    private final Map<String, Instant> sessions = new HashMap<>();
    private final Set<String> nonces = new HashSet<>();
    /** The devices assigned to this server, in the order Apple lists them. */
    private final Map<String, ObjectNode> devices = new LinkedHashMap<>();
    /** Every change, in order; a sync cursor is a position in it. */
    private final List<ObjectNode> changes = new ArrayList<>();
    private final Map<String, Cursor> cursors = new HashMap<>();
    private final Map<String, ObjectNode> profiles = new HashMap<>();
    private final Deque<int[]> throttled = new ArrayDeque<>();
    private final List<String> requests = new ArrayList<>();
    /** The bodies of the profile assignments and removals, in order. */
    private final List<JsonNode> profileChanges = new ArrayList<>();
    private final Set<String> inaccessible = new HashSet<>();
    private boolean termsUnsigned;
    private int sessionsOpened;

    /** A fetch cursor (a snapshot and a position in it) or a sync cursor (a position in the changes). */
    private record Cursor(List<String> snapshot, int position, int changesSeen, boolean sync, boolean expired) {
    }

    private LocalDeviceAssignment(AdeTokenFiles.Credentials credentials, Clock clock) throws IOException {
        this.credentials = credentials;
        this.clock = clock;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts the service for one server token's credentials. */
    public static LocalDeviceAssignment start(AdeTokenFiles.Credentials credentials, Clock clock) throws IOException {
        return new LocalDeviceAssignment(credentials, clock);
    }

    /** @return where the service listens */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Assigns a device to this MDM server in Apple Business Manager (an {@code added} change). */
    public synchronized void assign(String serial, String model, String description, String color, String os) {
        ObjectNode device = JSON.createObjectNode();
        device.put("serial_number", serial).put("model", model).put("description", description).put("color", color)
                .put("os", os).put("device_family", os.equals("OSX") ? "Mac" : "iPhone").put("profile_status", "empty")
                .put("device_assigned_by", "admin@example.com").put("device_assigned_date", clock.instant().toString());
        devices.put(serial, device);
        change(device, "added");
    }

    /** Changes a device's description (a {@code modified} change). */
    public synchronized void describe(String serial, String description) {
        ObjectNode device = devices.get(serial);
        device.put("description", description);
        change(device, "modified");
    }

    /** Moves a device to another MDM server or releases it (a {@code deleted} change). */
    public synchronized void unassign(String serial) {
        ObjectNode device = devices.remove(serial);
        change(device, "deleted");
    }

    /**
     * From now on Apple answers {@code NOT_ACCESSIBLE} for this device's profile: it still lists the device, but this
     * server may no longer manage it (as when it is being moved to another MDM server).
     */
    public synchronized void makeInaccessible(String serial) {
        inaccessible.add(serial);
    }

    /** @return the bodies of every profile assignment ({@code PUT}) and removal ({@code DELETE}), in order, each with its {@code method} */
    public synchronized List<JsonNode> profileChanges() {
        return List.copyOf(profileChanges);
    }

    /** Expires every session, as Apple does after a while. */
    public synchronized void expireSessions() {
        sessions.clear();
    }

    /** Expires every cursor handed out, as Apple does after seven days. */
    public synchronized void expireCursors() {
        cursors.replaceAll((id, cursor) -> new Cursor(cursor.snapshot(), cursor.position(), cursor.changesSeen(), cursor.sync(), true));
    }

    /** Until accepted, every call is refused with 403 {@code T_C_NOT_SIGNED}. */
    public synchronized void requireNewTerms(boolean unsigned) {
        termsUnsigned = unsigned;
    }

    /** The next call is answered with this status (429 or 503) and {@code Retry-After}. */
    public synchronized void throttleNext(int status, int retryAfterSeconds) {
        throttled.add(new int[] {status, retryAfterSeconds});
    }

    /** @return how many sessions were opened */
    public synchronized int sessionsOpened() {
        return sessionsOpened;
    }

    /** @return the calls made, as {@code METHOD path} */
    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    /** @return a profile defined through the service */
    public synchronized JsonNode profile(String uuid) {
        return profiles.get(uuid);
    }

    /** @return a device as the service holds it (with its {@code profile_uuid} once assigned) */
    public synchronized JsonNode device(String serial) {
        return devices.get(serial);
    }

    private void change(ObjectNode device, String opType) {
        ObjectNode change = device.deepCopy();
        change.put("op_type", opType).put("op_date", clock.instant().toString());
        changes.add(change);
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            requests.add(method + " " + path);
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(1024 * 1024);
            }
            if (!throttled.isEmpty()) {
                int[] throttle = throttled.poll();
                exchange.getResponseHeaders().add("Retry-After", Integer.toString(throttle[1]));
                error(exchange, throttle[0], throttle[0] == 429 ? "TOO_MANY_REQUESTS" : "SERVICE_UNAVAILABLE");
                return;
            }
            if (path.equals("/session")) {
                session(exchange, method);
                return;
            }
            if (exchange.getRequestHeaders().getFirst("X-Server-Protocol-Version") == null) {
                error(exchange, 400, "BAD_REQUEST");
                return;
            }
            String session = exchange.getRequestHeaders().getFirst("X-ADM-Auth-Session");
            Instant expiry = session == null ? null : sessions.get(session);
            if (expiry == null || !expiry.isAfter(clock.instant())) {
                error(exchange, 401, "UNAUTHORIZED");
                return;
            }
            if (termsUnsigned) {
                error(exchange, 403, "T_C_NOT_SIGNED");
                return;
            }
            JsonNode request = null;
            if (method.equals("POST") || method.equals("PUT") || method.equals("DELETE")) {
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                if (type == null || !type.toLowerCase().startsWith("application/json")) {
                    error(exchange, 415, "UNSUPPORTED_MEDIA_TYPE");
                    return;
                }
                try {
                    request = JSON.readTree(body);
                } catch (IOException e) {
                    error(exchange, 400, "MALFORMED_REQUEST_BODY");
                    return;
                }
                if (request == null || !request.isObject()) {
                    error(exchange, 400, "MALFORMED_REQUEST_BODY");
                    return;
                }
            }
            // Apple may hand out a renewed session with any answer.
            exchange.getResponseHeaders().add("X-ADM-Auth-Session", session);
            switch (method + " " + path) {
                case "GET /account" -> json(exchange, JSON.createObjectNode().put("server_name", "Shepherd")
                        .put("server_uuid", "677cd3a6-b6e8-4aa8-9d3c-c9a7e1f9b4b8").put("admin_id", "admin@example.com")
                        .put("org_name", "Example Org").put("org_email", "it@example.com").put("org_phone", "+1 555 0100")
                        .put("org_address", "1 Infinite Loop"));
                case "POST /server/devices" -> fetch(exchange, request);
                case "POST /devices/sync" -> sync(exchange, request);
                case "POST /profile" -> defineProfile(exchange, request);
                case "PUT /profile/devices", "POST /profile/devices" -> assignProfile(exchange, request);
                case "DELETE /profile/devices" -> removeProfile(exchange, request);
                case "GET /profile" -> getProfile(exchange);
                default -> error(exchange, 404, "NOT_FOUND");
            }
        } finally {
            exchange.close();
        }
    }

    private void session(HttpExchange exchange, String method) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (!method.equals("GET") || authorization == null || !authorization.startsWith("OAuth ")) {
            error(exchange, 401, "UNAUTHORIZED");
            return;
        }
        Map<String, String> oauth = new TreeMap<>();
        Matcher matcher = OAUTH_PARAMETER.matcher(authorization);
        while (matcher.find()) {
            oauth.put(matcher.group(1), URLDecoder.decode(matcher.group(2), StandardCharsets.UTF_8));
        }
        String timestamp = oauth.getOrDefault("oauth_timestamp", "");
        boolean fresh = timestamp.matches("[0-9]{1,12}")
                && Math.abs(clock.instant().getEpochSecond() - Long.parseLong(timestamp)) <= 300;
        String nonce = oauth.getOrDefault("oauth_nonce", "");
        if (!credentials.consumerKey().equals(oauth.get("oauth_consumer_key"))
                || !credentials.accessToken().equals(oauth.get("oauth_token"))
                || !"HMAC-SHA1".equals(oauth.get("oauth_signature_method")) || !"1.0".equals(oauth.get("oauth_version"))
                || !fresh || nonce.isEmpty() || !nonces.add(nonce) || !signatureValid(oauth)) {
            error(exchange, 401, "UNAUTHORIZED");
            return;
        }
        String session = "1413" + UUID.randomUUID().toString().replace("-", "");
        sessions.put(session, clock.instant().plus(SESSION_LIFETIME));
        sessionsOpened++;
        json(exchange, JSON.createObjectNode().put("auth_session_token", session));
    }

    /** RFC 5849 section 3.4, written here again so a client's mistake is not mirrored. */
    private boolean signatureValid(Map<String, String> oauth) {
        String signature = oauth.get("oauth_signature");
        if (signature == null) {
            return false;
        }
        String parameters = oauth.entrySet().stream()
                .filter(entry -> !entry.getKey().equals("oauth_signature") && !entry.getKey().equals("realm"))
                .map(entry -> percent(entry.getKey()) + "=" + percent(entry.getValue())).sorted()
                .collect(Collectors.joining("&"));
        String baseString = "GET&" + percent(uri() + "/session") + "&" + percent(parameters);
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec((percent(credentials.consumerSecret()) + "&" + percent(credentials.accessSecret()))
                    .getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            byte[] expected = mac.doFinal(baseString.getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String percent(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private int limit(JsonNode request) {
        JsonNode limit = request.get("limit");
        if (limit == null) {
            return 100;
        }
        return Math.max(1, Math.min(1000, limit.asInt(100)));
    }

    private void fetch(HttpExchange exchange, JsonNode request) throws IOException {
        Cursor cursor;
        if (request.hasNonNull("cursor")) {
            cursor = cursors.get(request.get("cursor").asText());
            if (cursor == null || cursor.sync()) {
                error(exchange, 400, "INVALID_CURSOR");
                return;
            }
            if (cursor.expired()) {
                error(exchange, 400, "EXPIRED_CURSOR");
                return;
            }
        } else {
            cursor = new Cursor(List.copyOf(devices.keySet()), 0, changes.size(), false, false);
        }
        int end = Math.min(cursor.snapshot().size(), cursor.position() + limit(request));
        ArrayNode page = JSON.createArrayNode();
        for (String serial : cursor.snapshot().subList(cursor.position(), end)) {
            ObjectNode device = devices.get(serial);
            if (device != null) {
                page.add(device);
            }
        }
        boolean more = end < cursor.snapshot().size();
        // The last page's cursor starts the syncs, from the changes made since the snapshot.
        Cursor next = more ? new Cursor(cursor.snapshot(), end, cursor.changesSeen(), false, false)
                : new Cursor(List.of(), 0, cursor.changesSeen(), true, false);
        respondPage(exchange, page, next, more);
    }

    private void sync(HttpExchange exchange, JsonNode request) throws IOException {
        if (!request.hasNonNull("cursor")) {
            error(exchange, 400, "CURSOR_REQUIRED");
            return;
        }
        Cursor cursor = cursors.get(request.get("cursor").asText());
        if (cursor == null || !cursor.sync()) {
            error(exchange, 400, "INVALID_CURSOR");
            return;
        }
        if (cursor.expired()) {
            error(exchange, 400, "EXPIRED_CURSOR");
            return;
        }
        int end = Math.min(changes.size(), cursor.changesSeen() + limit(request));
        ArrayNode page = JSON.createArrayNode();
        changes.subList(cursor.changesSeen(), end).forEach(page::add);
        respondPage(exchange, page, new Cursor(List.of(), 0, end, true, false), end < changes.size());
    }

    private void respondPage(HttpExchange exchange, ArrayNode page, Cursor next, boolean more) throws IOException {
        String id = "MTU" + UUID.randomUUID().toString().replace("-", "");
        cursors.put(id, next);
        ObjectNode answer = JSON.createObjectNode();
        answer.set("devices", page);
        answer.put("cursor", id).put("more_to_follow", more).put("fetched_until", clock.instant().toString());
        json(exchange, answer);
    }

    private void defineProfile(HttpExchange exchange, JsonNode request) throws IOException {
        Optional<String> refusal = profileRefusal(request);
        if (refusal.isPresent()) {
            error(exchange, 400, refusal.get());
            return;
        }
        String uuid = UUID.randomUUID().toString().replace("-", "").toUpperCase();
        ObjectNode profile = ((ObjectNode) request).deepCopy();
        profile.put("profile_uuid", uuid);
        profiles.put(uuid, profile);
        ObjectNode answer = JSON.createObjectNode().put("profile_uuid", uuid);
        answer.set("devices", assign(uuid, request.path("devices")));
        json(exchange, answer);
    }

    /** Apple's Define a Profile refusals, in its words. */
    private static Optional<String> profileRefusal(JsonNode request) {
        if (!request.has("profile_name")) {
            return Optional.of("CONFIG_NAME_REQUIRED");
        }
        if (!request.path("profile_name").isTextual() || request.path("profile_name").asText().isEmpty()
                || request.path("profile_name").asText().length() > 125) {
            return Optional.of("CONFIG_NAME_INVALID");
        }
        if (!request.has("url")) {
            return Optional.of("CONFIG_URL_REQUIRED");
        }
        if (!request.path("url").isTextual() || !request.path("url").asText().startsWith("https://") || request.path("url").asText().length() > 2000) {
            return Optional.of("CONFIG_URL_INVALID");
        }
        // Setup Assistant opens the web view only over https (Apple's "Authenticating through web views").
        if (request.has("configuration_web_url") && !request.path("configuration_web_url").asText("").startsWith("https://")) {
            return Optional.of("CONFIG_URL_INVALID");
        }
        Map<String, Integer> limits = Map.of("department", 125, "support_phone_number", 50, "support_email_address", 250, "org_magic", 256);
        Map<String, String> codes = Map.of("department", "DEPARTMENT_INVALID", "support_phone_number", "SUPPORT_PHONE_INVALID",
                "support_email_address", "SUPPORT_EMAIL_INVALID", "org_magic", "MAGIC_INVALID");
        for (Map.Entry<String, Integer> limit : limits.entrySet()) {
            JsonNode value = request.get(limit.getKey());
            if (value != null && (!value.isTextual() || value.asText().isEmpty() || value.asText().length() > limit.getValue())) {
                return Optional.of(codes.get(limit.getKey()));
            }
        }
        if (!request.path("is_mdm_removable").asBoolean(true) && !request.path("is_supervised").asBoolean(false)) {
            return Optional.of("FLAGS_INVALID");
        }
        return Optional.empty();
    }

    private void assignProfile(HttpExchange exchange, JsonNode request) throws IOException {
        String uuid = request.path("profile_uuid").asText("");
        if (uuid.isEmpty()) {
            error(exchange, 400, "PROFILE_UUID_REQUIRED");
            return;
        }
        if (!devicesListed(request)) {
            error(exchange, 400, "DEVICE_ID_REQUIRED");
            return;
        }
        if (!profiles.containsKey(uuid)) {
            error(exchange, 404, "NOT_FOUND");
            return;
        }
        profileChanges.add(((ObjectNode) request.deepCopy()).put("method", "PUT"));
        ObjectNode answer = JSON.createObjectNode().put("profile_uuid", uuid);
        answer.set("devices", assign(uuid, request.path("devices")));
        json(exchange, answer);
    }

    private void removeProfile(HttpExchange exchange, JsonNode request) throws IOException {
        if (!devicesListed(request)) {
            error(exchange, 400, "DEVICE_ID_REQUIRED");
            return;
        }
        profileChanges.add(((ObjectNode) request.deepCopy()).put("method", "DELETE"));
        ObjectNode outcome = JSON.createObjectNode();
        for (JsonNode serial : request.path("devices")) {
            ObjectNode device = devices.get(serial.asText());
            if (device == null || inaccessible.contains(serial.asText())) {
                outcome.put(serial.asText(), "NOT_ACCESSIBLE");
                continue;
            }
            device.remove("profile_uuid");
            device.put("profile_status", "empty");
            change(device, "modified");
            outcome.put(serial.asText(), "SUCCESS");
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.set("devices", outcome);
        json(exchange, answer);
    }

    /** Apple takes 1 to 1,000 serial numbers a call. */
    private static boolean devicesListed(JsonNode request) {
        JsonNode serials = request.path("devices");
        if (!serials.isArray() || serials.isEmpty() || serials.size() > 1000) {
            return false;
        }
        for (JsonNode serial : serials) {
            if (!serial.isTextual() || serial.asText().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private ObjectNode assign(String uuid, JsonNode serials) {
        ObjectNode outcome = JSON.createObjectNode();
        for (JsonNode serial : serials) {
            ObjectNode device = devices.get(serial.asText());
            if (device == null || inaccessible.contains(serial.asText())) {
                outcome.put(serial.asText(), "NOT_ACCESSIBLE");
                continue;
            }
            device.put("profile_uuid", uuid).put("profile_status", "assigned").put("profile_assign_time", clock.instant().toString());
            change(device, "modified");
            outcome.put(serial.asText(), "SUCCESS");
        }
        return outcome;
    }

    private void getProfile(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getRawQuery();
        String uuid = query != null && query.startsWith("profile_uuid=")
                ? URLDecoder.decode(query.substring("profile_uuid=".length()), StandardCharsets.UTF_8) : "";
        ObjectNode profile = profiles.get(uuid);
        if (profile == null) {
            error(exchange, 400, "PROFILE_NOT_FOUND");
            return;
        }
        json(exchange, profile);
    }

    private static void json(HttpExchange exchange, JsonNode body) throws IOException {
        respond(exchange, 200, "application/json;charset=UTF8", JSON.writeValueAsBytes(body));
    }

    private static void error(HttpExchange exchange, int status, String code) throws IOException {
        respond(exchange, status, "text/plain;charset=UTF8", code.getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
