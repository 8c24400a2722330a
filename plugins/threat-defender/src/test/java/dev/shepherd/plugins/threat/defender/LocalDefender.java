package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A local fake of Entra's token endpoint and of the Microsoft Defender for Endpoint API's machines and alerts, on
 * loopback, built from Microsoft's published reference, validating every request and refusing what Microsoft refuses
 * with its error shapes: Entra's {@code {"error", "error_description", "error_codes"}} and Defender's OData
 * {@code {"error": {"code", "message"}}}.
 *
 * <p>The contract it follows:
 * <ul>
 *   <li><a href="https://learn.microsoft.com/en-us/defender-endpoint/api/exposed-apis-create-app-webapp">Create an app
 *       to access Microsoft Defender for Endpoint without a user</a>: {@code POST
 *       https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token}, form {@code grant_type=client_credentials},
 *       {@code client_id}, {@code client_secret}, {@code scope=https://api.securitycenter.microsoft.com/.default};
 *       answers {@code token_type}, {@code expires_in}, {@code access_token}. Entra's errors (Microsoft identity
 *       platform, <a href="https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes">AADSTS
 *       error codes</a>): {@code invalid_client} AADSTS7000215 (401, a wrong secret), {@code unauthorized_client}
 *       AADSTS700016 (an unknown app), {@code invalid_request} AADSTS90002 (an unknown tenant), {@code invalid_scope}
 *       AADSTS70011, {@code unsupported_grant_type} AADSTS70003.</li>
 *   <li><a href="https://learn.microsoft.com/en-us/defender-endpoint/api/machine">Machine resource type</a>:
 *       {@code id}, {@code computerDnsName}, {@code firstSeen}, {@code lastSeen}, {@code osPlatform},
 *       {@code healthStatus}, {@code riskScore} (None, Informational, Low, Medium, High), {@code exposureLevel} (None,
 *       Low, Medium, High), {@code aadDeviceId}, {@code machineTags}; no serial number.</li>
 *   <li><a href="https://learn.microsoft.com/en-us/defender-endpoint/api/get-machines">List machines API</a>:
 *       {@code GET /api/machines}, {@code Authorization: Bearer} required, permission {@code Machine.Read.All};
 *       OData {@code $filter} on {@code lastSeen}, {@code computerDnsName}, {@code id}, {@code aadDeviceId},
 *       {@code machineTags}, {@code riskScore}… (this fake: {@code lastSeen gt|ge}, {@code eq} on the string
 *       properties and {@code machineTags/any(tag: tag eq '…')}, joined by {@code and}, as the
 *       <a href="https://learn.microsoft.com/en-us/defender-endpoint/api/exposed-apis-odata-samples">OData
 *       samples</a> write them), {@code $top} at most 10,000, {@code $skip}; "maximum page size is 10,000"; 404 when
 *       there are no machines; "rate limitations for this API are 100 calls per minute and 1,500 calls per hour".</li>
 *   <li><a href="https://learn.microsoft.com/en-us/defender-endpoint/api/get-machine-related-alerts">Get machine
 *       related alerts API</a>: {@code GET /api/machines/{id}/alerts}, permission {@code Alert.Read.All}, 404 for an
 *       unknown machine; <a href="https://learn.microsoft.com/en-us/defender-endpoint/api/alerts">Alert resource
 *       type</a>: {@code id}, {@code title}, {@code severity} (UnSpecified, Informational, Low, Medium, High),
 *       {@code status} (Unknown, New, InProgress, Resolved), {@code category}, {@code alertCreationTime},
 *       {@code firstEventTime}, {@code lastEventTime}, {@code lastUpdateTime}, {@code machineId}; no alert URL.</li>
 *   <li>API roots and regions ("use the server closer to your geo location"): {@code api.security.microsoft.com},
 *       {@code us.}, {@code eu.}, {@code uk.}, {@code au.}, {@code swa.}, {@code ina.api.security.microsoft.com}.
 *       Throttling answers 429 with {@code Retry-After} (<a href="https://learn.microsoft.com/en-us/legal/microsoft-365/api-terms">Microsoft
 *       365 Defender APIs terms</a>: "The HTTP response status code indicating throttling is 429").</li>
 * </ul>
 *
 * <p>Tests can make it throttle, fail with 5xx, expire every token early, answer slowly, and cut server pages short
 * ({@link #serverPageSize}) so paging shows with few machines.
 */
final class LocalDefender implements AutoCloseable {

    static final String TENANT = "8d5f7a4e-2c1b-4e9a-b6f3-1a2b3c4d5e6f";
    static final String CLIENT_ID = "3f1e2d4c-5b6a-4789-8a9b-0c1d2e3f4a5b";
    static final String CLIENT_SECRET = "Qx8~fake.secret-for-tests_0123456789abcd";
    static final String SCOPE = "https://api.securitycenter.microsoft.com/.default";
    static final int MAX_TOP = 10_000;
    private static final Pattern ALERTS_PATH = Pattern.compile("/api/machines/([^/]+)/alerts");
    private static final Pattern TOKEN_PATH = Pattern.compile("/([^/]+)/oauth2/v2\\.0/token");
    private static final Pattern LAST_SEEN = Pattern.compile("lastSeen (gt|ge) (\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+)?Z)");
    private static final Pattern STRING_EQ = Pattern.compile("(id|computerDnsName|aadDeviceId|riskScore|exposureLevel|healthStatus|osPlatform) eq '((?:[^']|'')*)'");
    private static final Pattern TAG_ANY = Pattern.compile("machineTags/any\\((\\w+): \\1 eq '((?:[^']|'')*)'\\)");
    private static final Set<String> MACHINE_QUERY = Set.of("$filter", "$top", "$skip");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Clock clock;
    private final Map<String, Machine> machines = new ConcurrentHashMap<>();
    private final Map<String, List<Alert>> alerts = new ConcurrentHashMap<>();
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Instant> apiCalls = new CopyOnWriteArrayList<>();
    private final AtomicInteger tokensIssued = new AtomicInteger();
    private final AtomicInteger throttleNext = new AtomicInteger();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Set<String> appRoles = Set.of("Machine.Read.All", "Alert.Read.All");
    private volatile Duration tokenLifetime = Duration.ofSeconds(3599);
    private volatile boolean apiRefusesTokens;
    private volatile Duration slowness = Duration.ZERO;
    private volatile int retryAfterSeconds = 7;
    private volatile int serverPageSize = MAX_TOP;
    private volatile int callsPerMinute = 100;

    /** A machine as Defender keeps it; the test changes it with {@link #update}. */
    record Machine(String id, String computerDnsName, String osPlatform, String riskScore, String exposureLevel,
                   String healthStatus, Optional<String> aadDeviceId, Instant lastSeen, List<String> machineTags) {
        Machine {
            requireNonNull(id);
            aadDeviceId = requireNonNull(aadDeviceId);
            machineTags = List.copyOf(machineTags);
        }

        Machine withRisk(String risk) {
            return new Machine(id, computerDnsName, osPlatform, risk, exposureLevel, healthStatus, aadDeviceId, lastSeen, machineTags);
        }

        Machine seenAt(Instant at) {
            return new Machine(id, computerDnsName, osPlatform, riskScore, exposureLevel, healthStatus, aadDeviceId, at, machineTags);
        }
    }

    /** An alert on a machine. */
    record Alert(String id, String title, String severity, String category, String status, Instant firstEventTime,
                 Instant lastEventTime) {
    }

    private LocalDefender(Clock clock) throws IOException {
        this.clock = clock;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    static LocalDefender start(Clock clock) throws IOException {
        return new LocalDefender(clock);
    }

    /** @return the root both the token endpoint and the API are under, as loginUrl and apiBaseUrl */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Adds or replaces a machine. */
    void put(Machine machine) {
        machines.put(machine.id(), machine);
    }

    /** A machine with the fields the plugin reads. */
    Machine machine(String id, String name, String risk, Optional<String> aadDeviceId, String... tags) {
        Machine machine = new Machine(id, name, "iOS", risk, "Low", "Active", aadDeviceId, clock.instant(), List.of(tags));
        put(machine);
        return machine;
    }

    /** Changes a machine's risk, as Defender does when its alerts change, without a new full report (lastSeen stays). */
    void setRisk(String id, String risk) {
        machines.computeIfPresent(id, (key, machine) -> machine.withRisk(risk));
    }

    /** The machine sends a full report: Defender stamps lastSeen. */
    void report(String id) {
        machines.computeIfPresent(id, (key, machine) -> machine.seenAt(clock.instant()));
    }

    void addAlert(String machineId, Alert alert) {
        alerts.computeIfAbsent(machineId, key -> new CopyOnWriteArrayList<>()).add(alert);
    }

    /** Resolves every alert of a machine. */
    void resolveAlerts(String machineId) {
        alerts.computeIfPresent(machineId, (key, list) -> new CopyOnWriteArrayList<>(list.stream()
                .map(alert -> new Alert(alert.id(), alert.title(), alert.severity(), alert.category(), "Resolved", alert.firstEventTime(),
                        alert.lastEventTime())).toList()));
    }

    /** The next {@code count} API calls answer 429 with {@code Retry-After}. */
    void throttle(int count, int retryAfterSeconds) {
        this.retryAfterSeconds = retryAfterSeconds;
        throttleNext.set(count);
    }

    /** The next {@code count} API calls answer 503 (without Retry-After: an outage, not throttling). */
    void fail(int count) {
        failNext.set(count);
    }

    /** Every token issued so far stops working, as when Entra revokes or they expire early. */
    void expireTokens() {
        tokens.replaceAll((token, expiry) -> Instant.EPOCH);
    }

    /** Defender refuses every token, even fresh ones: the app's access was revoked on Defender's side. */
    void refuseAllTokens() {
        apiRefusesTokens = true;
    }

    void tokenLifetime(Duration lifetime) {
        tokenLifetime = lifetime;
    }

    /** The app registration's application permissions (admin-consented). */
    void appRoles(Set<String> roles) {
        appRoles = Set.copyOf(roles);
    }

    void slowness(Duration delay) {
        slowness = delay;
    }

    /** How many machines the server puts in a page before it answers with {@code @odata.nextLink}. */
    void serverPageSize(int size) {
        serverPageSize = size;
    }

    void callsPerMinute(int limit) {
        callsPerMinute = limit;
    }

    int tokensIssued() {
        return tokensIssued.get();
    }

    /** @return every request as {@code METHOD path?query}, decoded, oldest first */
    List<String> requests() {
        return List.copyOf(requests);
    }

    void clearRequests() {
        requests.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String query = Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse("");
            String path = exchange.getRequestURI().getPath();
            requests.add(exchange.getRequestMethod() + " " + path + (query.isEmpty() ? "" : "?" + URLDecoder.decode(query, StandardCharsets.UTF_8)));
            if (!slowness.isZero()) {
                Thread.sleep(slowness.toMillis());
            }
            Matcher token = TOKEN_PATH.matcher(path);
            if (token.matches()) {
                token(exchange, token.group(1));
            } else if (path.startsWith("/api/")) {
                api(exchange, path, query);
            } else {
                odataError(exchange, 404, "ResourceNotFound", "No resource at " + path);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void token(HttpExchange exchange, String tenant) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            entraError(exchange, 405, "invalid_request", 900561, "The endpoint only accepts POST requests.");
            return;
        }
        if (!Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("").startsWith("application/x-www-form-urlencoded")) {
            entraError(exchange, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
            return;
        }
        Map<String, String> form = form(new String(exchange.getRequestBody().readNBytes(64 * 1024), StandardCharsets.UTF_8));
        if (!TENANT.equals(tenant)) {
            entraError(exchange, 400, "invalid_request", 90002, "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID.");
        } else if (!"client_credentials".equals(form.get("grant_type"))) {
            entraError(exchange, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        } else if (!CLIENT_ID.equals(form.get("client_id"))) {
            entraError(exchange, 400, "unauthorized_client", 700016, "Application with identifier '" + form.get("client_id")
                    + "' was not found in the directory '" + tenant + "'.");
        } else if (!CLIENT_SECRET.equals(form.get("client_secret"))) {
            entraError(exchange, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request "
                    + "is the client secret value, not the client secret ID, for a secret added to app '" + CLIENT_ID + "'.");
        } else if (!SCOPE.equals(form.get("scope"))) {
            entraError(exchange, 400, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.");
        } else {
            String value = "eyJ0eXAiOiJKV1QifQ." + UUID.randomUUID() + "." + tokensIssued.incrementAndGet();
            tokens.put(value, clock.instant().plus(tokenLifetime));
            send(exchange, 200, JSON.createObjectNode().put("token_type", "Bearer").put("expires_in", tokenLifetime.toSeconds())
                    .put("ext_expires_in", tokenLifetime.toSeconds()).put("access_token", value));
        }
    }

    private void api(HttpExchange exchange, String path, String rawQuery) throws IOException {
        String authorization = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse("");
        Instant expiry = authorization.startsWith("Bearer ") ? tokens.get(authorization.substring(7)) : null;
        if (expiry == null || !clock.instant().isBefore(expiry) || apiRefusesTokens) {
            odataError(exchange, 401, "Unauthorized", "Authorization has been denied for this request.");
            return;
        }
        if (!exchange.getRequestMethod().equals("GET")) {
            odataError(exchange, 405, "MethodNotAllowed", "The requested resource does not support http method '" + exchange.getRequestMethod() + "'.");
            return;
        }
        Instant now = clock.instant();
        apiCalls.removeIf(call -> !call.isAfter(now.minus(Duration.ofMinutes(1))));
        if (throttleNext.getAndUpdate(count -> Math.max(0, count - 1)) > 0 || apiCalls.size() >= callsPerMinute) {
            exchange.getResponseHeaders().set("Retry-After", String.valueOf(retryAfterSeconds));
            odataError(exchange, 429, "TooManyRequests", "API calls quota exceeded! Maximum admitted " + callsPerMinute + " per minute.");
            return;
        }
        apiCalls.add(now);
        if (failNext.getAndUpdate(count -> Math.max(0, count - 1)) > 0) {
            odataError(exchange, 503, "ServiceUnavailable", "The service is temporarily unavailable.");
            return;
        }
        Map<String, String> query = form(rawQuery);
        Matcher alertsPath = ALERTS_PATH.matcher(path);
        if (path.equals("/api/machines")) {
            if (!appRoles.contains("Machine.Read.All") && !appRoles.contains("Machine.ReadWrite.All")) {
                odataError(exchange, 403, "Forbidden", "The application does not have any of the required application permissions "
                        + "(Machine.ReadWrite.All, Machine.Read.All) to access the resource.");
                return;
            }
            listMachines(exchange, query);
        } else if (alertsPath.matches()) {
            if (!appRoles.contains("Alert.Read.All") && !appRoles.contains("Alert.ReadWrite.All")) {
                odataError(exchange, 403, "Forbidden", "The application does not have any of the required application permissions "
                        + "(Alert.ReadWrite.All, Alert.Read.All) to access the resource.");
                return;
            }
            if (!query.isEmpty()) {
                odataError(exchange, 400, "BadRequest", "The query parameter '" + query.keySet().iterator().next() + "' is not supported.");
                return;
            }
            String machineId = URLDecoder.decode(alertsPath.group(1), StandardCharsets.UTF_8);
            if (!machines.containsKey(machineId)) {
                odataError(exchange, 404, "ResourceNotFound", "Machine " + machineId + " was not found.");
                return;
            }
            ArrayNode values = JSON.createArrayNode();
            alerts.getOrDefault(machineId, List.of()).forEach(alert -> values.add(alertJson(machineId, alert)));
            send(exchange, 200, JSON.createObjectNode().put("@odata.context", url() + "/api/$metadata#Alerts").set("value", values));
        } else {
            odataError(exchange, 404, "ResourceNotFound", "No resource at " + path);
        }
    }

    private void listMachines(HttpExchange exchange, Map<String, String> query) throws IOException {
        for (String parameter : query.keySet()) {
            if (!MACHINE_QUERY.contains(parameter)) {
                odataError(exchange, 400, "BadRequest", "The query parameter '" + parameter + "' is not supported.");
                return;
            }
        }
        int top;
        int skip;
        try {
            top = Integer.parseInt(query.getOrDefault("$top", String.valueOf(MAX_TOP)));
            skip = Integer.parseInt(query.getOrDefault("$skip", "0"));
        } catch (NumberFormatException e) {
            odataError(exchange, 400, "BadRequest", "Invalid value for $top or $skip.");
            return;
        }
        if (top < 1 || top > MAX_TOP || skip < 0) {
            odataError(exchange, 400, "BadRequest", "Invalid $top value " + top + ": the maximum page size is 10000.");
            return;
        }
        Predicate<Machine> filter;
        try {
            filter = filter(query.getOrDefault("$filter", ""));
        } catch (IllegalArgumentException e) {
            odataError(exchange, 400, "BadRequest", "Invalid filter: " + e.getMessage());
            return;
        }
        List<Machine> matching = machines.values().stream().filter(filter).sorted(Comparator.comparing(Machine::id)).toList();
        if (matching.isEmpty() && skip == 0) {
            odataError(exchange, 404, "ResourceNotFound", "No machines found.");
            return;
        }
        int end = Math.min(matching.size(), skip + Math.min(top, serverPageSize));
        ArrayNode values = JSON.createArrayNode();
        for (Machine machine : matching.subList(Math.min(skip, matching.size()), end)) {
            values.add(machineJson(machine));
        }
        ObjectNode body = JSON.createObjectNode().put("@odata.context", url() + "/api/$metadata#Machines");
        int returned = end - Math.min(skip, end);
        if (top > serverPageSize && returned == serverPageSize && end < matching.size()) {
            // The server cut the page short of $top: the rest through a server-driven link.
            StringBuilder next = new StringBuilder(url() + "/api/machines?$top=" + (top - returned) + "&$skip=" + end);
            if (query.containsKey("$filter")) {
                next.append("&$filter=").append(URLEncoder.encode(query.get("$filter"), StandardCharsets.UTF_8));
            }
            body.put("@odata.nextLink", next.toString());
        }
        body.set("value", values);
        send(exchange, 200, body);
    }

    /** The fake's share of OData: clauses joined by {@code and}. */
    private static Predicate<Machine> filter(String text) {
        Predicate<Machine> all = machine -> true;
        if (text.isBlank()) {
            return all;
        }
        for (String clause : text.split(" and ")) {
            String trimmed = clause.trim();
            Matcher lastSeen = LAST_SEEN.matcher(trimmed);
            Matcher eq = STRING_EQ.matcher(trimmed);
            Matcher tag = TAG_ANY.matcher(trimmed);
            if (lastSeen.matches()) {
                String literal = lastSeen.group(2);
                Instant at = Instant.parse(literal.contains("T") ? literal : literal.replace("Z", "T00:00:00Z"));
                boolean inclusive = lastSeen.group(1).equals("ge");
                all = all.and(machine -> inclusive ? !machine.lastSeen().isBefore(at) : machine.lastSeen().isAfter(at));
            } else if (eq.matches()) {
                String value = eq.group(2).replace("''", "'");
                String property = eq.group(1);
                all = all.and(machine -> value.equals(switch (property) {
                    case "id" -> machine.id();
                    case "computerDnsName" -> machine.computerDnsName();
                    case "aadDeviceId" -> machine.aadDeviceId().orElse(null);
                    case "riskScore" -> machine.riskScore();
                    case "exposureLevel" -> machine.exposureLevel();
                    case "healthStatus" -> machine.healthStatus();
                    default -> machine.osPlatform();
                }));
            } else if (tag.matches()) {
                String value = tag.group(2).replace("''", "'");
                all = all.and(machine -> machine.machineTags().contains(value));
            } else {
                throw new IllegalArgumentException("the clause '" + trimmed + "' is not supported");
            }
        }
        return all;
    }

    private static ObjectNode machineJson(Machine machine) {
        ObjectNode node = JSON.createObjectNode().put("id", machine.id()).put("computerDnsName", machine.computerDnsName())
                .put("firstSeen", "2026-01-05T10:00:00.1234567Z").put("lastSeen", machine.lastSeen().toString())
                .put("osPlatform", machine.osPlatform()).put("onboardingStatus", "Onboarded").put("version", "17.2")
                .put("healthStatus", machine.healthStatus()).put("rbacGroupName", "Mobile").put("lastIpAddress", "10.0.0.4");
        if (machine.riskScore() == null) {
            node.putNull("riskScore");
        } else {
            node.put("riskScore", machine.riskScore());
        }
        node.put("exposureLevel", machine.exposureLevel());
        machine.aadDeviceId().ifPresentOrElse(id -> node.put("aadDeviceId", id), () -> node.putNull("aadDeviceId"));
        ArrayNode tags = node.putArray("machineTags");
        machine.machineTags().forEach(tags::add);
        return node;
    }

    private static ObjectNode alertJson(String machineId, Alert alert) {
        return JSON.createObjectNode().put("id", alert.id()).put("incidentId", 1126093).put("severity", alert.severity())
                .put("status", alert.status()).put("category", alert.category()).put("title", alert.title())
                .put("description", alert.title()).put("alertCreationTime", alert.firstEventTime().toString())
                .put("firstEventTime", alert.firstEventTime().toString()).put("lastEventTime", alert.lastEventTime().toString())
                .put("lastUpdateTime", alert.lastEventTime().toString()).put("machineId", machineId).put("detectionSource", "WindowsDefenderAtp");
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private void entraError(HttpExchange exchange, int status, String error, int code, String description) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("error", error).put("error_description", "AADSTS" + code + ": " + description
                + "\r\nTrace ID: " + UUID.randomUUID() + "\r\nCorrelation ID: " + UUID.randomUUID() + "\r\nTimestamp: " + clock.instant());
        body.putArray("error_codes").add(code);
        body.put("timestamp", clock.instant().toString()).put("trace_id", UUID.randomUUID().toString())
                .put("correlation_id", UUID.randomUUID().toString());
        send(exchange, status, body);
    }

    private static void odataError(HttpExchange exchange, int status, String code, String message) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message).put("target", UUID.randomUUID().toString());
        send(exchange, status, body);
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

}
