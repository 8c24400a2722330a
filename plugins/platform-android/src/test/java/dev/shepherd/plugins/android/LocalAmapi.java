package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shepherd.google.discovery.DiscoveryContract;
import dev.shepherd.google.discovery.FieldViolation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A stand-in for Google on loopback: the OAuth2 token endpoint and the Android Management API v1, answering with the
 * documented resource shapes and checking what Shepherd sends (the JWT-bearer assertion's signature and claims, the
 * bearer token on every API call). Every API request is checked against Google's discovery document of
 * androidmanagement v1 ({@link DiscoveryContract}): one the real service would refuse is answered 400
 * INVALID_ARGUMENT with its field violations, as Google does, and recorded so the test fails unless it expected it.
 * Tests script refusals in Google's error shape, enroll devices as Google would report them, and finish device operations.
 */
final class LocalAmapi implements AutoCloseable {

    static final String PROJECT = "shepherd-test-project";
    static final String CLIENT_EMAIL = "shepherd@shepherd-test-project.iam.gserviceaccount.com";
    static final String ENTERPRISE_TOKEN = "EAJmLocalEnterpriseToken";
    static final String ENTERPRISE = "enterprises/LC01local";

    /** One request as received. */
    record Request(String method, String path, Map<String, String> query, String authorization, String body, Instant at) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private record Scripted(Predicate<Request> matches, int status, Map<String, String> headers, String body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DiscoveryContract CONTRACT = DiscoveryContract.androidManagement();
    /** The service account may ask for the Android Management API's scope and the zero-touch customer API's. */
    private static final Set<String> GRANTABLE_SCOPES = Set.of("https://www.googleapis.com/auth/androidmanagement",
            "https://www.googleapis.com/auth/androidworkzerotouchemm");

    private final HttpServer server;
    private final KeyPair serviceAccountKey;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Scripted> scripted = new ArrayDeque<>();
    /** Access tokens issued, each with the scope it was granted. */
    private final Map<String, String> validTokens = new ConcurrentHashMap<>();
    private final AtomicInteger issued = new AtomicInteger();
    private final Map<String, ObjectNode> devices = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> operations = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> policies = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> enrollmentTokens = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Set<String> otherEnterprises = ConcurrentHashMap.newKeySet();
    /** Managed Google Play: the apps the enterprise may use, as {@code enterprises.applications.get} answers. */
    private final Map<String, ObjectNode> playApps = new ConcurrentHashMap<>();
    /** Runs with each new operation before issueCommand answers: Google's notification may overtake its answer. */
    private volatile Consumer<ObjectNode> beforeIssueCommandAnswers = operation -> { };
    private final AtomicInteger webTokens = new AtomicInteger();

    private LocalAmapi(HttpServer server, KeyPair serviceAccountKey) {
        this.server = server;
        this.serviceAccountKey = serviceAccountKey;
    }

    static LocalAmapi start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        LocalAmapi amapi = new LocalAmapi(http, generator.generateKeyPair());
        http.createContext("/", exchange -> {
            try {
                amapi.handle(exchange);
            } catch (RuntimeException e) {
                send(exchange, 500, Map.of(), "{\"error\":{\"code\":500,\"message\":\"stand-in: " + e + "\"}}");
            }
        });
        http.start();
        return amapi;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The JSON key of the service account, as Google's Cloud console downloads it. */
    String serviceAccountKey() {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(serviceAccountKey.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode key = JSON.createObjectNode();
        key.put("type", "service_account");
        key.put("project_id", PROJECT);
        key.put("private_key_id", "0123456789abcdef");
        key.put("private_key", pem);
        key.put("client_email", CLIENT_EMAIL);
        key.put("client_id", "100000000000000000001");
        key.put("token_uri", url() + "/token");
        return key.toString();
    }

    /** @param hook given each operation issueCommand makes (a copy), before the answer leaves */
    void beforeIssueCommandAnswers(Consumer<ObjectNode> hook) {
        beforeIssueCommandAnswers = hook;
    }

    /** The next request to match gets this answer instead of the usual one. */
    synchronized void refuseNext(Predicate<Request> matches, int status, Map<String, String> headers, String googleStatus, String message) {
        scripted.add(new Scripted(matches, status, headers,
                "{\"error\":{\"code\":" + status + ",\"message\":\"" + message + "\",\"status\":\"" + googleStatus + "\"}}"));
    }

    /**
     * The next request to match is refused as Google refuses a value it cannot accept: 400 INVALID_ARGUMENT with a
     * {@code google.rpc.BadRequest} naming the field.
     */
    synchronized void refuseFieldNext(Predicate<Request> matches, String field, String description) {
        scripted.add(new Scripted(matches, 400, Map.of(), DiscoveryContract.refusal(List.of(new FieldViolation(field, description)))));
    }

    /** An enterprise made before (outside the signup) that the service account may manage, for enterprises.get. */
    void existingEnterprise(String name) {
        otherEnterprises.add(name);
    }

    /** @return every request the real service would have refused for its shape, as "METHOD path: field: why" */
    List<String> violations() {
        return List.copyOf(violations);
    }

    /** Forgets the violations a test provoked on purpose (after asserting them). */
    void clearViolations() {
        violations.clear();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String method, String pathPart) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().contains(pathPart)).toList();
    }

