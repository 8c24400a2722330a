package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A client of Apple's App and Book Management API v2 ({@code https://vpp.itunes.apple.com/mdm/v2/}) and of the App Store
 * metadata lookup, as {@code LocalVpp} in the tests describes the contract. Every call carries the content token as
 * {@code Authorization: Bearer}; throttling ({@code 429}, error 9646) and Apple's own trouble ({@code 5xx}) are tried
 * again up to {@link VppSettings#maxAttempts()}, waiting out {@code Retry-After} or else backing off exponentially;
 * answers are read up to {@link VppSettings#maxResponseBytes()} and parsed with bounded nesting; paginated endpoints
 * are followed through {@code nextPageIndex}.
 */
public final class VppClient {

    private static final Logger log = LoggerFactory.getLogger(VppClient.class);
    /** No organisation has this many pages; a service that keeps answering with more is not followed further. */
    private static final int MAX_PAGES = 10_000;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final VppSettings settings;
    private final HttpClient http;
    private final Clock clock;
    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build()).build();

    /** An asset (app or book) the location owns, with its licence counts. */
    public record Asset(String adamId, String pricingParam, String productType, long totalCount, long assignedCount,
                        long availableCount, boolean deviceAssignable, boolean revocable, List<String> supportedPlatforms) {
        /** Validates and copies every part. */
        public Asset {
            requireNonNull(adamId, "adamId is null");
            requireNonNull(pricingParam, "pricingParam is null");
            requireNonNull(productType, "productType is null");
            supportedPlatforms = List.copyOf(supportedPlatforms);
        }
    }

    /** One page of {@code GET assets}: its assets and the index of the next page, empty on the last. */
    public record AssetPage(List<Asset> assets, OptionalInt nextPageIndex) {
        /** Validates and copies every part. */
        public AssetPage {
            assets = List.copyOf(assets);
            requireNonNull(nextPageIndex, "nextPageIndex is null");
        }
    }

    /** One licence held by a device ({@code serialNumber}) or a user ({@code clientUserId}). */
    public record Assignment(String adamId, String pricingParam, Optional<String> serialNumber, Optional<String> clientUserId) {
        /** Validates every part. */
        public Assignment {
            requireNonNull(adamId, "adamId is null");
            requireNonNull(pricingParam, "pricingParam is null");
            requireNonNull(serialNumber, "serialNumber is null");
            requireNonNull(clientUserId, "clientUserId is null");
        }
    }

    /** One error Apple reported, synchronously or in an event's failures. */
    public record AppleError(int errorNumber, String errorMessage) {
        /** Validates every part. */
        public AppleError {
            requireNonNull(errorMessage, "errorMessage is null");
        }
    }

    /** The state of an asynchronous request ({@code PENDING}, {@code COMPLETE} or {@code FAILED}). */
    public record Event(String eventId, String eventStatus, String eventType, int numRequested, int numCompleted, List<AppleError> failures) {
        /** Validates and copies every part. */
        public Event {
            requireNonNull(eventId, "eventId is null");
            requireNonNull(eventStatus, "eventStatus is null");
            requireNonNull(eventType, "eventType is null");
            failures = List.copyOf(failures);
        }

        /** @return whether Apple is still working on it */
        public boolean pending() {
            return "PENDING".equals(eventStatus);
        }

        /** @return whether every part of it was done */
        public boolean complete() {
            return "COMPLETE".equals(eventStatus);
        }
    }

    /**
     * A user of the location ({@code GET users}): {@code Registered} until linked to an Apple Account (then
     * {@code inviteCode} is the invitation to accept), {@code Associated} once linked, {@code Retired} or {@code Deleted}.
     */
    public record VppUser(String clientUserId, String status, Optional<String> email, Optional<String> inviteCode) {
        /** Validates every part. */
        public VppUser {
            requireNonNull(clientUserId, "clientUserId is null");
            requireNonNull(status, "status is null");
            requireNonNull(email, "email is null");
            requireNonNull(inviteCode, "inviteCode is null");
        }

        /** @return whether the user is linked to an Apple Account, so licences assigned to them reach their devices */
        public boolean associated() {
            return "Associated".equals(status);
        }

        /** @return whether the user is Registered or Associated (not retired) */
        public boolean active() {
            return associated() || "Registered".equals(status);
        }
    }

    /** A user to create or update: the MDM's stable id of them, and optionally their email and Managed Apple Account. */
    public record NewUser(String clientUserId, Optional<String> email, Optional<String> managedAppleId) {
        /** Validates every part. */
        public NewUser {
            requireNonNull(clientUserId, "clientUserId is null");
            requireNonNull(email, "email is null");
            requireNonNull(managedAppleId, "managedAppleId is null");
        }
    }

    /** Which MDM manages the location: set by this plugin, so another MDM taking the location over shows. */
    public record MdmInfo(String id, String name, String metadata) {
        /** Validates every part. */
        public MdmInfo {
            requireNonNull(id, "id is null");
            requireNonNull(name, "name is null");
            requireNonNull(metadata, "metadata is null");
        }
    }

    /** The location the content token manages. */
    public record ClientConfig(String locationName, String uId, String countryCode, Optional<MdmInfo> mdmInfo) {
        /** Validates every part. */
        public ClientConfig {
            requireNonNull(locationName, "locationName is null");
            requireNonNull(uId, "uId is null");
            requireNonNull(countryCode, "countryCode is null");
            requireNonNull(mdmInfo, "mdmInfo is null");
        }
    }

    /** What the App Store tells about an app. */
    public record AppMetadata(String adamId, String name, String bundleId, Optional<String> version, String publisher,
                              Optional<URI> icon, OptionalLong size, String kind) {
        /** Validates every part. */
        public AppMetadata {
            requireNonNull(adamId, "adamId is null");
            requireNonNull(name, "name is null");
            requireNonNull(bundleId, "bundleId is null");
            requireNonNull(version, "version is null");
            requireNonNull(publisher, "publisher is null");
            requireNonNull(icon, "icon is null");
            requireNonNull(size, "size is null");
            requireNonNull(kind, "kind is null");
        }
    }

    /**
     * @param settings where Apple is and how hard to try
     * @param http the HTTP client, such as {@link #newHttpClient()}
     * @param clock tells the time for HTTP-date {@code Retry-After} headers
     */
    public VppClient(VppSettings settings, HttpClient http, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return an HTTP client that never follows redirects, so the content token goes only where it is configured to */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** {@code GET client/config}: the location the token manages; proves Apple accepts the token. */
    public ClientConfig clientConfig(ContentToken token) throws VppException, InterruptedException {
        return clientConfigFrom(call("GET", "client/config", Map.of(), Optional.empty(), token));
    }

    /** {@code POST client/config} with {@code mdmInfo}: records this server as the location's MDM. */
    public ClientConfig registerMdm(ContentToken token, MdmInfo mdmInfo) throws VppException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.putObject("mdmInfo").put("id", mdmInfo.id()).put("name", mdmInfo.name()).put("metadata", mdmInfo.metadata());
        return clientConfigFrom(call("POST", "client/config", Map.of(), Optional.of(body), token));
    }

    /** {@code GET assets}, every page: the apps and books the location owns with their licence counts. */
    public List<Asset> assets(ContentToken token) throws VppException, InterruptedException {
        return pages(token, "assets", Map.of(), "assets", VppClient::asset);
    }

    /**
     * {@code GET assets?pageIndex=}: one page of the assets, for callers that page themselves.
     *
     * @param pageIndex the zero-based page
     */
    public AssetPage assetPage(ContentToken token, int pageIndex) throws VppException, InterruptedException {
        Map<String, String> query = pageIndex == 0 ? Map.of() : Map.of("pageIndex", Integer.toString(pageIndex));
        JsonNode answer = call("GET", "assets", query, Optional.empty(), token);
        List<Asset> assets = new ArrayList<>();
        answer.path("assets").forEach(node -> assets.add(asset(node)));
        JsonNode next = answer.get("nextPageIndex");
        return new AssetPage(assets, next != null && next.canConvertToInt() && next.asInt() > pageIndex
                ? OptionalInt.of(next.asInt()) : OptionalInt.empty());
    }

    /** {@code GET assets?adamId=}: one asset, empty when the location does not own it. */
    public Optional<Asset> asset(ContentToken token, String adamId) throws VppException, InterruptedException {
        return pages(token, "assets", Map.of("adamId", adamId), "assets", VppClient::asset).stream()
                .filter(asset -> asset.adamId().equals(adamId)).findFirst();
    }

    /** {@code GET assignments}, every page, filtered by asset and (when given) serial number. */
    public List<Assignment> assignments(ContentToken token, String adamId, Optional<String> serialNumber) throws VppException, InterruptedException {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("adamId", adamId);
        serialNumber.ifPresent(serial -> query.put("serialNumber", serial));
        return pages(token, "assignments", query, "assignments", node -> new Assignment(node.path("adamId").asText(),
                node.path("pricingParam").asText("STDQ"), optionalText(node, "serialNumber"), optionalText(node, "clientUserId")));
    }

    /** {@code POST assets/associate} for devices: returns the event id of Apple's asynchronous work. */
    public String associate(ContentToken token, String adamId, String pricingParam, List<String> serialNumbers) throws VppException, InterruptedException {
        return manage("assets/associate", token, adamId, pricingParam, "serialNumbers", serialNumbers);
    }

    /** {@code POST assets/disassociate} for devices: returns the event id of Apple's asynchronous work. */
    public String disassociate(ContentToken token, String adamId, String pricingParam, List<String> serialNumbers) throws VppException, InterruptedException {
        return manage("assets/disassociate", token, adamId, pricingParam, "serialNumbers", serialNumbers);
    }

    /** {@code POST assets/associate} for users, by {@code clientUserIds}: returns the event id of Apple's asynchronous work. */
    public String associateUsers(ContentToken token, String adamId, String pricingParam, List<String> clientUserIds)
            throws VppException, InterruptedException {
        return manage("assets/associate", token, adamId, pricingParam, "clientUserIds", clientUserIds);
    }

    /** {@code POST assets/disassociate} for users, by {@code clientUserIds}: returns the event id of Apple's asynchronous work. */
    public String disassociateUsers(ContentToken token, String adamId, String pricingParam, List<String> clientUserIds)
            throws VppException, InterruptedException {
        return manage("assets/disassociate", token, adamId, pricingParam, "clientUserIds", clientUserIds);
    }

    /** {@code GET users?clientUserId=}, every page: the user's active record, empty when Apple has none (or only retired ones). */
    public Optional<VppUser> user(ContentToken token, String clientUserId) throws VppException, InterruptedException {
        return pages(token, "users", Map.of("clientUserId", clientUserId), "users", VppClient::vppUser).stream()
                .filter(user -> user.clientUserId().equals(clientUserId) && user.active()).findFirst();
    }

    /** {@code POST users/create}: returns the event id of Apple's asynchronous work. */
    public String createUsers(ContentToken token, List<NewUser> users) throws VppException, InterruptedException {
        return manageUsers("users/create", token, users);
    }

    /** {@code POST users/update}: returns the event id of Apple's asynchronous work. */
    public String updateUsers(ContentToken token, List<NewUser> users) throws VppException, InterruptedException {
        return manageUsers("users/update", token, users);
    }

    private String manageUsers(String path, ContentToken token, List<NewUser> users) throws VppException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        ArrayNode list = body.putArray("users");
        for (NewUser user : users) {
            ObjectNode node = list.addObject().put("clientUserId", user.clientUserId());
            user.email().ifPresent(email -> node.put("email", email));
            user.managedAppleId().ifPresent(id -> node.put("managedAppleId", id));
        }
        return eventId(path, call("POST", path, Map.of(), Optional.of(body), token));
    }

    /** {@code GET status?eventId=}: how an asynchronous request is going. */
    public Event status(ContentToken token, String eventId) throws VppException, InterruptedException {
        JsonNode node = call("GET", "status", Map.of("eventId", eventId), Optional.empty(), token);
        List<AppleError> failures = new ArrayList<>();
        node.path("failures").forEach(failure -> failures.add(error(failure)));
        return new Event(eventId, node.path("eventStatus").asText("PENDING"), node.path("eventType").asText(""),
                node.path("numRequested").asInt(), node.path("numCompleted").asInt(), failures);
    }

    /**
     * Polls {@link #status} until the event is no longer pending or {@code wait} has passed.
     *
     * @return the event, still pending when Apple did not finish in time
     */
    public Event awaitEvent(ContentToken token, String eventId, Duration wait) throws VppException, InterruptedException {
        // Elapsed time, not the clock's date: an injected clock may stand still.
        long deadline = System.nanoTime() + wait.toNanos();
        long pause = 100;
        while (true) {
            Event event = status(token, eventId);
            if (!event.pending() || System.nanoTime() - deadline >= 0) {
                return event;
            }
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 2000);
        }
    }

    /**
     * Looks apps up in the App Store ({@code contentMetadataLookup}), with the token as the {@code itvt} cookie so
     * custom (B2B) apps the organisation owns are found too.
     *
     * @param adamIds the apps
     * @param storefront the two-letter store country
     * @return what the store knows, by adam id; an app it does not know is absent
     */
    public Map<String, AppMetadata> metadata(ContentToken token, List<String> adamIds, String storefront) throws VppException, InterruptedException {
        if (adamIds.isEmpty()) {
            return Map.of();
        }
        Map<String, String> query = new LinkedHashMap<>();
        query.put("version", "2");
        query.put("id", String.join(",", adamIds));
        query.put("p", "mdm-lockup");
        query.put("caller", "MDM");
        query.put("platform", "enterprisestore");
        query.put("cc", storefront);
        query.put("l", "en");
        URI uri = URI.create(settings.lookupUrl() + "?" + encode(query));
        JsonNode answer = send("GET", uri, Optional.empty(), "itvt=" + token.value(), true);
        Map<String, AppMetadata> found = new LinkedHashMap<>();
        answer.path("results").fields().forEachRemaining(entry -> found.put(entry.getKey(), metadata(entry.getKey(), entry.getValue())));
        return found;
    }

    /** @param holders {@code serialNumbers} or {@code clientUserIds} */
    private String manage(String path, ContentToken token, String adamId, String pricingParam, String holders, List<String> ids)
            throws VppException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.putArray("assets").addObject().put("adamId", adamId).put("pricingParam", pricingParam);
        ArrayNode list = body.putArray(holders);
        ids.forEach(list::add);
        return eventId(path, call("POST", path, Map.of(), Optional.of(body), token));
    }

    private static String eventId(String path, JsonNode answer) throws VppException {
        String eventId = answer.path("eventId").asText("");
        if (eventId.isEmpty()) {
            throw new VppException(path + ": Apple's answer has no eventId", 200, OptionalInt.empty(), true, Optional.empty());
        }
        return eventId;
    }

    private interface Reader<T> {
        T read(JsonNode node);
    }

    private <T> List<T> pages(ContentToken token, String path, Map<String, String> filters, String field, Reader<T> reader)
            throws VppException, InterruptedException {
        List<T> all = new ArrayList<>();
        int pageIndex = 0;
        for (int page = 0; page < MAX_PAGES; page++) {
            Map<String, String> query = new LinkedHashMap<>(filters);
            if (pageIndex > 0) {
                query.put("pageIndex", Integer.toString(pageIndex));
            }
            JsonNode answer = call("GET", path, query, Optional.empty(), token);
            answer.path(field).forEach(node -> all.add(reader.read(node)));
            JsonNode next = answer.get("nextPageIndex");
            if (next == null || !next.canConvertToInt() || next.asInt() <= pageIndex) {
                return all;
            }
            pageIndex = next.asInt();
        }
        throw new VppException(path + ": Apple kept answering with more pages than " + MAX_PAGES, 200, OptionalInt.empty(), false, Optional.empty());
    }

    private JsonNode call(String method, String path, Map<String, String> query, Optional<JsonNode> body, ContentToken token)
            throws VppException, InterruptedException {
        requireNonNull(token, "token is null");
        URI uri = settings.serviceUrl().resolve(path + (query.isEmpty() ? "" : "?" + encode(query)));
        return send(method, uri, body.map(this::serialize), "Bearer " + token.value(), false);
    }

    private JsonNode send(String method, URI uri, Optional<byte[]> payload, String credential, boolean asCookie)
            throws VppException, InterruptedException {
        String what = method + " " + uri.getPath();
        for (int attempt = 1; ; attempt++) {
            VppException failure;
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(settings.timeout()).header("Accept", "application/json");
                request.header(asCookie ? "Cookie" : "Authorization", credential);
                if (payload.isPresent()) {
                    request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(payload.get()));
                } else {
                    request.method(method, HttpRequest.BodyPublishers.noBody());
                }
                HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                byte[] body = bounded(what, response.body());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return parse(what, status, body);
                }
                failure = refusal(what, status, body, retryAfter(response));
            } catch (IOException e) {
                failure = new VppException(what + ": Apple could not be reached: " + e.getMessage(), 0, OptionalInt.empty(), true, Optional.empty());
            }
            if (!failure.retriable() || attempt >= settings.maxAttempts()) {
                throw failure;
            }
            Optional<Duration> retryAfter = failure.retryAfter();
            if (retryAfter.isPresent() && retryAfter.get().compareTo(settings.maxRetryAfter()) > 0) {
                throw failure;
            }
            Duration wait = retryAfter.isPresent() ? retryAfter.get() : backoff(attempt);
            log.info("{}; trying again in {} ms", failure.getMessage(), wait.toMillis());
            Thread.sleep(wait.toMillis());
        }
    }

    private VppException refusal(String what, int status, byte[] body, Optional<Duration> retryAfter) {
        OptionalInt number = OptionalInt.empty();
        String message = "";
        try {
            JsonNode error = json.readTree(body);
            if (error != null && error.hasNonNull("errorNumber")) {
                number = OptionalInt.of(error.path("errorNumber").asInt());
                message = error.path("errorMessage").asText("");
            }
        } catch (IOException notJson) {
            // Apple's error shape is missing (a proxy answered, say): the status says enough.
        }
        boolean retriable = status == 429 || status >= 500;
        String detail = what + ": Apple answered " + status + (number.isPresent() ? " (error " + number.getAsInt() + ": " + message + ")" : "");
        return new VppException(detail, status, number, retriable, retryAfter);
    }

    private byte[] bounded(String what, InputStream body) throws IOException, VppException {
        try (InputStream in = body) {
            byte[] read = in.readNBytes(settings.maxResponseBytes() + 1);
            if (read.length > settings.maxResponseBytes()) {
                throw new VppException(what + ": Apple's answer is larger than " + settings.maxResponseBytes() + " bytes", 0,
                        OptionalInt.empty(), false, Optional.empty());
            }
            return read;
        }
    }

    private JsonNode parse(String what, int status, byte[] body) throws VppException {
        try {
            JsonNode node = body.length == 0 ? null : json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new VppException(what + ": Apple answered " + status + " without a JSON object", status, OptionalInt.empty(), true, Optional.empty());
            }
            return node;
        } catch (IOException e) {
            throw new VppException(what + ": Apple answered " + status + " with a body that is not JSON", status, OptionalInt.empty(), true, Optional.empty());
        }
    }

    /** {@code Retry-After} is either seconds or an HTTP date. */
    private Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").map(String::trim).flatMap(value -> {
            if (value.matches("\\d{1,9}")) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(value)));
            }
            try {
                Duration left = Duration.between(clock.instant(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return Optional.of(left.isNegative() ? Duration.ZERO : left);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        });
    }

    private static Duration backoff(int attempt) {
        Duration delay = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempt - 1, 16));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    private byte[] serialize(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    private static String encode(Map<String, String> query) {
        return query.entrySet().stream()
                .map(entry -> URLEncoder.encode(entry.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(entry.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static ClientConfig clientConfigFrom(JsonNode node) {
        JsonNode mdm = node.get("mdmInfo");
        Optional<MdmInfo> mdmInfo = mdm == null || !mdm.isObject() ? Optional.empty()
                : Optional.of(new MdmInfo(mdm.path("id").asText(""), mdm.path("name").asText(""), mdm.path("metadata").asText("")));
        return new ClientConfig(node.path("locationName").asText(""), node.path("uId").asText(""),
                node.path("countryISO2ACode").asText(""), mdmInfo);
    }

    private static VppUser vppUser(JsonNode node) {
        return new VppUser(node.path("clientUserId").asText(""), node.path("status").asText(""), optionalText(node, "email"),
                optionalText(node, "inviteCode"));
    }

    private static Asset asset(JsonNode node) {
        List<String> platforms = new ArrayList<>();
        node.path("supportedPlatforms").forEach(platform -> platforms.add(platform.asText()));
        return new Asset(node.path("adamId").asText(), node.path("pricingParam").asText("STDQ"), node.path("productType").asText(""),
                node.path("totalCount").asLong(), node.path("assignedCount").asLong(), node.path("availableCount").asLong(),
                node.path("deviceAssignable").asBoolean(false), node.path("revocable").asBoolean(false), platforms);
    }

    private static AppleError error(JsonNode node) {
        return new AppleError(node.path("errorNumber").asInt(), node.path("errorMessage").asText(""));
    }

    private static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isTextual() ? Optional.empty() : Optional.of(value.asText());
    }

    private static AppMetadata metadata(String adamId, JsonNode node) {
        JsonNode offer = node.path("offers").path(0);
        Optional<String> version = optionalText(offer.path("version"), "display");
        JsonNode sizeNode = offer.path("assets").path(0).path("size");
        OptionalLong size = sizeNode.canConvertToLong() ? OptionalLong.of(sizeNode.asLong()) : OptionalLong.empty();
        return new AppMetadata(adamId, node.path("name").asText(adamId), node.path("bundleId").asText(""), version,
                node.path("artistName").asText(""), icon(node.path("artwork")), size, node.path("kind").asText(""));
    }

    /** Artwork is either a list of sized images (the largest is taken) or one template URL with {w}, {h} and {f}. */
    private static Optional<URI> icon(JsonNode artwork) {
        String url = null;
        if (artwork.isArray()) {
            int widest = -1;
            for (JsonNode image : artwork) {
                if (image.path("width").asInt() > widest && image.path("url").isTextual()) {
                    widest = image.path("width").asInt();
                    url = image.path("url").asText();
                }
            }
        } else if (artwork.path("url").isTextual()) {
            url = artwork.path("url").asText().replace("{w}", "512").replace("{h}", "512").replace("{f}", "png");
        }
        if (url == null) {
            return Optional.empty();
        }
        try {
            URI icon = URI.create(url);
            return "https".equals(icon.getScheme()) ? Optional.of(icon) : Optional.empty();
        } catch (IllegalArgumentException notAUrl) {
            return Optional.empty();
        }
    }
}
