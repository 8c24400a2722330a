package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A client of Apple's device assignment service (Automated Device Enrollment), for one server token.
 *
 * <p>Per Apple's reference: a session is opened with {@code GET /session}, signed with OAuth 1.0a (HMAC-SHA1 over the
 * token's consumer and access secrets, realm {@code ADM}), answering {@code auth_session_token}; every other call
 * carries it as {@code X-ADM-Auth-Session} with {@code X-Server-Protocol-Version}. A response may carry a renewed
 * {@code X-ADM-Auth-Session}, which later calls use; a 401 {@code UNAUTHORIZED} (the session expired) opens a new
 * session and repeats the call once. Errors come back as {@link DeviceAssignmentException}, with Apple's code
 * ({@code EXPIRED_CURSOR}, {@code INVALID_CURSOR}, {@code CURSOR_REQUIRED}, {@code T_C_NOT_SIGNED}, ...) and, for 429
 * and 503, the {@code Retry-After} the caller must wait.
 *
 * <ul>
 *   <li>https://developer.apple.com/documentation/devicemanagement/device-assignment</li>
 *   <li>https://developer.apple.com/documentation/devicemanagement/authenticating-with-the-automated-device-enrollment-program</li>
 *   <li>https://developer.apple.com/documentation/devicemanagement/fetch-devices</li>
 *   <li>https://developer.apple.com/documentation/devicemanagement/sync-devices</li>
 *   <li>the profile calls ({@code POST /profile}, {@code PUT /profile/devices}, {@code DELETE /profile/devices},
 *       {@code GET /profile}) listed on the device-assignment page above; Apple's current page lists the assignment as
 *       a POST, its earlier reference and the services in use take the PUT sent here</li>
 * </ul>
 *
 * <p>Not thread-safe for concurrent calls on one instance beyond the session, which is shared safely.
 */
public final class DeviceAssignmentClient {