    Optional<JsonNode> policy(String name) {
        return Optional.ofNullable(policies.get(name));
    }

    /**
     * A device provisioned with an enrollment token, as Google reports it in ENROLLMENT notifications.
     *
     * @param tokenValue the enrollment token's value the device was set up with
     */
    ObjectNode enroll(String deviceId, String tokenValue, String ownership, String managementMode) {
        ObjectNode token = enrollmentTokens.values().stream().filter(t -> t.path("value").asText().equals(tokenValue)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no enrollment token " + tokenValue));
        ObjectNode device = JSON.createObjectNode();
        String name = ENTERPRISE + "/devices/" + deviceId;
        device.put("name", name);
        device.put("managementMode", managementMode);
        device.put("state", "ACTIVE");
        device.put("appliedState", "ACTIVE");
        device.put("ownership", ownership);
        device.put("apiLevel", 34);
        device.put("enrollmentTime", Instant.now().toString());
        device.put("lastStatusReportTime", Instant.now().toString());
        device.put("enrollmentTokenName", token.path("name").asText());
        device.put("enrollmentTokenData", token.path("additionalData").asText());
        device.put("policyName", token.path("policyName").asText());
        device.put("appliedPolicyName", token.path("policyName").asText());
        device.put("policyCompliant", true);
        ObjectNode hardware = device.putObject("hardwareInfo");
        hardware.put("brand", "google");
        hardware.put("manufacturer", "Google");
        hardware.put("model", "Pixel 8");
        hardware.put("serialNumber", "SERIAL-" + deviceId);
        ObjectNode software = device.putObject("softwareInfo");
        software.put("androidVersion", "14");
        software.put("securityPatchLevel", "2024-05-05");
        devices.put(name, device);
        return device.deepCopy();
    }

    /** @return whether an {@code Authorization} header carries an access token this stand-in issued for the scope */
    boolean authorizes(String authorization, String scope) {
        return authorization.startsWith("Bearer ") && scope.equals(validTokens.get(authorization.substring(7)));
    }

    /** @return the enrollment token with this value, as {@code enrollmentTokens.create} answered it */
    Optional<JsonNode> enrollmentToken(String value) {
        return enrollmentTokens.values().stream().filter(t -> t.path("value").asText().equals(value)).findFirst().map(ObjectNode::deepCopy);
    }

    /** @return the value of the enrollment token made last */
    String latestTokenValue() {
        return "LOCALTOKENET" + (enrollmentTokens.size() - 1);
    }

    /** The device as it reports after applying the policy it was pointed at, with these non-compliance details. */
    ObjectNode statusReport(String deviceName, List<Map<String, Object>> nonCompliance) {
        ObjectNode device = devices.get(deviceName);
        device.put("appliedPolicyName", device.path("policyName").asText());
        device.put("policyCompliant", nonCompliance.isEmpty());
        device.put("lastStatusReportTime", Instant.now().toString());
        device.set("nonComplianceDetails", JSON.valueToTree(nonCompliance));
        ObjectNode settings = device.putObject("deviceSettings");
        settings.put("isDeviceSecure", true);
        settings.put("isEncrypted", true);
        device.putObject("securityPosture").put("devicePosture", "SECURE");
        device.putArray("applicationReports").addObject().put("packageName", "com.android.chrome").put("versionName", "125.0")
                .put("state", "INSTALLED");
        return device.deepCopy();
    }

    /**
     * An app managed Google Play offers the enterprise (approved in the iframe, or private), with its versions as
     * {@code AppVersion}s in the production track and its managed properties.
     *
     * @param versions version name to version code, oldest first
     */
    void publishApp(String packageName, String title, Map<String, Integer> versions, List<Map<String, Object>> managedProperties) {
        ObjectNode app = JSON.createObjectNode();
        app.put("name", ENTERPRISE + "/applications/" + packageName);
        app.put("title", title);
        app.put("author", "Example Corp");
        app.put("iconUrl", "https://play-lh.googleusercontent.com/" + packageName);
        app.put("minAndroidSdkVersion", 26);
        app.put("distributionChannel", "PUBLIC_GOOGLE_HOSTED");
        app.put("description", "An app for tests.");
        app.put("playStoreUrl", "https://play.google.com/store/apps/details?id=" + packageName);
        versions.forEach((name, code) -> app.withArray("appVersions").addObject().put("versionString", name).put("versionCode", code)
                .put("production", true).putArray("trackIds").add("production"));
        app.set("managedProperties", JSON.valueToTree(managedProperties));
        playApps.put(packageName, app);
    }

    /**
     * The device as it reports after applying its policy, with these non-compliance details and these apps
     * ({@code ApplicationReport}s: package name to version name and code) beside the preinstalled browser.
     */
    ObjectNode statusReport(String deviceName, List<Map<String, Object>> nonCompliance, Map<String, Map.Entry<String, Integer>> apps) {
        statusReport(deviceName, nonCompliance);
        ObjectNode device = devices.get(deviceName);
        apps.forEach((packageName, version) -> device.withArray("applicationReports").addObject().put("packageName", packageName)
                .put("versionName", version.getKey()).put("versionCode", version.getValue()).put("state", "INSTALLED")
                .put("applicationSource", "INSTALLED_FROM_PLAY_STORE"));
        return device.deepCopy();
    }

    Optional<ObjectNode> device(String name) {
        return Optional.ofNullable(devices.get(name)).map(ObjectNode::deepCopy);
    }

    /** Finishes an operation as the device would, failed when {@code errorCode} is given. */
    ObjectNode finishOperation(String name, Optional<String> errorCode) {
        ObjectNode operation = operations.get(name);
        operation.put("done", true);
        errorCode.ifPresent(code -> {
            operation.putObject("error").put("code", 9).put("message", "The device could not carry out the command");
            ((ObjectNode) operation.path("metadata")).put("errorCode", code);
        });
        return operation.deepCopy();
    }

    List<String> operationNames() {
        return List.copyOf(operations.keySet());
    }

    int tokensIssued() {
        return issued.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = exchange.getRequestURI().getRawPath();
        Map<String, String> query = form(Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse(""));
        Request request = new Request(exchange.getRequestMethod(), path, query,
                Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).orElse(""), body, Instant.now());
        requests.add(request);
        if (path.equals("/token")) {
            token(exchange, form(body));
            return;
        }
        String pathAndQuery = path + Optional.ofNullable(exchange.getRequestURI().getRawQuery()).map(q -> "?" + q).orElse("");
        List<FieldViolation> wrong = CONTRACT.check(request.method(), pathAndQuery, body);
        if (!wrong.isEmpty()) {
            wrong.forEach(violation -> violations.add(request.method() + " " + path + ": " + violation.field() + ": " + violation.description()));
            send(exchange, 400, Map.of(), DiscoveryContract.refusal(wrong));
            return;
        }
        String bearer = request.authorization().startsWith("Bearer ") ? request.authorization().substring(7) : "";
        Optional<Scripted> refusal = scriptedFor(request);
        if (refusal.isPresent()) {
            if (refusal.get().status() == 401) {
                validTokens.remove(bearer); // Google revoked it
            }
            send(exchange, refusal.get().status(), refusal.get().headers(), refusal.get().body());
            return;
        }
        if (!Amapi.SCOPE.equals(validTokens.get(bearer))) {
            send(exchange, 401, Map.of(), "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
            return;
        }
        api(exchange, request);
    }

    private synchronized Optional<Scripted> scriptedFor(Request request) {
        for (Scripted candidate : scripted) {
            if (candidate.matches().test(request)) {
                scripted.remove(candidate);
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The JWT-bearer grant: the assertion must be signed by the service account's key, for our audience and scope. */
    private void token(HttpExchange exchange, Map<String, String> form) throws IOException {
        String assertion = form.getOrDefault("assertion", "");
        String[] parts = assertion.split("\\.");
        boolean valid = "urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type")) && parts.length == 3;
        if (valid) {
            try {
                JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
                JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
                Signature rsa = Signature.getInstance("SHA256withRSA");
                rsa.initVerify(serviceAccountKey.getPublic());
                rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
                long now = Instant.now().getEpochSecond();
                valid = rsa.verify(Base64.getUrlDecoder().decode(parts[2])) && "RS256".equals(header.path("alg").asText())
                        && CLIENT_EMAIL.equals(claims.path("iss").asText()) && (url() + "/token").equals(claims.path("aud").asText())
                        && GRANTABLE_SCOPES.contains(claims.path("scope").asText())
                        && claims.path("iat").asLong() <= now + 5 && claims.path("exp").asLong() > now;
            } catch (Exception e) {
                valid = false;
            }
        }
        if (!valid) {
            send(exchange, 400, Map.of(), "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
            return;
        }
        String token = "ya29.local-" + issued.incrementAndGet();
        validTokens.put(token, JSON.readTree(Base64.getUrlDecoder().decode(assertion.split("\\.")[1])).path("scope").asText());
        send(exchange, 200, Map.of(), "{\"access_token\":\"" + token + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
    }

    private void api(HttpExchange exchange, Request request) throws IOException {
        String method = request.method();
        String path = request.path();
        if (method.equals("POST") && path.equals("/v1/signupUrls")) {
            ObjectNode signup = JSON.createObjectNode();
            signup.put("name", "signupUrls/C97a1b2c3d");
            signup.put("url", "https://play.google.com/work/adminsignup?token=local");
            send(exchange, 200, Map.of(), signup.toString());
        } else if (method.equals("POST") && path.equals("/v1/enterprises")) {
            if (!ENTERPRISE_TOKEN.equals(request.query().get("enterpriseToken")) || !PROJECT.equals(request.query().get("projectId"))
                    || !"signupUrls/C97a1b2c3d".equals(request.query().get("signupUrlName"))) {
                send(exchange, 400, Map.of(), "{\"error\":{\"code\":400,\"message\":\"Invalid enterprise token\",\"status\":\"INVALID_ARGUMENT\"}}");
                return;
            }
            ObjectNode enterprise = (ObjectNode) request.json();
            enterprise.put("name", ENTERPRISE);
            send(exchange, 200, Map.of(), enterprise.toString());
        } else if (method.equals("GET") && path.matches("/v1/enterprises/[^/]+")) {
            String name = path.substring(4);
            if (!name.equals(ENTERPRISE) && !otherEnterprises.contains(name)) {
                send(exchange, 404, Map.of(), notFound());
                return;
            }
            ObjectNode enterprise = JSON.createObjectNode();
            enterprise.put("name", name);
            enterprise.put("enterpriseDisplayName", "Local test enterprise");
            send(exchange, 200, Map.of(), enterprise.toString());
        } else if (method.equals("POST") && path.equals("/v1/" + ENTERPRISE + "/enrollmentTokens")) {
            ObjectNode token = (ObjectNode) request.json();
            String id = "ET" + enrollmentTokens.size();
            token.put("name", ENTERPRISE + "/enrollmentTokens/" + id);
            token.put("value", "LOCALTOKEN" + id);
            token.put("expirationTimestamp", Instant.now().plusSeconds(Long.parseLong(token.path("duration").asText("3600s").replace("s", ""))).toString());
            ObjectNode qr = JSON.createObjectNode();
            qr.put("android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME", "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver");
            qr.put("android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM", "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg");
            qr.put("android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION", "https://play.google.com/managed/downloadManagingApp?identifier=setup");
            qr.putObject("android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE").put("com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN", token.path("value").asText());
            token.put("qrCode", qr.toString());
            enrollmentTokens.put(token.path("name").asText(), token);
            send(exchange, 200, Map.of(), token.toString());
        } else if (method.equals("POST") && path.equals("/v1/" + ENTERPRISE + "/webTokens")) {
            // "The URL must use the https scheme" (WebToken.parentFrameUrl).
            ObjectNode token = (ObjectNode) request.json();
            String parent = token.path("parentFrameUrl").asText("");
            if (!parent.startsWith("https://")) {
                send(exchange, 400, Map.of(), DiscoveryContract.refusal(List.of(new FieldViolation("parentFrameUrl",
                        "The parent frame URL must use the https scheme"))));
                return;
            }
            token.put("name", ENTERPRISE + "/webTokens/WT" + webTokens.incrementAndGet());
            token.put("value", "WTLOCAL" + webTokens.get());
            send(exchange, 200, Map.of(), token.toString());
        } else if (method.equals("GET") && path.startsWith("/v1/" + ENTERPRISE + "/applications/")) {
            ObjectNode app = playApps.get(path.substring(("/v1/" + ENTERPRISE + "/applications/").length()));
            send(exchange, app == null ? 404 : 200, Map.of(), app == null ? notFound() : app.toString());
        } else if (method.equals("PATCH") && path.startsWith("/v1/" + ENTERPRISE + "/policies/") && !applicationsRefusal(request.json()).isEmpty()) {
            send(exchange, 400, Map.of(), DiscoveryContract.refusal(applicationsRefusal(request.json())));
        } else if (method.equals("PATCH") && path.startsWith("/v1/" + ENTERPRISE + "/policies/")) {
            ObjectNode policy = (ObjectNode) request.json();
            String name = path.substring(4);
            policies.put(name, policy.deepCopy());
            policy.put("name", name);
            policy.put("version", "1");
            send(exchange, 200, Map.of(), policy.toString());
        } else if (path.startsWith("/v1/" + ENTERPRISE + "/devices/") && path.endsWith(":issueCommand") && method.equals("POST")) {
            String device = path.substring(4, path.length() - ":issueCommand".length());
            ObjectNode operation = JSON.createObjectNode();
            operation.put("name", device + "/operations/" + (1000 + operations.size()));
            operation.put("done", false);
            ObjectNode metadata = operation.putObject("metadata");
            metadata.put("@type", "type.googleapis.com/google.android.devicemanagement.v1.Command");
            metadata.setAll((ObjectNode) request.json());
            operations.put(operation.path("name").asText(), operation);
            String answer = operation.toString(); // as it was when issued, however far the operation gets meanwhile
            beforeIssueCommandAnswers.accept(operation.deepCopy());
            send(exchange, 200, Map.of(), answer);
        } else if (path.contains("/operations/") && method.equals("GET")) {
            ObjectNode operation = operations.get(path.substring(4));
            send(exchange, operation == null ? 404 : 200, Map.of(), operation == null ? notFound() : operation.toString());
        } else if (path.startsWith("/v1/" + ENTERPRISE + "/devices/")) {
            ObjectNode device = devices.get(path.substring(4));
            if (device == null) {
                send(exchange, 404, Map.of(), notFound());
            } else if (method.equals("PATCH") && "policyName".equals(request.query().get("updateMask"))) {
                device.put("policyName", request.json().path("policyName").asText());
                send(exchange, 200, Map.of(), device.toString());
            } else if (method.equals("GET")) {
                send(exchange, 200, Map.of(), device.toString());
            } else if (method.equals("DELETE")) {
                devices.remove(path.substring(4));
                send(exchange, 200, Map.of(), "{}");
            } else {
                send(exchange, 400, Map.of(), "{\"error\":{\"code\":400,\"message\":\"unexpected\",\"status\":\"INVALID_ARGUMENT\"}}");
            }
        } else if (method.equals("GET") && path.equals("/v1/" + ENTERPRISE + "/devices")) {
            // Pages of one device, so paging is exercised.
            List<String> names = devices.keySet().stream().sorted().toList();
            int from = Integer.parseInt(request.query().getOrDefault("pageToken", "0"));
            ObjectNode page = JSON.createObjectNode();
            if (from < names.size()) {
                page.putArray("devices").add(devices.get(names.get(from)));
            }
            if (from + 1 < names.size()) {
                page.put("nextPageToken", Integer.toString(from + 1));
            }
            send(exchange, 200, Map.of(), page.toString());
        } else {
            send(exchange, 404, Map.of(), notFound());
        }
    }

    /**
     * What Google refuses in a policy's {@code applications[]} beyond the discovery document's types: a package listed
     * twice, and more than 20 apps with a {@code minimumVersionCode} ("At most 20 apps may specify a minimum version
     * code per policy").
     */
    private static List<FieldViolation> applicationsRefusal(JsonNode policy) {
        List<FieldViolation> refused = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int pinned = 0;
        int index = 0;
        for (JsonNode application : policy.path("applications")) {
            if (!seen.add(application.path("packageName").asText())) {
                refused.add(new FieldViolation("applications[" + index + "].packageName", "Duplicate package name " + application.path("packageName").asText()));
            }
            if (application.has("minimumVersionCode") && ++pinned > 20) {
                refused.add(new FieldViolation("applications[" + index + "].minimumVersionCode", "At most 20 apps may specify a minimum version code per policy"));
            }
            index++;
        }
        return refused;
    }

    private static String notFound() {
        return "{\"error\":{\"code\":404,\"message\":\"Requested entity was not found.\",\"status\":\"NOT_FOUND\"}}";
    }

    /** Answers with a JSON body (Google's content type) and these extra headers; the stand-ins share it. */
    static void send(HttpExchange exchange, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
        headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** A form-encoded body or query as names to decoded values; the stand-ins share it. */
    static Map<String, String> form(String encoded) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            if (!pair.isEmpty()) {
                int equals = pair.indexOf('=');
                values.put(URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8),
                        equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
