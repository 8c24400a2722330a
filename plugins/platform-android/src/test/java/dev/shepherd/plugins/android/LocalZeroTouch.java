package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shepherd.google.discovery.DiscoveryContract;
import dev.shepherd.google.discovery.FieldViolation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Google's zero-touch customer API on loopback: the {@code customers} resource of the Android Device
 * Provisioning Partner API v1 (https://developers.google.com/zero-touch/reference/customer/rest). Every request is
 * checked against Google's discovery document ({@link DiscoveryContract#androidDeviceProvisioning()}) and refused
 * 400 INVALID_ARGUMENT with its field violations as Google does, and recorded so the test fails unless it expected
 * it; its bearer token must have been issued by {@link LocalAmapi}'s token endpoint for the customer API's scope
 * {@code https://www.googleapis.com/auth/androidworkzerotouchemm}, else 401 UNAUTHENTICATED. Beyond the document it
 * refuses what the reference says Google refuses: another customer's resources (403 PERMISSION_DENIED, the service
 * account is linked to one customer), a DPC the customer does not have or DPC extras that are not JSON (400), an
 * unknown configuration or device (404), deleting a configuration devices still have (400 FAILED_PRECONDITION). One
 * default configuration at most: setting {@code isDefault} clears the previous default's.
 *
 * <p>Resellers claim devices for the customer ({@link #claim}); a device "boots" ({@link #boot}) with its
 * configuration, or the default one: as Android's setup wizard does, it installs the configuration's DPC and hands
 * it the DPC extras, whose enrollment token Android Device Policy enrolls with at {@link LocalAmapi} (company-owned;
 * a work profile when the token allows personal usage, fully managed otherwise).
 */
final class LocalZeroTouch implements AutoCloseable {

    static final String CUSTOMER = "1234567890";
    static final String ANDROID_DEVICE_POLICY_DPC = "customers/" + CUSTOMER + "/dpcs/AH6Gbe4";
    private static final String SCOPE = "https://www.googleapis.com/auth/androidworkzerotouchemm";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DiscoveryContract CONTRACT = DiscoveryContract.androidDeviceProvisioning();
    private static final Pattern CUSTOMER_PATH = Pattern.compile("/v1/customers/([^/:]+)(.*)");

    private record Scripted(Predicate<String> matches, int status, String body) {
    }

    private final HttpServer server;
    private final LocalAmapi amapi;
    private final Map<String, ObjectNode> configurations = new ConcurrentSkipListMap<>();
    private final Map<String, ObjectNode> devices = new ConcurrentSkipListMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Deque<Scripted> scripted = new ArrayDeque<>();
    private final AtomicLong ids = new AtomicLong(5000);

    private LocalZeroTouch(HttpServer server, LocalAmapi amapi) {
        this.server = server;
        this.amapi = amapi;
    }

    /** @param amapi the stand-in whose token endpoint issues the access tokens and whose enterprise devices enroll in */
    static LocalZeroTouch start(LocalAmapi amapi) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        LocalZeroTouch zeroTouch = new LocalZeroTouch(http, amapi);
        http.createContext("/", exchange -> {
            try {
                zeroTouch.handle(exchange);
            } catch (RuntimeException e) {
                send(exchange, 500, "{\"error\":{\"code\":500,\"message\":\"stand-in: " + e + "\",\"status\":\"INTERNAL\"}}");
            }
        });
        http.start();
        return zeroTouch;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A reseller claimed a device for the customer: it appears in the customer's device list. */
    String claim(String imei, String serialNumber) {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode device = JSON.createObjectNode();
        device.put("deviceId", id);
        device.put("name", "customers/" + CUSTOMER + "/devices/" + id);
        ObjectNode identifier = device.putObject("deviceIdentifier");
        identifier.put("imei", imei);
        identifier.put("serialNumber", serialNumber);
        identifier.put("manufacturer", "Google");
        identifier.put("model", "Pixel 8");
        identifier.put("deviceType", "DEVICE_TYPE_ANDROID");
        device.putArray("claims").addObject().put("sectionType", "SECTION_TYPE_ZERO_TOUCH").put("ownerCompanyId", CUSTOMER);
        devices.put(id, device);
        return id;
    }

    Optional<JsonNode> device(String deviceId) {
        return Optional.ofNullable(devices.get(deviceId)).map(ObjectNode::deepCopy);
    }

    Optional<JsonNode> configuration(String configurationId) {
        return Optional.ofNullable(configurations.get(configurationId)).map(ObjectNode::deepCopy);
    }

    /**
     * The device is switched on for the first time: its configuration's DPC extras reach Android Device Policy, which
     * enrolls with their enrollment token.
     *
     * @param amapiDeviceId the id Google gives the device in the enterprise
     * @return the enrolled device as Google reports it in the ENROLLMENT notification
     */
    ObjectNode boot(String deviceId, String amapiDeviceId) throws IOException {
        ObjectNode device = devices.get(deviceId);
        if (device == null) {
            throw new IllegalStateException("no zero-touch device " + deviceId);
        }
        String configurationName = device.path("configuration").asText("");
        ObjectNode configuration = configurations.values().stream()
                .filter(candidate -> configurationName.isEmpty() ? candidate.path("isDefault").asBoolean()
                        : candidate.path("name").asText().equals(configurationName))
                .findFirst().orElseThrow(() -> new IllegalStateException("device " + deviceId + " has no configuration: it sets up unmanaged"));
        if (!configuration.path("dpcResourcePath").asText().equals(ANDROID_DEVICE_POLICY_DPC)) {
            throw new IllegalStateException("the configuration installs another DPC than Android Device Policy");
        }
        JsonNode extras = JSON.readTree(configuration.path("dpcExtras").asText());
        String token = extras.path("android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE")
                .path("com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN").asText("");
        JsonNode enrollmentToken = amapi.enrollmentToken(token)
                .orElseThrow(() -> new IllegalStateException("Android Device Policy cannot enroll with token " + token));
        boolean workProfile = "PERSONAL_USAGE_ALLOWED".equals(enrollmentToken.path("allowPersonalUsage").asText());
        return amapi.enroll(amapiDeviceId, token, "COMPANY_OWNED", workProfile ? "PROFILE_OWNER" : "DEVICE_OWNER");
    }

    /** The next request whose "METHOD path" matches is refused with Google's error shape. */
    synchronized void refuseNext(Predicate<String> matches, int status, String googleStatus, String message) {
        scripted.add(new Scripted(matches, status, error(status, googleStatus, message)));
    }

    /** @return every request the real service would have refused for its shape, as "METHOD path: field: why" */
    List<String> violations() {
        return List.copyOf(violations);
    }

    /** @return the requests received, as "METHOD path?query" */
    List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        String rawQuery = Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse("");
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(method + " " + path + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
        List<FieldViolation> wrong = CONTRACT.check(method, path + (rawQuery.isEmpty() ? "" : "?" + rawQuery), body);
        if (!wrong.isEmpty()) {
            wrong.forEach(violation -> violations.add(method + " " + path + ": " + violation.field() + ": " + violation.description()));
            send(exchange, 400, DiscoveryContract.refusal(wrong));
            return;
        }
        if (!amapi.authorizes(Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse(""), SCOPE)) {
            send(exchange, 401, error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
            return;
        }
        Optional<Scripted> refusal = scriptedFor(method + " " + path);
        if (refusal.isPresent()) {
            send(exchange, refusal.get().status(), refusal.get().body());
            return;
        }
        Matcher customer = CUSTOMER_PATH.matcher(path);
        if (!customer.matches() || !customer.group(1).equals(CUSTOMER)) {
            send(exchange, 403, error(403, "PERMISSION_DENIED", "The caller does not have permission"));
            return;
        }
        api(exchange, method, customer.group(2), LocalAmapi.form(rawQuery), body.isEmpty() ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(body));
    }

    private void api(HttpExchange exchange, String method, String rest, Map<String, String> query, ObjectNode body) throws IOException {
        if (method.equals("GET") && rest.equals("/dpcs")) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode dpcs = answer.putArray("dpcs");
            dpcs.addObject().put("name", ANDROID_DEVICE_POLICY_DPC).put("dpcName", "Android Device Policy")
                    .put("packageName", "com.google.android.apps.work.clouddpc");
            dpcs.addObject().put("name", "customers/" + CUSTOMER + "/dpcs/Other1").put("dpcName", "Another EMM")
                    .put("packageName", "com.example.emm.dpc");
            send(exchange, 200, answer.toString());
        } else if (method.equals("GET") && rest.equals("/configurations")) {
            ObjectNode answer = JSON.createObjectNode();
            configurations.values().forEach(configuration -> answer.withArray("configurations").add(configuration));
            send(exchange, 200, answer.toString());
        } else if (method.equals("POST") && rest.equals("/configurations")) {
            Optional<String> refused = refusal(body);
            if (refused.isPresent()) {
                send(exchange, 400, error(400, "INVALID_ARGUMENT", refused.get()));
                return;
            }
            String id = Long.toString(ids.incrementAndGet());
            body.put("configurationId", id);
            body.put("name", "customers/" + CUSTOMER + "/configurations/" + id);
            store(body);
            send(exchange, 200, body.toString());
        } else if (rest.startsWith("/configurations/")) {
            String id = rest.substring("/configurations/".length());
            ObjectNode configuration = configurations.get(id);
            if (configuration == null) {
                send(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
            } else if (method.equals("GET")) {
                send(exchange, 200, configuration.toString());
            } else if (method.equals("PATCH")) {
                ObjectNode updated = configuration.deepCopy();
                for (String field : query.getOrDefault("updateMask", "").split(",")) {
                    if (body.has(field)) {
                        updated.set(field, body.get(field));
                    } else {
                        updated.remove(field);
                    }
                }
                Optional<String> refused = refusal(updated);
                if (refused.isPresent()) {
                    send(exchange, 400, error(400, "INVALID_ARGUMENT", refused.get()));
                    return;
                }
                store(updated);
                send(exchange, 200, updated.toString());
            } else if (devices.values().stream().anyMatch(device -> device.path("configuration").asText().equals(configuration.path("name").asText()))) {
                send(exchange, 400, error(400, "FAILED_PRECONDITION", "The configuration is applied to devices."));
            } else {
                configurations.remove(id);
                send(exchange, 200, "{}");
            }
        } else if (method.equals("GET") && rest.equals("/devices")) {
            int pageSize = Integer.parseInt(query.getOrDefault("pageSize", "100"));
            if (pageSize < 1 || pageSize > 100) {
                send(exchange, 400, error(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 100 inclusive."));
                return;
            }
            List<ObjectNode> all = List.copyOf(devices.values());
            int from = Integer.parseInt(query.getOrDefault("pageToken", "0"));
            ObjectNode page = JSON.createObjectNode();
            ArrayNode listed = page.putArray("devices");
            all.subList(Math.min(from, all.size()), Math.min(from + pageSize, all.size())).forEach(listed::add);
            if (from + pageSize < all.size()) {
                page.put("nextPageToken", Integer.toString(from + pageSize));
            }
            send(exchange, 200, page.toString());
        } else if (method.equals("POST") && rest.startsWith("/devices:")) {
            ObjectNode device = devices.get(body.path("device").path("deviceId").asText());
            if (device == null) {
                send(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
                return;
            }
            switch (rest) {
                case "/devices:applyConfiguration" -> {
                    String configuration = body.path("configuration").asText();
                    if (configurations.values().stream().noneMatch(candidate -> candidate.path("name").asText().equals(configuration))) {
                        send(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
                        return;
                    }
                    device.put("configuration", configuration);
                }
                case "/devices:removeConfiguration" -> device.remove("configuration");
                case "/devices:unclaim" -> devices.remove(device.path("deviceId").asText());
                default -> {
                    send(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
                    return;
                }
            }
            send(exchange, 200, "{}");
        } else {
            send(exchange, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
        }
    }

    /** What Google checks beyond the discovery document's types: the DPC, the extras' JSON, the e-mail address. */
    private static Optional<String> refusal(JsonNode configuration) {
        if (!configuration.path("dpcResourcePath").asText().startsWith("customers/" + CUSTOMER + "/dpcs/")) {
            return Optional.of("dpcResourcePath: not a DPC of this customer");
        }
        if (configuration.hasNonNull("dpcExtras")) {
            try {
                if (!JSON.readTree(configuration.get("dpcExtras").asText()).isObject()) {
                    return Optional.of("dpcExtras: not a JSON object");
                }
            } catch (IOException e) {
                return Optional.of("dpcExtras: not JSON");
            }
        }
        if (!configuration.path("contactEmail").asText().matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            return Optional.of("contactEmail: not an e-mail address");
        }
        return Optional.empty();
    }

    private void store(ObjectNode configuration) {
        if (configuration.path("isDefault").asBoolean()) {
            configurations.values().forEach(other -> other.put("isDefault", false));
        }
        configurations.put(configuration.path("configurationId").asText(), configuration);
    }

    private synchronized Optional<Scripted> scriptedFor(String request) {
        for (Scripted candidate : scripted) {
            if (candidate.matches().test(request)) {
                scripted.remove(candidate);
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String error(int status, String googleStatus, String message) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("code", status).put("message", message).put("status", googleStatus);
        return root.toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        LocalAmapi.send(exchange, status, Map.of(), body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
