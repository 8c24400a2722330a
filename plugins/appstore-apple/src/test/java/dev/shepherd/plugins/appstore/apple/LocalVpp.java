package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A local fake of Apple's App and Book Management API v2 and of the App Store metadata lookup, on loopback, built from
 * Apple's published reference and refusing what Apple refuses, with Apple's error shape
 * ({@code {"errorNumber": …, "errorMessage": …}}) and status codes.
 *
 * <p>The contract it follows (Apple Developer documentation, Device Management):
 * <ul>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/managing-apps-and-books-through-web-services">Managing
 *       Apps and Books Through Web Services</a>: every endpoint except {@code service/config} needs the content token as
 *       {@code Authorization: Bearer {sToken}}; the token is Base64 of JSON {@code token}, {@code expDate},
 *       {@code orgName}; {@code tokenExpirationDate} is added to answers within 15 days of expiry; set {@code mdmInfo}
 *       with {@code client/config} and watch it so only one MDM manages a location.</li>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/client-config-71glv">Client Config</a> (GET,
 *       POST with {@code mdmInfo} {@code id}, {@code name}, {@code metadata}; {@code notificationUrl} and
 *       {@code notificationAuthToken} only together, HTTPS), <a href="https://developer.apple.com/documentation/devicemanagement/service-config">Service
 *       Config</a> (GET, no token: URLs, limits such as {@code maxAssets} 25 and {@code maxSerialNumbers} 1000, error codes).</li>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1">Get Assets</a> and
 *       <a href="https://developer.apple.com/documentation/devicemanagement/get-assignments-9wv1e">Get Assignments</a>
 *       (GET, filters as query parameters), paged as
 *       <a href="https://developer.apple.com/documentation/devicemanagement/using-paginated-endpoints">Using Paginated
 *       Endpoints</a> says: zero-based {@code pageIndex}, answers with {@code currentPageIndex}, {@code nextPageIndex}
 *       while more remain, {@code size}, {@code totalPages}, {@code versionId}; a page index outside the pages is error 9650.</li>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/managing-assets">Managing Assets</a>:
 *       {@code assets/associate} and {@code assets/disassociate} (POST JSON {@code assets} [{@code adamId},
 *       {@code pricingParam}], {@code serialNumbers}, {@code clientUserIds}) answer at once with an {@code eventId};
 *       the work is done asynchronously and {@code status?eventId=} tells {@code PENDING}, {@code COMPLETE} or
 *       {@code FAILED} with {@code failures} ({@code errorNumber} 9709 when there are not enough licences, with
 *       {@code errorInfo} naming the serial numbers). Licences are assigned only to device-assignable assets (9707) and
 *       revoked only from revocable ones (9706).</li>
 *   <li>User management (VPP License Management 2.0): <a href="https://developer.apple.com/documentation/devicemanagement/create-users">Create
 *       Users</a>, <a href="https://developer.apple.com/documentation/devicemanagement/update-users">Update Users</a> and
 *       <a href="https://developer.apple.com/documentation/devicemanagement/retire-users">Retire Users</a> (POST JSON
 *       {@code users} [{@code clientUserId}, {@code email}, {@code managedAppleId}], at most {@code maxClientUserIds},
 *       no duplicates: 9704) answer with an {@code eventId} and do the work asynchronously;
 *       <a href="https://developer.apple.com/documentation/devicemanagement/get-users-4mwln">Get Users</a> (GET, paged,
 *       filtered by {@code clientUserId}) lists {@code clientUserId}, {@code email}, {@code status} and, while
 *       {@code Registered}, the {@code inviteCode}; once {@code Associated} the {@code idHash}. The statuses are those of
 *       <a href="https://developer.apple.com/documentation/devicemanagement/vppuser">VppUser</a>: Registered (created, not
 *       linked to an Apple Account), Associated, Retired, Deleted. The {@code clientUserId} must be unique and stable
 *       (Apple advises a GUID, never an email address). Creating a user who is active already returns that user;
 *       creating a retired, never-associated one makes it Registered again
 *       (<a href="https://developer.apple.com/documentation/devicemanagement/registervppuserrequest">RegisterVppUserRequest</a>).
 *       A {@code managedAppleId} of the organisation associates the user at once, with no invitation
 *       (<a href="https://developer.apple.com/forums/thread/716821">Apple's answer on the forums</a>); a personal Apple
 *       Account associates only when the user accepts the invitation ({@code inviteCode}). Retiring a user releases
 *       their revocable licences. {@code assets/associate} with {@code clientUserIds} counts against the same licence
 *       pool as serial numbers; a user Apple does not have (never created, or retired) fails the event with 9609
 *       ("Registered user not found", errorInfo naming the {@code clientUserIds}).</li>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/handling-error-responses">Handling Error
 *       Responses</a>: the synchronous error numbers and statuses (9601 login required 401, 9602 invalid argument 400,
 *       9621 token expired 401, 9625 token revoked 401, 9646 too many requests 429, 9650 bad page index, 9700–9705
 *       limits and duplicates, 9718 no asset, 9719 neither users nor serial numbers, 9722 malformed Authorization 401,
 *       9726 unsupported method 405, 9727 unsupported Content-Type 415) and {@code Retry-After} in seconds.</li>
 *   <li><a href="https://developer.apple.com/documentation/devicemanagement/getting-app-and-book-information-legacy">Getting
 *       app and book information</a>: {@code GET lookup?version=2&id=…&p=mdm-lockup&caller=MDM&platform=…&cc=…&l=…},
 *       the token as cookie {@code itvt} for custom apps; {@code results} keyed by adam id with {@code name},
 *       {@code bundleId}, {@code artistName}, {@code artwork}, {@code offers[].version.display}; an unknown id is
 *       simply absent from {@code results}.</li>
 * </ul>
 * What Apple leaves unsaid the fake decides strictly and says so here: serial numbers are letters, digits and dashes
 * (Apple's own examples include {@code serial-1} and UUIDs), at most 64; adam ids are digits; an adam id the location
 * does not own is refused synchronously with 9602; unknown paths answer 404 in Apple's error shape. A
 * {@code clientUserId} is 1 to 256 characters; an {@code email} or {@code managedAppleId} must look like an address
 * (9602 otherwise); a {@code managedAppleId} outside the organisation's managed domain ({@link #MANAGED_DOMAIN}) fails
 * that user in the event with 9602. A licence may be associated with a Registered user (Apple holds it until the
 * invitation is accepted); the plugin itself waits for Associated.
 *
 * <p>Tests drive it: {@link #addAsset} (what the organisation bought), {@link #issueToken} / {@link #revoke},
 * {@link #throttleNext} (429 with {@code Retry-After}), {@link #failNext} (500 with {@code Retry-After}),
 * {@link #holdEvents} (events stay {@code PENDING} until {@link #releaseEvents}), {@link #pageSize},
 * {@link #acceptInvitation} (a user links a personal Apple Account).
 */
public final class LocalVpp implements AutoCloseable {

    /** The largest request body read; Apple's limits keep real ones far smaller. */
    private static final int MAX_BODY = 1024 * 1024;
    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final Pattern ADAM_ID = Pattern.compile("[0-9]{1,20}");
    private static final DateTimeFormatter APPLE_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ").withZone(ZoneOffset.UTC);
    private static final int MAX_ASSETS = 25;
    private static final int MAX_SERIAL_NUMBERS = 1000;
    private static final int MAX_CLIENT_USER_IDS = 1000;
    /** The domain of the organisation's Managed Apple Accounts in this fake. */
    public static final String MANAGED_DOMAIN = "appleid.example.com";
    private static final Pattern ADDRESS = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");
    private static final Map<Integer, String> MESSAGES = Map.ofEntries(
            Map.entry(9601, "Login required."),
            Map.entry(9602, "Invalid argument."),
            Map.entry(9603, "Internal error."),
            Map.entry(9609, "Unable to find the registered user."),
            Map.entry(9618, "The user has already been retired."),
            Map.entry(9621, "The token has expired. You need to generate a new token online using your organization's account at either school.apple.com or business.apple.com."),
            Map.entry(9625, "The server has revoked the sToken."),
            Map.entry(9646, "There are too many recent requests. Try again momentarily."),
            Map.entry(9650, "The provided page index must be greater than 0, and less than the total number of pages."),
            Map.entry(9700, "Max assets limit on request has been passed, please stay within given limit."),
            Map.entry(9701, "Max clientUserIds limit on request has been passed, please stay within given limit."),
            Map.entry(9702, "Max serialNumbers limit on request has been passed, please stay within given limit."),
            Map.entry(9703, "Duplicate assets found in request, please send unique assets."),
            Map.entry(9704, "Duplicate clientUserIds found in request, please send unique clients."),
            Map.entry(9705, "Duplicate serialNumbers found in request, please send unique serials."),
            Map.entry(9706, "Asset in request is not revocable, please send revocable assets."),
            Map.entry(9707, "Asset in request is not device assignable, please send device assignable assets."),
            Map.entry(9708, "EventId could not be found."),
            Map.entry(9709, "There are not enough licenses for this app or book available to assign to the selected group."),
            Map.entry(9710, "Both the notification URL and the authentication token are necessary."),
            Map.entry(9712, "The provided notification URL must be a valid URL and use HTTPS as the protocol."),
            Map.entry(9713, "The MDM metadata exceeds the maximum length. Change the request to stay within the specified limit."),
            Map.entry(9718, "This request doesn't contain an asset, which is a required argument. Change the request to provide an asset."),
            Map.entry(9719, "Either clientUserIds or serialNumbers are required arguments. Change the request to provide assignable users and devices."),
            Map.entry(9722, "This request contains an invalid authorization header. Change the request to send an authorization header that matches the format 'Bearer {sToken}'."),
            Map.entry(9723, "You must provide an MDM name, ID, and metadata when setting the MDM information."),
            Map.entry(9724, "The MDM ID exceeds the maximum length. Change the request to stay within the specified limit."),
            Map.entry(9725, "The MDM name exceeds the maximum length. Change the request to stay within the specified limit."),
            Map.entry(9726, "This request contains an unsupported HTTP method for the requested endpoint."),
            Map.entry(9727, "This request contains an unsupported Content-Type for the requested endpoint."));

    /** What the organisation bought: one asset of the location. */
    public record OwnedAsset(String adamId, String pricingParam, int totalCount, boolean deviceAssignable, boolean revocable,
                             List<String> supportedPlatforms, String name, String bundleId, String version) {
    }

    private record Location(String organisation, String name, String uId, Instant expiresAt) {
    }

    private record Refusal(int status, int errorNumber) {
    }

    private static final class Event {
        final String type;
        final String adamId;
        final String pricingParam;
        final List<String> serialNumbers;
        final List<String> clientUserIds;
        /** For user management: the users as the request named them. */
        final List<JsonNode> users;
        volatile String status = "PENDING";
        volatile int completed;
        volatile ObjectNode failure;

        Event(String type, String adamId, String pricingParam, List<String> serialNumbers, List<String> clientUserIds, List<JsonNode> users) {
            this.type = type;
            this.adamId = adamId;
            this.pricingParam = pricingParam;
            this.serialNumbers = List.copyOf(serialNumbers);
            this.clientUserIds = List.copyOf(clientUserIds);
            this.users = List.copyOf(users);
        }

        int requested() {
            return users.isEmpty() ? serialNumbers.size() + clientUserIds.size() : users.size();
        }
    }

    /** A user of the location, as Apple keeps them. */
    private static final class VppUser {
        final String clientUserId;
        volatile String email;
        volatile String managedAppleId;
        volatile String status = "Registered";
        volatile String inviteCode = UUID.randomUUID().toString().replace("-", "");
        volatile String idHash;
        /** Whether it was ever linked to an Apple Account: retiring such a user and creating it again makes a new record. */
        volatile boolean everAssociated;

        VppUser(String clientUserId) {
            this.clientUserId = clientUserId;
        }

        boolean active() {
            return status.equals("Registered") || status.equals("Associated");
        }

        void associate() {
            status = "Associated";
            everAssociated = true;
            idHash = Base64.getEncoder().encodeToString(UUID.nameUUIDFromBytes((clientUserId + "/" + inviteCode).getBytes(StandardCharsets.UTF_8))
                    .toString().getBytes(StandardCharsets.UTF_8)).substring(0, 28);
        }
    }

    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build()).build()).build();
    private final HttpServer server;
    private final ExecutorService requests = Executors.newFixedThreadPool(4);
    private final Clock clock;
    private final Map<String, Location> tokens = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final Map<String, OwnedAsset> assets = new ConcurrentHashMap<>();
    /** adamId → serial numbers holding a licence. */
    private final Map<String, Set<String>> assignments = new ConcurrentHashMap<>();
    /** adamId → clientUserIds holding a licence. */
    private final Map<String, Set<String>> userAssignments = new ConcurrentHashMap<>();
    /** clientUserId → the user's current record (retired ones included). */
    private final Map<String, VppUser> users = new ConcurrentHashMap<>();
    private final Map<String, Event> events = new ConcurrentHashMap<>();
    private final List<Event> held = new CopyOnWriteArrayList<>();
    private final List<String> requestLog = new CopyOnWriteArrayList<>();
    private final AtomicInteger throttled = new AtomicInteger();
    private final AtomicInteger failing = new AtomicInteger();
    private volatile int retryAfterSeconds = 1;
    private volatile boolean holdEvents;
    private volatile int pageSize = 100;
    private volatile ObjectNode mdmInfo;

    private LocalVpp(Clock clock) throws IOException {
        this.clock = clock;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(requests);
        server.start();
    }

    /** @return a running fake, going by the system clock */
    public static LocalVpp start() {
        return start(Clock.systemUTC());
    }

    /** @param clock decides which tokens have expired */
    public static LocalVpp start(Clock clock) {
        try {
            return new LocalVpp(requireNonNull(clock, "clock is null"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the management API root, to configure as {@code serviceUrl} */
    public URI serviceUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mdm/v2/");
    }

    /** @return the metadata lookup, to configure as {@code lookupUrl} */
    public URI lookupUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/WebObjects/MZStorePlatform.woa/wa/lookup");
    }

    /**
     * Issues a content token for a location, as Apple Business Manager does.
     *
     * @return the token file's text (Base64)
     */
    public String issueToken(String organisation, String location, Instant expiresAt) {
        String inner = Base64.getEncoder().encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        String file = "{\"token\":\"" + inner + "\",\"expDate\":\"" + APPLE_DATE.format(expiresAt) + "\",\"orgName\":\"" + organisation + "\"}";
        String token = Base64.getEncoder().encodeToString(file.getBytes(StandardCharsets.UTF_8));
        tokens.put(token, new Location(organisation, location, Long.toString(2049025000000000L + tokens.size()), expiresAt));
        return token;
    }

    /** Apple revokes a token (an admin downloaded a newer one for the location). */
    public void revoke(String token) {
        revoked.add(token);
    }

    /** The organisation bought licences of an app. */
    public void addAsset(OwnedAsset asset) {
        assets.put(asset.adamId(), asset);
        assignments.putIfAbsent(asset.adamId(), ConcurrentHashMap.newKeySet());
        userAssignments.putIfAbsent(asset.adamId(), ConcurrentHashMap.newKeySet());
    }

    /** A Registered user accepts Apple's invitation with a personal Apple Account: they become Associated. */
    public synchronized void acceptInvitation(String clientUserId) {
        VppUser user = users.get(clientUserId);
        if (user == null || !user.status.equals("Registered")) {
            throw new IllegalStateException("no Registered user " + clientUserId);
        }
        user.associate();
    }

    /** @return a user's status (Registered, Associated, Retired), empty when Apple has no such user */
    public Optional<String> userStatus(String clientUserId) {
        return Optional.ofNullable(users.get(clientUserId)).map(user -> user.status);
    }

    /** @return the clientUserIds holding a licence of an asset */
    public Set<String> assignedClientUserIds(String adamId) {
        return Set.copyOf(userAssignments.getOrDefault(adamId, Set.of()));
    }

    /** Answers the next {@code count} requests 429 (9646) with {@code Retry-After: seconds}. */
    public void throttleNext(int count, int seconds) {
        retryAfterSeconds = seconds;
        throttled.set(count);
    }

    /** Answers the next {@code count} requests 500 (9603) with {@code Retry-After: seconds}. */
    public void failNext(int count, int seconds) {
        retryAfterSeconds = seconds;
        failing.set(count);
    }

    /** How many records a page holds (Apple's limit is server-controlled, several hundred). */
    public void pageSize(int size) {
        pageSize = size;
    }

    /** Asynchronous work stays PENDING until {@link #releaseEvents()}. */
    public void holdEvents() {
        holdEvents = true;
    }

    /** Does the asynchronous work held so far and from now on. */
    public void releaseEvents() {
        holdEvents = false;
        for (Event event : held) {
            process(event);
        }
        held.clear();
    }

    /** @return the asset of an adam id the organisation bought, as the App Store would hand its app out */
    public Optional<OwnedAsset> asset(String adamId) {
        return Optional.ofNullable(assets.get(adamId));
    }

    /** @return the serial numbers holding a licence of an asset */
    public Set<String> assignedSerialNumbers(String adamId) {
        return Set.copyOf(assignments.getOrDefault(adamId, Set.of()));
    }

    /** @return every request received, as {@code METHOD /path?query} */
    public List<String> requests() {
        return List.copyOf(requestLog);
    }

    /** @return the MDM information last set with {@code client/config}, empty when none */
    public Optional<JsonNode> mdmInfo() {
        return Optional.ofNullable(mdmInfo);
    }

    @Override
    public void close() {
        server.stop(0);
        requests.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requestLog.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            if (path.equals(lookupUrl().getPath())) {
                lookup(exchange);
                return;
            }
            if (failing.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                exchange.getResponseHeaders().add("Retry-After", Integer.toString(retryAfterSeconds));
                error(exchange, new Refusal(500, 9603));
                return;
            }
            if (throttled.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
                exchange.getResponseHeaders().add("Retry-After", Integer.toString(retryAfterSeconds));
                error(exchange, new Refusal(429, 9646));
                return;
            }
            String endpoint = path.startsWith("/mdm/v2/") ? path.substring("/mdm/v2/".length()) : "";
            String method = exchange.getRequestMethod();
            Set<String> allowed = switch (endpoint) {
                case "client/config" -> Set.of("GET", "POST");
                case "service/config", "assets", "assignments", "status", "users" -> Set.of("GET");
                case "assets/associate", "assets/disassociate", "users/create", "users/update", "users/retire" -> Set.of("POST");
                default -> Set.of();
            };
            if (allowed.isEmpty()) {
                error(exchange, new Refusal(404, 9602));
                return;
            }
            if (!allowed.contains(method)) {
                error(exchange, new Refusal(405, 9726));
                return;
            }
            if (endpoint.equals("service/config")) {
                respond(exchange, 200, serviceConfig());
                return;
            }
            Location location;
            String token;
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !authorization.startsWith("Bearer ") || authorization.length() == "Bearer ".length()) {
                error(exchange, new Refusal(401, 9722));
                return;
            }
            token = authorization.substring("Bearer ".length());
            location = tokens.get(token);
            if (location == null) {
                error(exchange, new Refusal(401, 9601));
                return;
            }
            if (revoked.contains(token)) {
                error(exchange, new Refusal(401, 9625));
                return;
            }
            if (!location.expiresAt().isAfter(clock.instant())) {
                error(exchange, new Refusal(401, 9621));
                return;
            }
            JsonNode body = null;
            if (method.equals("POST")) {
                String contentType = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("");
                if (!contentType.toLowerCase().startsWith("application/json")) {
                    error(exchange, new Refusal(415, 9727));
                    return;
                }
                try (InputStream in = exchange.getRequestBody()) {
                    byte[] bytes = in.readNBytes(MAX_BODY + 1);
                    body = bytes.length > MAX_BODY ? null : json.readTree(bytes);
                } catch (IOException notJson) {
                    body = null;
                }
                if (body == null || !body.isObject()) {
                    error(exchange, new Refusal(400, 9602));
                    return;
                }
            }
            Map<String, String> query = query(exchange.getRequestURI());
            Object answer = switch (endpoint) {
                case "client/config" -> method.equals("GET") ? clientConfig(location) : setClientConfig(location, body);
                case "assets" -> assets(location, query);
                case "assignments" -> assignments(location, query);
                case "status" -> status(location, query);
                case "assets/associate" -> manage(location, body, "ASSOCIATE");
                case "users" -> listUsers(location, query);
                case "users/create" -> manageUsers(location, body, "CREATE");
                case "users/update" -> manageUsers(location, body, "UPDATE");
                case "users/retire" -> manageUsers(location, body, "RETIRE");
                default -> manage(location, body, "DISASSOCIATE");
            };
            if (answer instanceof Refusal refusal) {
                error(exchange, refusal);
            } else {
                respond(exchange, 200, (ObjectNode) answer);
            }
        } catch (RuntimeException e) {
            error(exchange, new Refusal(500, 9603));
        }
    }

    private ObjectNode serviceConfig() {
        ObjectNode config = json.createObjectNode();
        ArrayNode codes = config.putArray("errorCodes");
        MESSAGES.forEach((number, message) -> codes.addObject().put("errorMessage", message).put("errorNumber", number));
        config.putObject("limits").put("maxAssets", MAX_ASSETS).put("maxSerialNumbers", MAX_SERIAL_NUMBERS)
                .put("maxClientUserIds", MAX_CLIENT_USER_IDS).put("maxMdmIdLength", 100).put("maxMdmNameLength", 100).put("maxMdmMetadataLength", 255);
        config.putArray("notificationTypes").add("ASSET_MANAGEMENT").add("USER_MANAGEMENT").add("USER_ASSOCIATED").add("ASSET_COUNT");
        String root = serviceUrl().toString();
        config.putObject("urls").put("clientConfig", root + "client/config").put("getAssets", root + "assets")
                .put("getAssignments", root + "assignments").put("associateAssets", root + "assets/associate")
                .put("disassociateAssets", root + "assets/disassociate").put("eventStatus", root + "status")
                .put("getUsers", root + "users").put("createUsers", root + "users/create").put("updateUsers", root + "users/update")
                .put("retireUsers", root + "users/retire")
                .put("contentMetadataLookup", lookupUrl().toString());
        return config;
    }

    private ObjectNode clientConfig(Location location) {
        ObjectNode config = stamped(location);
        config.put("countryISO2ACode", "US").put("defaultPlatform", "volumestore").put("locationName", location.name())
                .put("tokenExpirationDate", APPLE_DATE.format(location.expiresAt())).put("websiteURL", "https://business.apple.com");
        config.putArray("subscribedNotificationTypes");
        return config;
    }

    private Object setClientConfig(Location location, JsonNode body) {
        boolean hasUrl = body.hasNonNull("notificationUrl");
        if (hasUrl != body.hasNonNull("notificationAuthToken")) {
            return new Refusal(400, 9710);
        }
        if (hasUrl && !body.path("notificationUrl").asText().startsWith("https://")) {
            return new Refusal(400, 9712);
        }
        JsonNode info = body.get("mdmInfo");
        if (info != null) {
            for (String field : List.of("id", "name", "metadata")) {
                if (!info.path(field).isTextual() || info.path(field).asText().isEmpty()) {
                    return new Refusal(400, 9723);
                }
            }
            if (info.path("id").asText().length() > 100) {
                return new Refusal(400, 9724);
            }
            if (info.path("name").asText().length() > 100) {
                return new Refusal(400, 9725);
            }
            if (info.path("metadata").asText().length() > 255) {
                return new Refusal(400, 9713);
            }
            mdmInfo = json.createObjectNode().put("id", info.path("id").asText()).put("name", info.path("name").asText())
                    .put("metadata", info.path("metadata").asText());
        }
        return clientConfig(location);
    }

    private Object assets(Location location, Map<String, String> query) {
        List<ObjectNode> matching = new ArrayList<>();
        for (OwnedAsset asset : assets.values().stream().sorted((a, b) -> a.adamId().compareTo(b.adamId())).toList()) {
            if (query.containsKey("adamId") && !query.get("adamId").equals(asset.adamId())
                    || query.containsKey("pricingParam") && !query.get("pricingParam").equals(asset.pricingParam())
                    || query.containsKey("productType") && !query.get("productType").equals("App")
                    || query.containsKey("deviceAssignable") && Boolean.parseBoolean(query.get("deviceAssignable")) != asset.deviceAssignable()) {
                continue;
            }
            int assigned = assignments.get(asset.adamId()).size() + userAssignments.get(asset.adamId()).size();
            ObjectNode node = json.createObjectNode().put("adamId", asset.adamId()).put("assignedCount", assigned)
                    .put("availableCount", asset.totalCount() - assigned).put("deviceAssignable", asset.deviceAssignable())
                    .put("pricingParam", asset.pricingParam()).put("productType", "App").put("retiredCount", 0)
                    .put("revocable", asset.revocable()).put("totalCount", asset.totalCount());
            ArrayNode platforms = node.putArray("supportedPlatforms");
            asset.supportedPlatforms().forEach(platforms::add);
            matching.add(node);
        }
        return page(location, query, "assets", matching);
    }

    private Object assignments(Location location, Map<String, String> query) {
        List<ObjectNode> matching = new ArrayList<>();
        assignments.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            if (query.containsKey("adamId") && !query.get("adamId").equals(entry.getKey())) {
                return;
            }
            entry.getValue().stream().sorted().forEach(serial -> {
                if (query.containsKey("serialNumber") && !query.get("serialNumber").equals(serial) || query.containsKey("clientUserId")) {
                    return;
                }
                matching.add(json.createObjectNode().put("adamId", entry.getKey()).put("serialNumber", serial)
                        .put("pricingParam", assets.get(entry.getKey()).pricingParam()));
            });
            userAssignments.get(entry.getKey()).stream().sorted().forEach(user -> {
                if (query.containsKey("clientUserId") && !query.get("clientUserId").equals(user) || query.containsKey("serialNumber")) {
                    return;
                }
                matching.add(json.createObjectNode().put("adamId", entry.getKey()).put("clientUserId", user)
                        .put("pricingParam", assets.get(entry.getKey()).pricingParam()));
            });
        });
        return page(location, query, "assignments", matching);
    }

    private Object page(Location location, Map<String, String> query, String field, List<ObjectNode> records) {
        int totalPages = Math.max(1, (records.size() + pageSize - 1) / pageSize);
        int pageIndex;
        try {
            pageIndex = Integer.parseInt(query.getOrDefault("pageIndex", "0"));
        } catch (NumberFormatException e) {
            return new Refusal(400, 9650);
        }
        if (pageIndex < 0 || pageIndex >= totalPages) {
            return new Refusal(400, 9650);
        }
        List<ObjectNode> page = records.subList(Math.min(records.size(), pageIndex * pageSize), Math.min(records.size(), (pageIndex + 1) * pageSize));
        ObjectNode answer = stamped(location);
        answer.putArray(field).addAll(page);
        answer.put("currentPageIndex", pageIndex).put("size", page.size()).put("totalPages", totalPages)
                .put("versionId", UUID.nameUUIDFromBytes(records.toString().getBytes(StandardCharsets.UTF_8)).toString());
        if (pageIndex + 1 < totalPages) {
            answer.put("nextPageIndex", pageIndex + 1);
        }
        return answer;
    }

    private Object status(Location location, Map<String, String> query) {
        Event event = events.get(query.getOrDefault("eventId", ""));
        if (event == null) {
            return new Refusal(400, 9708);
        }
        ObjectNode answer = stamped(location).put("eventStatus", event.status).put("eventType", event.type)
                .put("numCompleted", event.completed).put("numRequested", event.requested());
        if (event.failure != null) {
            answer.putArray("failures").add(event.failure);
        }
        return answer;
    }

    private Object manage(Location location, JsonNode body, String type) {
        JsonNode requestedAssets = body.get("assets");
        Optional<Refusal> assetsRefused = refuseList(requestedAssets, 9718, MAX_ASSETS, 9700);
        if (assetsRefused.isPresent()) {
            return assetsRefused.get();
        }
        List<String> serials = strings(body.get("serialNumbers"));
        List<String> users = strings(body.get("clientUserIds"));
        if (serials == null || users == null) {
            return new Refusal(400, 9602);
        }
        if (serials.isEmpty() && users.isEmpty()) {
            return new Refusal(400, 9719);
        }
        if (serials.size() > MAX_SERIAL_NUMBERS) {
            return new Refusal(400, 9702);
        }
        if (users.size() > MAX_CLIENT_USER_IDS) {
            return new Refusal(400, 9701);
        }
        if (new HashSet<>(serials).size() != serials.size()) {
            return new Refusal(400, 9705);
        }
        if (new HashSet<>(users).size() != users.size()) {
            return new Refusal(400, 9704);
        }
        if (serials.stream().anyMatch(serial -> !SERIAL.matcher(serial).matches()) || users.stream().anyMatch(LocalVpp::badClientUserId)) {
            return new Refusal(400, 9602);
        }
        Set<String> seen = new LinkedHashSet<>();
        List<OwnedAsset> owned = new ArrayList<>();
        for (JsonNode requested : requestedAssets) {
            String adamId = requested.path("adamId").asText("");
            String pricingParam = requested.path("pricingParam").asText("STDQ");
            if (!requested.isObject() || !ADAM_ID.matcher(adamId).matches() || !Set.of("STDQ", "PLUS").contains(pricingParam)) {
                return new Refusal(400, 9602);
            }
            if (!seen.add(adamId + "/" + pricingParam)) {
                return new Refusal(400, 9703);
            }
            OwnedAsset asset = assets.get(adamId);
            if (asset == null || !asset.pricingParam().equals(pricingParam)) {
                return new Refusal(400, 9602);
            }
            if (type.equals("ASSOCIATE") && !serials.isEmpty() && !asset.deviceAssignable()) {
                return new Refusal(400, 9707);
            }
            if (type.equals("DISASSOCIATE") && !asset.revocable()) {
                return new Refusal(400, 9706);
            }
            owned.add(asset);
        }
        // One event per request; the fake keeps one asset per event, which is all the plugin sends.
        OwnedAsset asset = owned.get(0);
        return accepted(location, new Event(type, asset.adamId(), asset.pricingParam(), serials, users, List.of()));
    }

    /** Apple's answer to asynchronous work: the event's id at once, the work done now or, while events are held, later. */
    private ObjectNode accepted(Location location, Event event) {
        String eventId = UUID.randomUUID().toString();
        events.put(eventId, event);
        if (holdEvents) {
            held.add(event);
        } else {
            process(event);
        }
        return stamped(location).put("eventId", eventId);
    }

    /**
     * Apple's asynchronous work: an association naming a user Apple does not have fails whole with 9609, one beyond
     * the licences left (serial numbers and users drawing on the same pool) with 9709, naming the serial numbers and
     * users it could not serve.
     */
    private synchronized void process(Event event) {
        if (!event.users.isEmpty()) {
            processUsers(event);
            return;
        }
        Set<String> holders = assignments.get(event.adamId);
        Set<String> userHolders = userAssignments.get(event.adamId);
        if (event.type.equals("ASSOCIATE")) {
            List<String> unknown = event.clientUserIds.stream().filter(id -> users.get(id) == null || !users.get(id).active()).toList();
            if (!unknown.isEmpty()) {
                fail(event, 9609, List.of(), unknown, 0);
                return;
            }
            List<String> newcomers = event.serialNumbers.stream().filter(serial -> !holders.contains(serial)).toList();
            List<String> newUsers = event.clientUserIds.stream().filter(user -> !userHolders.contains(user)).toList();
            int available = assets.get(event.adamId).totalCount() - holders.size() - userHolders.size();
            if (newcomers.size() + newUsers.size() > available) {
                fail(event, 9709, newcomers, newUsers, event.requested() - newcomers.size() - newUsers.size());
                return;
            }
            holders.addAll(newcomers);
            userHolders.addAll(newUsers);
        } else {
            holders.removeAll(event.serialNumbers);
            userHolders.removeAll(event.clientUserIds);
        }
        event.completed = event.requested();
        event.status = "COMPLETE";
    }

    private void fail(Event event, int errorNumber, List<String> serialNumbers, List<String> clientUserIds, int completed) {
        ObjectNode failure = json.createObjectNode().put("errorNumber", errorNumber).put("errorMessage", MESSAGES.get(errorNumber));
        ObjectNode info = failure.putObject("errorInfo");
        if (!serialNumbers.isEmpty()) {
            serialNumbers.forEach(info.putArray("serialNumbers")::add);
        }
        if (!clientUserIds.isEmpty()) {
            clientUserIds.forEach(info.putArray("clientUserIds")::add);
        }
        event.failure = failure;
        event.completed = completed;
        event.status = "FAILED";
    }

    private Object listUsers(Location location, Map<String, String> query) {
        List<ObjectNode> matching = new ArrayList<>();
        boolean includeRetired = Boolean.parseBoolean(query.getOrDefault("includeRetired", "false"));
        users.values().stream().sorted((a, b) -> a.clientUserId.compareTo(b.clientUserId)).forEach(user -> {
            if (query.containsKey("clientUserId") && !query.get("clientUserId").equals(user.clientUserId) || !includeRetired && !user.active()) {
                return;
            }
            ObjectNode node = json.createObjectNode().put("clientUserId", user.clientUserId).put("status", user.status);
            if (user.email != null) {
                node.put("email", user.email);
            }
            if (user.managedAppleId != null) {
                node.put("managedAppleId", user.managedAppleId);
            }
            if (user.status.equals("Registered")) {
                node.put("inviteCode", user.inviteCode);
            }
            if (user.idHash != null && user.status.equals("Associated")) {
                node.put("idHash", user.idHash);
            }
            matching.add(node);
        });
        return page(location, query, "users", matching);
    }

    /** {@code users/create}, {@code users/update}, {@code users/retire}: the request's shape is checked at once, the work done as an event. */
    private Object manageUsers(Location location, JsonNode body, String type) {
        JsonNode requested = body.get("users");
        Optional<Refusal> usersRefused = refuseList(requested, 9602, MAX_CLIENT_USER_IDS, 9701);
        if (usersRefused.isPresent()) {
            return usersRefused.get();
        }
        Set<String> seen = new HashSet<>();
        for (JsonNode user : requested) {
            JsonNode id = user.get("clientUserId");
            if (!user.isObject() || id == null || !id.isTextual() || badClientUserId(id.asText())) {
                return new Refusal(400, 9602);
            }
            for (String field : List.of("email", "managedAppleId")) {
                JsonNode value = user.get(field);
                if (value != null && !value.isNull() && (!value.isTextual() || !ADDRESS.matcher(value.asText()).matches())) {
                    return new Refusal(400, 9602);
                }
            }
            if (!seen.add(id.asText())) {
                return new Refusal(400, 9704);
            }
        }
        List<JsonNode> named = new ArrayList<>();
        requested.forEach(named::add);
        return accepted(location, new Event(type, "", "", List.of(), List.of(), named));
    }

    /** The work of a user-management event; a user it cannot serve fails the event, naming them, and the others are done. */
    private void processUsers(Event event) {
        List<String> unknown = new ArrayList<>();
        List<String> retiredAlready = new ArrayList<>();
        List<String> foreign = new ArrayList<>();
        for (JsonNode named : event.users) {
            String id = named.path("clientUserId").asText();
            VppUser user = users.get(id);
            String email = named.hasNonNull("email") ? named.path("email").asText() : null;
            String managedAppleId = named.hasNonNull("managedAppleId") ? named.path("managedAppleId").asText() : null;
            if (managedAppleId != null && !managedAppleId.endsWith("@" + MANAGED_DOMAIN)) {
                foreign.add(id);
                continue;
            }
            switch (event.type) {
                case "CREATE" -> {
                    if (user == null || !user.active() && user.everAssociated) {
                        user = new VppUser(id); // a new record: the retired one stays as it was
                        users.put(id, user);
                    } else if (!user.active()) {
                        user.status = "Registered";
                    }
                    update(user, email, managedAppleId);
                }
                case "UPDATE" -> {
                    if (user == null || !user.active()) {
                        unknown.add(id);
                    } else {
                        update(user, email, managedAppleId);
                    }
                }
                default -> {
                    if (user == null) {
                        unknown.add(id);
                    } else if (!user.active()) {
                        retiredAlready.add(id);
                    } else {
                        user.status = "Retired";
                        userAssignments.forEach((adamId, holders) -> {
                            if (assets.get(adamId).revocable()) {
                                holders.remove(id);
                            }
                        });
                    }
                }
            }
        }
        if (!foreign.isEmpty()) {
            fail(event, 9602, List.of(), foreign, event.requested() - foreign.size());
        } else if (!unknown.isEmpty()) {
            fail(event, 9609, List.of(), unknown, event.requested() - unknown.size());
        } else if (!retiredAlready.isEmpty()) {
            fail(event, 9618, List.of(), retiredAlready, event.requested() - retiredAlready.size());
        } else {
            event.completed = event.requested();
            event.status = "COMPLETE";
        }
    }

    /** Email and Managed Apple Account as given; a Managed Apple Account of the organisation links the user at once. */
    private static void update(VppUser user, String email, String managedAppleId) {
        if (email != null) {
            user.email = email;
        }
        if (managedAppleId != null) {
            user.managedAppleId = managedAppleId;
            if (!user.status.equals("Associated")) {
                user.associate();
            }
        }
    }

    /** A request's list is missing, not a list or empty ({@code missing}), or longer than Apple's limit ({@code tooMany}). */
    private static Optional<Refusal> refuseList(JsonNode list, int missing, int limit, int tooMany) {
        if (list == null || !list.isArray() || list.isEmpty()) {
            return Optional.of(new Refusal(400, missing));
        }
        return list.size() > limit ? Optional.of(new Refusal(400, tooMany)) : Optional.empty();
    }

    private static boolean badClientUserId(String clientUserId) {
        return clientUserId.isBlank() || clientUserId.length() > 256;
    }

    private void lookup(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            respond(exchange, 405, json.createObjectNode().put("error", "GET only"));
            return;
        }
        Map<String, String> query = query(exchange.getRequestURI());
        String ids = query.getOrDefault("id", "");
        if (ids.isEmpty() || !query.containsKey("p") || !query.containsKey("platform") || !query.getOrDefault("cc", "").matches("[a-zA-Z]{2}")) {
            respond(exchange, 400, json.createObjectNode().put("error", "id, p, platform and a two-letter cc are required"));
            return;
        }
        ObjectNode answer = json.createObjectNode();
        ObjectNode results = answer.putObject("results");
        for (String id : ids.split(",")) {
            OwnedAsset asset = assets.get(id);
            if (asset == null) {
                continue;
            }
            ObjectNode app = results.putObject(id).put("id", id).put("name", asset.name()).put("bundleId", asset.bundleId())
                    .put("artistName", "Example Publisher").put("kind", asset.supportedPlatforms().contains("macOS") ? "mac-software" : "iosSoftware");
            app.putObject("artwork").put("url", "https://is1-ssl.mzstatic.com/image/thumb/" + id + "/AppIcon.png/{w}x{h}bb.{f}").put("width", 1024).put("height", 1024);
            ObjectNode offer = app.putArray("offers").addObject().put("type", "get").put("price", 0);
            offer.putObject("version").put("display", asset.version()).put("externalId", 830786363);
            offer.putArray("assets").addObject().put("flavor", "iosSoftware").put("size", 549427200L);
        }
        answer.put("version", 2).put("isAuthenticated", false);
        respond(exchange, 200, answer);
    }

    private ObjectNode stamped(Location location) {
        ObjectNode answer = json.createObjectNode().put("uId", location.uId());
        if (!location.expiresAt().isAfter(clock.instant().plus(Duration.ofDays(15)))) {
            answer.put("tokenExpirationDate", APPLE_DATE.format(location.expiresAt()));
        }
        if (mdmInfo != null) {
            answer.set("mdmInfo", mdmInfo.deepCopy());
        }
        return answer;
    }

    private static List<String> strings(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            return null;
        }
        List<String> values = new ArrayList<>();
        for (JsonNode value : node) {
            if (!value.isTextual()) {
                return null;
            }
            values.add(value.asText());
        }
        return values;
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> query = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            query.putIfAbsent(name, value);
        }
        return query;
    }

    private void error(HttpExchange exchange, Refusal refusal) throws IOException {
        respond(exchange, refusal.status(), json.createObjectNode().put("errorNumber", refusal.errorNumber())
                .put("errorMessage", MESSAGES.getOrDefault(refusal.errorNumber(), "Internal error.")));
    }

    private void respond(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