    /** Apple's service. */
    public static final URI APPLE = URI.create("https://mdmenrollment.apple.com");
    /** The protocol version this client speaks (device fetch and sync with {@code os} and {@code device_family}). */
    public static final String PROTOCOL_VERSION = "3";
    /** Apple's largest page of devices. */
    public static final int MAX_LIMIT = 1000;
    private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build());

    /**
     * A device as the service lists it.
     *
     * @param opType for a sync, {@code added}, {@code modified} or {@code deleted}; empty in a fetch
     */
    public record Device(String serialNumber, String model, String description, String color, String os,
                         String deviceFamily, String profileStatus, Optional<String> profileUuid, Optional<String> opType,
                         Optional<Instant> opDate) {
        public Device {
            requireNonNull(serialNumber, "serialNumber is null");
        }
    }

    /** A page of a fetch or sync: the cursor continues it, or (last page of a fetch) starts the next sync. */
    public record DevicePage(List<Device> devices, String cursor, boolean moreToFollow, Optional<Instant> fetchedUntil) {
        public DevicePage {
            devices = List.copyOf(devices);
            requireNonNull(cursor, "cursor is null");
        }
    }

    /** The MDM server's account, from {@code GET /account}. */
    public record Account(String serverName, String serverUuid, String orgName, String orgEmail, String adminId) {
    }

    /** A failed call: the HTTP status, Apple's error code (the response body), and when to try again. */
    public static final class DeviceAssignmentException extends RuntimeException {
        private final int status;
        private final String code;
        private final Optional<Duration> retryAfter;

        public DeviceAssignmentException(int status, String code, Optional<Duration> retryAfter) {
            super("device assignment service answered " + status + " " + code
                    + retryAfter.map(wait -> ", retry after " + wait.toSeconds() + " s").orElse(""));
            this.status = status;
            this.code = requireNonNull(code, "code is null");
            this.retryAfter = requireNonNull(retryAfter, "retryAfter is null");
        }

        /** @return the HTTP status */
        public int status() {
            return status;
        }

        /** @return Apple's error code, such as {@code EXPIRED_CURSOR} */
        public String code() {
            return code;
        }

        /** @return for 429 and 503, how long to wait before calling again */
        public Optional<Duration> retryAfter() {
            return retryAfter;
        }
    }

    private final HttpClient http;
    private final URI base;
    private final AdeServerTokens.Token token;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile String session;

    /**
     * @param base Apple's service ({@link #APPLE}), or a stand-in in tests
     */
    public DeviceAssignmentClient(HttpClient http, URI base, AdeServerTokens.Token token, Clock clock) {
        this.http = requireNonNull(http, "http is null");
        this.base = requireNonNull(base, "base is null");
        this.token = requireNonNull(token, "token is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return the MDM server's account */
    public Account account() {
        JsonNode json = call("GET", "/account", null);
        return new Account(json.path("server_name").asText(), json.path("server_uuid").asText(), json.path("org_name").asText(),
                json.path("org_email").asText(), json.path("admin_id").asText());
    }

    /**
     * One page of the full list of devices assigned to this server.
     *
     * @param cursor empty for the first page, then the previous page's cursor
     * @param limit 1 to {@link #MAX_LIMIT}
     */
    public DevicePage fetchDevices(Optional<String> cursor, int limit) {
        ObjectNode body = pageRequest(limit);
        cursor.ifPresent(value -> body.put("cursor", value));
        return page(call("POST", "/server/devices", body));
    }

    /**
     * One page of the changes since a cursor (the last one of a fetch, or of a previous sync).
     *
     * @param limit 1 to {@link #MAX_LIMIT}
     */
    public DevicePage syncDevices(String cursor, int limit) {
        ObjectNode body = pageRequest(limit);
        body.put("cursor", requireNonNull(cursor, "cursor is null"));
        return page(call("POST", "/devices/sync", body));
    }

    /**
     * Defines an enrollment profile ({@code POST /profile}), optionally assigning it to devices at once.
     *
     * @param profile the profile's fields as Apple names them ({@code profile_name}, {@code url}, {@code is_supervised}, ...)
     * @return the new profile's UUID
     */
    public String defineProfile(JsonNode profile) {
        JsonNode answer = call("POST", "/profile", requireNonNull(profile, "profile is null"));
        return answer.path("profile_uuid").asText();
    }

    /**
     * Assigns a profile to devices ({@code PUT /profile/devices}).
     *
     * @return each serial number's outcome: {@code SUCCESS}, {@code NOT_ACCESSIBLE} or {@code FAILED}
     */
    public Map<String, String> assignProfile(String profileUuid, List<String> serialNumbers) {
        ObjectNode body = JSON.createObjectNode();
        body.put("profile_uuid", requireNonNull(profileUuid, "profileUuid is null"));
        serialNumbers.forEach(body.putArray("devices")::add);
        Map<String, String> outcome = new LinkedHashMap<>();
        call("PUT", "/profile/devices", body).path("devices").fields()
                .forEachRemaining(entry -> outcome.put(entry.getKey(), entry.getValue().asText()));
        return outcome;
    }

    /**
     * Removes whatever profile devices have ({@code DELETE /profile/devices}, body {@code devices}): they get none until
     * one is assigned again. A device that already fetched its profile keeps it until it is erased and set up again.
     *
     * @return each serial number's outcome: {@code SUCCESS}, {@code NOT_ACCESSIBLE} or {@code FAILED}
     */
    public Map<String, String> removeProfile(List<String> serialNumbers) {
        ObjectNode body = JSON.createObjectNode();
        serialNumbers.forEach(body.putArray("devices")::add);
        Map<String, String> outcome = new LinkedHashMap<>();
        call("DELETE", "/profile/devices", body).path("devices").fields()
                .forEachRemaining(entry -> outcome.put(entry.getKey(), entry.getValue().asText()));
        return outcome;
    }

    /** @return the profile as the service holds it ({@code GET /profile?profile_uuid=...}) */
    public JsonNode profile(String profileUuid) {
        return call("GET", "/profile?profile_uuid=" + encode(requireNonNull(profileUuid, "profileUuid is null")), null);
    }

    private static ObjectNode pageRequest(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit is 1 to " + MAX_LIMIT);
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("limit", limit);
        return body;
    }

    private static DevicePage page(JsonNode json) {
        List<Device> devices = new ArrayList<>();
        for (JsonNode device : json.path("devices")) {
            String serial = device.path("serial_number").asText("");
            if (serial.isEmpty()) {
                continue;
            }
            devices.add(new Device(serial, device.path("model").asText(""), device.path("description").asText(""),
                    device.path("color").asText(""), device.path("os").asText(""), device.path("device_family").asText(""),
                    device.path("profile_status").asText(""), text(device, "profile_uuid"), text(device, "op_type"),
                    text(device, "op_date").flatMap(DeviceAssignmentClient::instant)));
        }
        return new DevicePage(devices, json.path("cursor").asText(""), json.path("more_to_follow").asBoolean(false),
                text(json, "fetched_until").flatMap(DeviceAssignmentClient::instant));
    }

    private static Optional<String> text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        return value == null || value.isNull() || value.asText().isEmpty() ? Optional.empty() : Optional.of(value.asText());
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** A call with the session, opening one first when needed, and once more after a 401 (session expired). */
    private JsonNode call(String method, String path, JsonNode body) {
        String current = session != null ? session : openSession();
        HttpResponse<byte[]> response = send(method, path, body, current);
        if (response.statusCode() == 401) {
            response = send(method, path, body, openSession());
        }
        response.headers().firstValue("X-ADM-Auth-Session").filter(value -> !value.isBlank()).ifPresent(value -> session = value);
        return answer(response);
    }

    private HttpResponse<byte[]> send(String method, String path, JsonNode body, String sessionToken) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("X-ADM-Auth-Session", sessionToken)
                .header("X-Server-Protocol-Version", PROTOCOL_VERSION)
                .header("Accept", "application/json")
                .header("User-Agent", "shepherd-mdm");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            try {
                request.header("Content-Type", "application/json;charset=UTF8")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return exchange(request.build());
    }

    /** Opens a session: {@code GET /session}, signed with OAuth 1.0a. */
    private String openSession() {
        URI uri = base.resolve("/session");
        Map<String, String> oauth = new TreeMap<>();
        oauth.put("oauth_consumer_key", token.consumerKey());
        oauth.put("oauth_token", token.accessToken());
        oauth.put("oauth_signature_method", "HMAC-SHA1");
        oauth.put("oauth_timestamp", Long.toString(clock.instant().getEpochSecond()));
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        oauth.put("oauth_nonce", HexFormat.of().formatHex(nonce));
        oauth.put("oauth_version", "1.0");
        oauth.put("oauth_signature", signature("GET", uri, oauth, token.consumerSecret(), token.accessSecret()));
        String authorization = "OAuth realm=\"ADM\", " + oauth.entrySet().stream()
                .map(entry -> entry.getKey() + "=\"" + encode(entry.getValue()) + "\"").collect(Collectors.joining(", "));
        HttpResponse<byte[]> response = exchange(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization).header("X-Server-Protocol-Version", PROTOCOL_VERSION)
                .header("User-Agent", "shepherd-mdm").GET().build());
        String opened = answer(response).path("auth_session_token").asText("");
        if (opened.isEmpty()) {
            throw new DeviceAssignmentException(response.statusCode(), "NO_SESSION_TOKEN", Optional.empty());
        }
        session = opened;
        return opened;
    }

    /**
     * The OAuth 1.0a HMAC-SHA1 signature (RFC 5849 section 3.4): over the method, the URL without its query, and the
     * sorted, encoded parameters (the query's and the {@code oauth_*} ones but the signature and realm).
     */
    static String signature(String method, URI uri, Map<String, String> oauthParameters, String consumerSecret, String tokenSecret) {
        TreeMap<String, String> parameters = new TreeMap<>();
        oauthParameters.forEach((name, value) -> {
            if (!name.equals("oauth_signature") && !name.equals("realm")) {
                parameters.put(encode(name), encode(value));
            }
        });
        String normalized = parameters.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining("&"));
        String url = uri.getScheme().toLowerCase() + "://" + uri.getAuthority().toLowerCase() + uri.getRawPath();
        String baseString = method + "&" + encode(url) + "&" + encode(normalized);
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec((encode(consumerSecret) + "&" + encode(tokenSecret)).getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(baseString.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 3986 percent-encoding, as OAuth 1.0a requires (unreserved characters kept, space as %20). */
    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private HttpResponse<byte[]> exchange(HttpRequest request) {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.body() != null && response.body().length > MAX_RESPONSE_BYTES) {
                throw new DeviceAssignmentException(response.statusCode(), "RESPONSE_TOO_LARGE", Optional.empty());
            }
            return response;
        } catch (IOException e) {
            throw new DeviceAssignmentException(0, "UNREACHABLE: " + e.getMessage(), Optional.of(DEFAULT_RETRY_AFTER));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceAssignmentException(0, "INTERRUPTED", Optional.empty());
        }
    }

    private static JsonNode answer(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status / 100 != 2) {
            // Apple's errors are a bare code in the body, such as EXPIRED_CURSOR.
            String code = new String(response.body(), StandardCharsets.UTF_8).strip();
            code = code.isEmpty() ? "HTTP_" + status : code.length() > 200 ? code.substring(0, 200) : code;
            Optional<Duration> retryAfter = status == 429 || status == 503
                    ? Optional.of(response.headers().firstValue("Retry-After").flatMap(DeviceAssignmentClient::seconds).orElse(DEFAULT_RETRY_AFTER))
                    : Optional.empty();
            throw new DeviceAssignmentException(status, code, retryAfter);
        }
        try {
            JsonNode json = JSON.readTree(response.body());
            if (json == null || !json.isObject()) {
                throw new DeviceAssignmentException(status, "MALFORMED_RESPONSE", Optional.empty());
            }
            return json;
        } catch (IOException e) {
            throw new DeviceAssignmentException(status, "MALFORMED_RESPONSE", Optional.empty());
        }
    }

    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip()))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
