package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.google.discovery.DiscoveryContract;
import dev.shepherd.google.discovery.FieldViolation;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Google on loopback, answering with the shapes Google documents: the OAuth token endpoint
 * ({@code /token}, JWT-bearer grant, checking the assertion's RS256 signature against the service account's public
 * key), the Admin SDK Directory API (org units, ChromeOS devices with pagination, {@code issueCommand},
 * {@code commands.get}, {@code batchChangeStatus}) and the Chrome Policy API ({@code orgunits:batchModify},
 * {@code orgunits:batchInherit}, {@code policies:resolve}, and {@code networks:defineNetwork}, {@code removeNetwork},
 * {@code defineCertificate}, {@code removeCertificate}) over an in-memory policy store, and the Chrome Management API's
 * app details ({@code customers.apps.chrome.get}) of the Chrome Web Store apps a test publishes ({@link #publishApp}).
 * Policies with additional target keys ({@code app_id}, {@code network_id}) are kept per key, as Google keeps an app's
 * or a network's policies; resolving an app schema without an {@code app_id} lists every app's policy of the unit, each
 * under its own target key, two a page, so a client must follow {@code nextPageToken}.
 * A defined network's settings resolve under its {@code network_id}; defining takes the documented required fields
 * (name or certificate, settings with a {@code Details} for networks, an {@code orgunits/} target) or answers 400.
 *
 * <p>It refuses what Google refuses, with Google's 400 INVALID_ARGUMENT, and records it ({@link #violations()}), so a
 * test that made the plugin send it fails: every request is checked first against Google's discovery documents
 * ({@link DiscoveryContract}: method and path, parameters, body schema, deprecated methods, fields and enum values),
 * then every Chrome policy value, resolve filter and network setting against Google's published policy schemas
 * ({@link ChromePolicySchemas}), and each batch against the rules Google states for it (one namespace, org unit
 * targets, the same additional target key names, no schema twice). The deprecated {@code chromeosdevices.action} is
 * not served. The Chrome Management API has no discovery document here: its one method is checked against the contract
 * of Google's client library (googleapis 188.0.0, {@code chromemanagement} v1, {@link #APP_DETAILS_FIELDS}): a GET of
 * {@code v1/customers/{customer}/apps/chrome/{appId}} without a body or other than the standard parameters, with an
 * access token granted the {@value #APP_DETAILS_SCOPE} scope (else 403), an unknown app answering 404.
 *
 * <p>Every API call must carry the access token issued last, or it is answered 401 as Google answers an expired one.
 * A remote command moves one state on each {@code commands.get}: ACKED_BY_CLIENT, then EXECUTED_BY_CLIENT with result
 * SUCCESS. Tests script failures ({@link #fail}), hold a request until they have watched work in progress
 * ({@link #hold}), and read every request back ({@link #requests}).
 */
final class LocalGoogle implements AutoCloseable {

    static final String CUSTOMER = "/admin/directory/v1/customer/my_customer";
    static final String POLICY = "/v1/customers/my_customer";
    /** The scope the Chrome Management API's app details require. */
    static final String APP_DETAILS_SCOPE = "https://www.googleapis.com/auth/chrome.management.appdetails.readonly";
    /** The fields of the Chrome Management API's {@code GoogleChromeManagementV1AppDetails}, the only ones an answer may carry. */
    static final Set<String> APP_DETAILS_FIELDS = Set.of("androidAppInfo", "appId", "categoryIds", "chromeAppInfo",
            "description", "detailUri", "displayName", "firstPublishTime", "homepageUri", "iconUri", "isPaidApp", "latestPublishTime",
            "name", "privacyPolicyUri", "publisher", "reviewNumber", "reviewRating", "revisionId", "serviceError", "type");
    /** The query parameters every Google API takes; {@code customers.apps.chrome.get} declares no others. */
    private static final Set<String> STANDARD_PARAMETERS = Set.of("$.xgafv", "access_token", "alt", "callback",
            "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "uploadType", "upload_protocol");
    private static final Pattern APP_DETAILS_PATH =
            Pattern.compile("/v1/customers/([^/]+)/apps/chrome/([^/@]+)(@[^/]+)?");
    private static final int RESOLVE_PAGE = 2;

    /** One request as received: headers lower case, the body parsed when JSON. */
    record Request(String method, String path, String query, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A scripted answer for the next request whose path ends with {@code pathSuffix}. */
    record Failure(String pathSuffix, int status, Map<String, String> headers, String body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Undertow server;
    private final KeyPair serviceAccount;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Failure> failures = new ArrayDeque<>();
    /** Path suffix → the gate the next such request waits at. */
    private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
    private final List<ObjectNode> devices = new CopyOnWriteArrayList<>();
    private final List<ObjectNode> orgUnits = new CopyOnWriteArrayList<>();
    private final Map<String, ObjectNode> commands = new ConcurrentHashMap<>();
    /** "targetResource additionalTargetKeys" → schema → value. */
    private final Map<String, Map<String, ObjectNode>> policies = new ConcurrentHashMap<>();
    /** "targetResource additionalTargetKeys" → the policy target key it stands for, as batchModify named it. */
    private final Map<String, JsonNode> targetKeys = new ConcurrentHashMap<>();
    /** Chrome Web Store id → the app details the Chrome Management API answers. */
    private final Map<String, ObjectNode> webStore = new ConcurrentHashMap<>();
    /** The scopes of the access token issued last. */
    private volatile String grantedScopes = "";
    private final AtomicInteger issued = new AtomicInteger();
    private final AtomicInteger commandIds = new AtomicInteger(1000);
    /** networkId → its org unit's target resource, for networks and certificates defined. */
    private final Map<String, String> networks = new ConcurrentHashMap<>();
    private final Map<String, String> certificates = new ConcurrentHashMap<>();
    private volatile String currentToken = "none yet";
    /** Google's published Chrome policy schemas, which every policy value and network setting is checked against. */
    private final ChromePolicySchemas schemas = ChromePolicySchemas.published();
    /** Google's discovery documents: every request's method, path, parameters and body are checked against them first. */
    private final DiscoveryContract directory = DiscoveryContract.adminDirectory();
    private final DiscoveryContract chromePolicy = DiscoveryContract.chromePolicy();
    /** Every request refused as Google would refuse it, as "METHOD path: field: why"; a test expects none unless it provoked one. */
    private final List<String> violations = new CopyOnWriteArrayList<>();

    private LocalGoogle(KeyPair serviceAccount) {
        this.serviceAccount = serviceAccount;
        this.server = Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setHandler(new BlockingHandler(this::handle)).build();
        server.start();
    }

    static LocalGoogle start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return new LocalGoogle(generator.generateKeyPair());
    }

    String url() {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return "http://127.0.0.1:" + address.getPort();
    }

    /** The service account's JSON key, as Google Cloud hands it out. */
    String serviceAccountKey() {
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(serviceAccount.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        ObjectNode key = JSON.createObjectNode().put("type", "service_account").put("project_id", "shepherd-test")
                .put("private_key_id", "k3y1d").put("private_key", pem)
                .put("client_email", "shepherd@shepherd-test.iam.gserviceaccount.com").put("client_id", "1234567890")
                .put("token_uri", "https://oauth2.googleapis.com/token");
        return key.toString();
    }

    void addOrgUnit(String path, String id) {
        orgUnits.add(JSON.createObjectNode().put("kind", "admin#directory#orgUnit").put("name", path.substring(path.lastIndexOf('/') + 1))
                .put("orgUnitPath", path).put("orgUnitId", "id:" + id).put("parentOrgUnitPath", "/"));
    }

    void addDevice(String deviceId, String serial, String orgUnitPath, String user) {
        ObjectNode device = JSON.createObjectNode().put("kind", "admin#directory#chromeosdevice").put("deviceId", deviceId)
                .put("serialNumber", serial).put("status", "ACTIVE").put("lastSync", "2024-05-02T08:30:00.000Z")
                .put("model", "HP Chromebook x360 14c").put("osVersion", "124.0.6367.171").put("platformVersion", "15823.51.0 (Official Build) stable-channel")
                .put("orgUnitPath", orgUnitPath).put("annotatedAssetId", "ASSET-" + serial).put("macAddress", "a1b2c3d4e5f6");
        device.putArray("recentUsers").addObject().put("type", "USER_TYPE_MANAGED").put("email", user);
        devices.add(device);
    }

    /**
     * Publishes a Chrome Web Store app the Chrome Management API then describes, with the fields Google answers.
     *
     * @param webStoreId the 32-letter Web Store id
     * @param version its revision, or null for none
     */
    void publishApp(String webStoreId, String displayName, String publisher, String version) {
        ObjectNode app = JSON.createObjectNode().put("name", "customers/C03az79cb/apps/chrome/" + webStoreId).put("displayName", displayName)
                .put("appId", webStoreId).put("type", "CHROME").put("publisher", publisher).put("description", displayName + ", for tests")
                .put("iconUri", "https://lh3.googleusercontent.com/" + webStoreId + "=s128")
                .put("detailUri", "https://chromewebstore.google.com/detail/" + webStoreId).put("isPaidApp", false);
        if (version != null) {
            app.put("revisionId", version);
        }
        app.putObject("chromeAppInfo").put("isCwsHosted", true).put("googleOwned", publisher.startsWith("Google")).put("isTheme", false);
        app.fieldNames().forEachRemaining(field -> {
            if (!APP_DETAILS_FIELDS.contains(field)) {
                throw new IllegalStateException("AppDetails has no field " + field);
            }
        });
        webStore.put(webStoreId, app);
    }

    /** Google no longer knows the device (deleted in the Admin console, say); a status change for it fails for it alone. */
    void forgetDevice(String deviceId) {
        devices.removeIf(device -> device.path("deviceId").asText().equals(deviceId));
    }

    /** The next request whose path ends with the suffix gets this answer instead. */
    void fail(String pathSuffix, int status, Map<String, String> headers, String body) {
        synchronized (failures) {
            failures.add(new Failure(pathSuffix, status, headers, body));
        }
    }

    /**
     * The next request whose path ends with the suffix waits (at most 20 s, within the plugin's request timeout) until
     * the returned gate is counted down, so a test can watch the work that is waiting on Google.
     */
    CountDownLatch hold(String pathSuffix) {
        CountDownLatch gate = new CountDownLatch(1);
        holds.put(pathSuffix, gate);
        return gate;
    }

    /** From now on the token issued last is refused with 401, as Google refuses an expired one. */
    void expireToken() {
        currentToken = "expired";
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String method, String pathSuffix) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().endsWith(pathSuffix)).toList();
    }

    /**
     * The requests refused because Google would refuse them (a schema or field that does not exist, namespaces mixed in
     * one batch, a body the discovery document does not allow, a deprecated method), each as
     * {@code METHOD path: field: why}. Every test ends with none, except one that provoked them and took them.
     */
    List<String> violations() {
        return List.copyOf(violations);
    }

    /** The violations so far, forgotten: for a test that provoked them on purpose. */
    List<String> takeViolations() {
        List<String> taken = List.copyOf(violations);
        violations.removeAll(taken);
        return taken;
    }

    int tokensIssued() {
        return issued.get();
    }

    /** What Google applies to an org unit for a schema, as resolve would say. */
    ObjectNode policy(String orgUnitId, String schema) {
        return policy(orgUnitId, Map.of(), schema);
    }

    /** The same for a schema with additional target keys, such as an app's {@code app_id}. */
    ObjectNode policy(String orgUnitId, Map<String, String> targetKeys, String schema) {
        return policies.getOrDefault(target("orgunits/" + orgUnitId, JSON.valueToTree(targetKeys)), Map.of()).get(schema);
    }

    /** An app's install type set on an org unit in the Admin console, as batchModify would set it. */
    void setAppInstallType(String orgUnitId, String appId, String installType) {
        ObjectNode key = JSON.createObjectNode().put("targetResource", "orgunits/" + orgUnitId);
        key.putObject("additionalTargetKeys").put("app_id", appId);
        targetKeys.put(target(key), key);
        policies.computeIfAbsent(target(key), unit -> new ConcurrentHashMap<>())
                .put("chrome.users.apps.InstallType", JSON.createObjectNode().put("appInstallType", installType));
    }

    /** The networks and certificates defined now, by id. */
    Map<String, String> networks() {
        return Map.copyOf(networks);
    }

    Map<String, String> certificates() {
        return Map.copyOf(certificates);
    }

    private static String target(String resource, JsonNode additionalTargetKeys) {
        return additionalTargetKeys == null || additionalTargetKeys.isMissingNode() || additionalTargetKeys.isEmpty()
                ? resource : resource + " " + new TreeMap<>(JSON.convertValue(additionalTargetKeys, Map.class));
    }

    private static String target(JsonNode policyTargetKey) {
        return target(policyTargetKey.path("targetResource").asText(), policyTargetKey.path("additionalTargetKeys"));
    }

    private void handle(HttpServerExchange exchange) throws Exception {
        exchange.startBlocking();
        String body = new String(exchange.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> headers = new TreeMap<>();
        for (HttpString name : exchange.getRequestHeaders().getHeaderNames()) {
            headers.put(name.toString().toLowerCase(), exchange.getRequestHeaders().getFirst(name));
        }
        String path = URLDecoder.decode(exchange.getRequestPath(), StandardCharsets.UTF_8);
        Request request = new Request(exchange.getRequestMethod().toString(), path, exchange.getQueryString(), headers, body);
        requests.add(request);
        for (Map.Entry<String, CountDownLatch> hold : holds.entrySet()) {
            if (path.endsWith(hold.getKey()) && holds.remove(hold.getKey(), hold.getValue())) {
                hold.getValue().await(20, TimeUnit.SECONDS);
                break;
            }
        }
        Failure failure = null;
        synchronized (failures) {
            for (Failure candidate : failures) {
                if (path.endsWith(candidate.pathSuffix())) {
                    failure = candidate;
                    failures.remove(candidate);
                    break;
                }
            }
        }
        if (failure != null) {
            failure.headers().forEach((name, value) -> exchange.getResponseHeaders().put(new HttpString(name), value));
            send(exchange, failure.status(), failure.body());
            return;
        }
        if (path.equals("/token")) {
            token(exchange, body);
            return;
        }
        if (!("Bearer " + currentToken).equals(headers.get("authorization"))) {
            send(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
            return;
        }
        Answer answer = answer(request);
        send(exchange, answer.status(), answer.body());
    }

    /** An answer: the HTTP status and its JSON body. */
    record Answer(int status, String body) {
    }

    /**
     * Answers an authenticated API request as Google would: refused with 400 INVALID_ARGUMENT, and recorded in
     * {@link #violations()}, when Google would refuse it.
     */
    Answer answer(Request request) {
        try {
            if (request.path().matches("/v1/customers/[^/]+/apps/.*")) {
                return appDetails(request);
            }
            DiscoveryContract contract = request.path().startsWith("/admin/directory/") ? directory : chromePolicy;
            List<FieldViolation> shape = contract.check(request.method(), request.path() + (request.query() == null ? "" : "?" + request.query()),
                    request.body());
            if (!shape.isEmpty()) {
                throw new Violations(shape);
            }
            return new Answer(200, api(request).toString());
        } catch (Violations refused) {
            refused.violations.forEach(v -> violations.add(request.method() + " " + request.path() + ": " + v.field() + ": " + v.description()));
            return new Answer(400, DiscoveryContract.refusal(refused.violations));
        } catch (Refusal refusal) {
            return new Answer(refusal.status, refusal.body);
        }
    }

    /**
     * {@code customers.apps.chrome.get}: refused (and recorded) when the request breaks the method's contract; 403 for
     * another customer or a token without the scope, 404 for an app the Web Store does not have.
     */
    private Answer appDetails(Request request) {
        Matcher path = APP_DETAILS_PATH.matcher(request.path());
        List<FieldViolation> found = new ArrayList<>();
        if (!request.method().equals("GET") || !path.matches()) {
            found.add(new FieldViolation("name", "No method " + request.method() + " " + request.path()
                    + ": the Chrome Management API serves GET v1/customers/{customer}/apps/chrome/{appId}."));
        } else if (!path.group(2).matches("[a-p]{32}")) {
            found.add(new FieldViolation("name", "Invalid app id " + path.group(2) + ": a Chrome Web Store id is 32 letters a to p."));
        }
        if (!request.body().isEmpty()) {
            found.add(new FieldViolation("body", "customers.apps.chrome.get takes no request body."));
        }
        if (request.query() != null && !request.query().isEmpty()) {
            for (String pair : request.query().split("&")) {
                String name = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
                if (!STANDARD_PARAMETERS.contains(name)) {
                    found.add(new FieldViolation(name, "Unknown parameter " + name + "."));
                }
            }
        }
        if (!found.isEmpty()) {
            found.forEach(v -> violations.add(request.method() + " " + request.path() + ": " + v.field() + ": " + v.description()));
            return new Answer(400, DiscoveryContract.refusal(found));
        }
        if (!Arrays.asList(grantedScopes.split(" ")).contains(APP_DETAILS_SCOPE)) {
            return new Answer(403, "{\"error\":{\"code\":403,\"message\":\"Request had insufficient authentication scopes.\","
                    + "\"status\":\"PERMISSION_DENIED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
                    + "\"reason\":\"ACCESS_TOKEN_SCOPE_INSUFFICIENT\",\"domain\":\"googleapis.com\"}]}}");
        }
        if (!path.group(1).equals("my_customer")) {
            return new Answer(403, "{\"error\":{\"code\":403,\"message\":\"The caller does not have permission\",\"status\":\"PERMISSION_DENIED\"}}");
        }
        ObjectNode app = webStore.get(path.group(2));
        if (app == null) {
            return new Answer(404, "{\"error\":{\"code\":404,\"message\":\"Requested entity was not found.\",\"status\":\"NOT_FOUND\"}}");
        }
        return new Answer(200, app.toString());
    }

    private void token(HttpServerExchange exchange, String form) throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : form.split("&")) {
            int equals = pair.indexOf('=');
            fields.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
        String[] jwt = fields.getOrDefault("assertion", "").split("\\.");
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(serviceAccount.getPublic());
        rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
        JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(jwt[0]));
        JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
        boolean valid = "urn:ietf:params:oauth:grant-type:jwt-bearer".equals(fields.get("grant_type"))
                && rs256.verify(Base64.getUrlDecoder().decode(jwt[2])) && "RS256".equals(header.path("alg").asText())
                && "shepherd@shepherd-test.iam.gserviceaccount.com".equals(claims.path("iss").asText())
                && "it-admin@example.com".equals(claims.path("sub").asText())
                && claims.path("scope").asText().contains("https://www.googleapis.com/auth/admin.directory.device.chromeos")
                && claims.path("scope").asText().contains("https://www.googleapis.com/auth/chrome.management.policy")
                && (url() + "/token").equals(claims.path("aud").asText())
                && claims.path("exp").asLong() - claims.path("iat").asLong() <= 3600;
        if (!valid) {
            send(exchange, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
            return;
        }
        grantedScopes = claims.path("scope").asText();
        currentToken = "ya29.local-" + issued.incrementAndGet();
        send(exchange, 200, "{\"access_token\":\"" + currentToken + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
    }

    private JsonNode api(Request request) {
        String path = request.path();
        String devicesPrefix = CUSTOMER + "/devices/chromeos";
        if (path.equals(CUSTOMER + "/orgunits")) {
            ObjectNode answer = JSON.createObjectNode().put("kind", "admin#directory#org_units");
            answer.putArray("organizationUnits").addAll(orgUnits);
            return answer;
        }
        if (path.equals(devicesPrefix)) {
            // Two devices a page, so the plugin must follow nextPageToken.
            int from = request.query() != null && request.query().contains("pageToken=") ? Integer.parseInt(request.query().replaceAll(".*pageToken=(\\d+).*", "$1")) : 0;
            ObjectNode answer = JSON.createObjectNode().put("kind", "admin#directory#chromeosdevices");
            answer.putArray("chromeosdevices").addAll(devices.subList(from, Math.min(from + 2, devices.size())));
            if (from + 2 < devices.size()) {
                answer.put("nextPageToken", Integer.toString(from + 2));
            }
            return answer;
        }
        if (path.startsWith(devicesPrefix + "/") && path.endsWith(":issueCommand")) {
            String commandId = Integer.toString(commandIds.incrementAndGet());
            commands.put(commandId, JSON.createObjectNode().put("commandId", commandId).put("type", request.json().path("commandType").asText())
                    .put("state", "PENDING").put("issueTime", "2024-05-02T09:00:00Z"));
            return JSON.createObjectNode().put("commandId", commandId);
        }
        if (path.startsWith(devicesPrefix + "/") && path.contains("/commands/")) {
            ObjectNode command = commands.get(path.substring(path.lastIndexOf('/') + 1));
            switch (command.path("state").asText()) {
                case "PENDING" -> command.put("state", "ACKED_BY_CLIENT");
                case "ACKED_BY_CLIENT" -> {
                    command.put("state", "EXECUTED_BY_CLIENT");
                    command.putObject("commandResult").put("result", "SUCCESS").put("executeTime", "2024-05-02T09:01:00Z");
                }
                default -> { }
            }
            return command.deepCopy();
        }
        if (path.equals(devicesPrefix + ":batchChangeStatus")) {
            return batchChangeStatus(request.json());
        }
        if (path.equals(POLICY + "/policies/orgunits:batchModify")) {
            checkBatch(request.json(), true);
            for (JsonNode modify : request.json().path("requests")) {
                String target = target(modify.path("policyTargetKey"));
                targetKeys.put(target, modify.path("policyTargetKey").deepCopy());
                String schema = modify.path("policyValue").path("policySchema").asText();
                ObjectNode value = policies.computeIfAbsent(target, key -> new ConcurrentHashMap<>())
                        .computeIfAbsent(schema, key -> JSON.createObjectNode());
                for (String field : modify.path("updateMask").asText().split(",")) {
                    value.set(field, modify.path("policyValue").path("value").path(field));
                }
            }
            return JSON.createObjectNode();
        }
        if (path.equals(POLICY + "/policies/orgunits:batchInherit")) {
            checkBatch(request.json(), false);
            for (JsonNode inherit : request.json().path("requests")) {
                policies.getOrDefault(target(inherit.path("policyTargetKey")), new ConcurrentHashMap<>())
                        .remove(inherit.path("policySchema").asText());
            }
            return JSON.createObjectNode();
        }
        if (path.equals(POLICY + "/policies:resolve")) {
            String target = target(request.json().path("policyTargetKey"));
            String filter = request.json().path("policySchemaFilter").asText();
            if (!schemas.exists(filter) && !(filter.endsWith(".*") && schemas.namespaceExists(filter.substring(0, filter.length() - 2)))) {
                throw new Violations(List.of(new FieldViolation("policySchemaFilter",
                        "No policy schema or namespace matches " + filter + ".")));
            }
            // An app schema resolved without an app_id lists every app's policy of the unit, each under its own key.
            JsonNode asked = request.json().path("policyTargetKey");
            boolean everyApp = filter.contains(".apps.") && asked.path("additionalTargetKeys").isEmpty();
            String resource = asked.path("targetResource").asText();
            List<String> targets = new ArrayList<>(policies.keySet().stream()
                    .filter(key -> key.equals(target) || everyApp && key.startsWith(resource + " {app_id=")).sorted().toList());
            List<ObjectNode> resolved = new ArrayList<>();
            for (String matching : targets) {
                JsonNode key = matching.equals(target) ? asked : targetKeys.get(matching);
                new TreeMap<>(policies.get(matching)).forEach((schema, value) -> {
                    if (schema.equals(filter) || filter.endsWith("*") && schema.startsWith(filter.substring(0, filter.length() - 1))) {
                        ObjectNode item = JSON.createObjectNode();
                        item.set("targetKey", key.deepCopy());
                        item.putObject("value").put("policySchema", schema).set("value", value.deepCopy());
                        item.set("sourceKey", key.deepCopy());
                        resolved.add(item);
                    }
                });
            }
            String token = request.json().path("pageToken").asText("0");
            if (!token.matches("[0-9]{1,6}") || Integer.parseInt(token) > resolved.size()) {
                return badRequest("Invalid page token.");
            }
            int from = Integer.parseInt(token);
            // pageSize is a maximum (100 when left out); Google may answer fewer, and this stand-in answers two at most.
            int asks = request.json().path("pageSize").asInt(0);
            int size = Math.min(asks > 0 ? asks : 100, RESOLVE_PAGE);
            ObjectNode answer = JSON.createObjectNode();
            answer.putArray("resolvedPolicies").addAll(resolved.subList(from, Math.min(from + size, resolved.size())));
            if (from + size < resolved.size()) {
                answer.put("nextPageToken", Integer.toString(from + size));
            }
            return answer;
        }
        if (path.equals(POLICY + "/policies/networks:defineNetwork")) {
            JsonNode define = request.json();
            checkSettings(define.path("settings"), "chrome.networks.(wifi|vpn|ethernet|cellular)");
            String target = define.path("targetResource").asText();
            boolean hasDetails = false;
            for (JsonNode setting : define.path("settings")) {
                hasDetails |= setting.path("policySchema").asText().matches("chrome\\.networks\\.(wifi|vpn|ethernet)\\.Details");
            }
            if (define.path("name").asText().isEmpty() || !target.startsWith("orgunits/") || !hasDetails) {
                return badRequest("A network needs a name, an orgunits/ target and a Details setting.");
            }
            String networkId = define.path("name").asText() + "-" + commandIds.incrementAndGet();
            networks.put(networkId, target);
            ObjectNode keys = JSON.createObjectNode().put("network_id", networkId);
            ArrayNode echoed = JSON.createArrayNode();
            for (JsonNode setting : define.path("settings")) {
                ObjectNode value = (ObjectNode) setting.path("value").deepCopy();
                // Google keeps secrets write-only and fills in the defaults of what was left out.
                if (value.path("details").isObject()) {
                    ObjectNode details = (ObjectNode) value.path("details");
                    details.remove(List.of("passphrase", "psk"));
                    details.putObject("proxySettings").put("type", "Direct");
                }
                policies.computeIfAbsent(target(target, keys), key -> new ConcurrentHashMap<>()).put(setting.path("policySchema").asText(), value);
                echoed.addObject().put("policySchema", setting.path("policySchema").asText()).set("value", value.deepCopy());
            }
            ObjectNode answer = JSON.createObjectNode().put("networkId", networkId).put("targetResource", target);
            answer.set("settings", echoed);
            return answer;
        }
        if (path.equals(POLICY + "/policies/networks:defineCertificate")) {
            JsonNode define = request.json();
            checkSettings(define.path("settings"), "chrome.networks.certificates");
            if (!define.path("certificate").asText().startsWith("-----BEGIN CERTIFICATE-----") || !define.path("targetResource").asText().startsWith("orgunits/")) {
                return badRequest("A certificate needs the PEM file's contents and an orgunits/ target.");
            }
            String networkId = "cert-" + commandIds.incrementAndGet();
            certificates.put(networkId, define.path("targetResource").asText());
            return JSON.createObjectNode().put("networkId", networkId).put("targetResource", define.path("targetResource").asText());
        }
        if (path.equals(POLICY + "/policies/networks:removeNetwork") || path.equals(POLICY + "/policies/networks:removeCertificate")) {
            Map<String, String> defined = path.endsWith("removeNetwork") ? networks : certificates;
            String networkId = request.json().path("networkId").asText();
            if (!request.json().path("targetResource").asText().equals(defined.get(networkId))) {
                return notFound("No " + networkId + " is defined at " + request.json().path("targetResource").asText() + ".");
            }
            defined.remove(networkId);
            policies.remove(target(request.json().path("targetResource").asText(), JSON.createObjectNode().put("network_id", networkId)));
            return JSON.createObjectNode();
        }
        throw new IllegalArgumentException("LocalGoogle does not serve " + request.method() + " " + path);
    }

    /**
     * What Google requires of a batchModify or batchInherit beyond its discovery schema: schemas that exist (and for a
     * modify, values and an update mask of fields they have), one namespace for all requests, org unit targets, the same
     * additional target key names throughout, and no schema and target twice.
     */
    private void checkBatch(JsonNode batch, boolean modify) {
        List<FieldViolation> found = new ArrayList<>();
        String namespace = null;
        String keyNames = null;
        Set<String> seen = new HashSet<>();
        int i = 0;
        for (JsonNode request : batch.path("requests")) {
            String at = "requests[" + i++ + "]";
            String schema = modify ? request.path("policyValue").path("policySchema").asText() : request.path("policySchema").asText();
            if (modify) {
                found.addAll(schemas.check(schema, request.path("policyValue").path("value"), at + ".policyValue"));
                for (String field : request.path("updateMask").asText().split(",")) {
                    String top = field.split("\\.")[0];
                    if (field.isEmpty() || !request.path("policyValue").path("value").has(top) || schemas.exists(schema) && !schemas.hasField(schema, top)) {
                        found.add(new FieldViolation(at + ".updateMask", "Field " + field + " of the update mask has no value in " + schema + "."));
                    }
                }
            } else if (!schemas.exists(schema)) {
                found.add(new FieldViolation(at + ".policySchema", "Policy schema " + schema + " does not exist."));
            }
            String ofSchema = schema.contains(".") ? schema.substring(0, schema.lastIndexOf('.')) : schema;
            if (namespace == null) {
                namespace = ofSchema;
            } else if (!namespace.equals(ofSchema)) {
                found.add(new FieldViolation(at + ".policySchema", "All schemas in the list must have the same root namespace: "
                        + schema + " is not in " + namespace + "."));
            }
            JsonNode key = request.path("policyTargetKey");
            if (!key.path("targetResource").asText().startsWith("orgunits/")) {
                found.add(new FieldViolation(at + ".policyTargetKey.targetResource", "The target resource must point to an org unit."));
            }
            Set<String> sortedNames = new TreeSet<>();
            key.path("additionalTargetKeys").fieldNames().forEachRemaining(sortedNames::add);
            String names = sortedNames.toString();
            if (keyNames == null) {
                keyNames = names;
            } else if (!keyNames.equals(names)) {
                found.add(new FieldViolation(at + ".policyTargetKey.additionalTargetKeys",
                        "All policyTargetKey values must have the same key names in the additionalTargetKeys."));
            }
            if (!seen.add(schema + " " + target(key))) {
                found.add(new FieldViolation(at, "No two requests can reference the same policySchema and policyTargetKey."));
            }
        }
        if (i == 0) {
            found.add(new FieldViolation("requests", "At least one request is required."));
        }
        if (!found.isEmpty()) {
            throw new Violations(found);
        }
    }

    /** A network's or certificate's settings: schemas of the method's namespaces, with values their schemas allow. */
    private void checkSettings(JsonNode settings, String namespaces) {
        List<FieldViolation> found = new ArrayList<>();
        int i = 0;
        for (JsonNode setting : settings) {
            String at = "settings[" + i++ + "]";
            String schema = setting.path("policySchema").asText();
            if (!schema.matches(namespaces + "\\.[A-Za-z0-9]+")) {
                found.add(new FieldViolation(at + ".policySchema", schema + " is not a setting of " + namespaces + "."));
            }
            found.addAll(schemas.check(schema, setting.path("value"), at));
        }
        if (!found.isEmpty()) {
            throw new Violations(found);
        }
    }

    /**
     * {@code customer.devices.chromeos.batchChangeStatus}: the action and device ids are required, at most 50 devices, and
     * a deprovision needs one of the reasons Google has not deprecated (which no other action may carry). Each device's
     * outcome is answered separately; one Google does not know gets a NOT_FOUND result while the others change.
     */
    private JsonNode batchChangeStatus(JsonNode body) {
        List<FieldViolation> found = new ArrayList<>();
        String action = body.path("changeChromeOsDeviceStatusAction").asText();
        String status = switch (action) {
            case "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION" -> "DEPROVISIONED";
            case "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE" -> "DISABLED";
            case "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_REENABLE" -> "ACTIVE";
            default -> {
                found.add(new FieldViolation("changeChromeOsDeviceStatusAction", "Required: DEPROVISION, DISABLE or REENABLE, not " + action + "."));
                yield null;
            }
        };
        Set<String> reasons = Set.of("DEPROVISION_REASON_SAME_MODEL_REPLACEMENT", "DEPROVISION_REASON_DIFFERENT_MODEL_REPLACEMENT",
                "DEPROVISION_REASON_RETIRING_DEVICE", "DEPROVISION_REASON_UPGRADE_TRANSFER", "DEPROVISION_REASON_NOT_REQUIRED");
        String reason = body.path("deprovisionReason").asText(null);
        if ("DEPROVISIONED".equals(status) && (reason == null || !reasons.contains(reason))) {
            found.add(new FieldViolation("deprovisionReason", "A deprovision needs a reason, one of " + new java.util.TreeSet<>(reasons) + "."));
        } else if (!"DEPROVISIONED".equals(status) && reason != null) {
            found.add(new FieldViolation("deprovisionReason", "Omit the reason unless deprovisioning."));
        }
        if (!body.path("deviceIds").isArray() || body.path("deviceIds").isEmpty() || body.path("deviceIds").size() > 50) {
            found.add(new FieldViolation("deviceIds", "Between 1 and 50 device ids are required."));
        }
        if (!found.isEmpty()) {
            throw new Violations(found);
        }
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode results = answer.putArray("changeChromeOsDeviceStatusResults");
        for (JsonNode id : body.path("deviceIds")) {
            ObjectNode result = results.addObject().put("deviceId", id.asText());
            List<ObjectNode> matching = devices.stream().filter(device -> device.path("deviceId").asText().equals(id.asText())).toList();
            if (matching.isEmpty()) {
                result.putObject("error").put("code", 5).put("message", "Device " + id.asText() + " not found.");
            } else {
                matching.forEach(device -> device.put("status", status));
                result.putObject("response");
            }
        }
        return answer;
    }

    /** Thrown to refuse a request as Google would, naming each field. */
    static final class Violations extends RuntimeException {
        final List<FieldViolation> violations;

        Violations(List<FieldViolation> violations) {
            super(violations.toString());
            this.violations = List.copyOf(violations);
        }
    }

    /** Thrown to answer with Google's error shape. */
    static final class Refusal extends RuntimeException {
        final int status;
        final String body;

        Refusal(int status, String body) {
            super(body);
            this.status = status;
            this.body = body;
        }
    }

    private static JsonNode badRequest(String message) {
        throw new Refusal(400, "{\"error\":{\"code\":400,\"message\":\"" + message + "\",\"status\":\"INVALID_ARGUMENT\"}}");
    }

    private static JsonNode notFound(String message) {
        throw new Refusal(404, "{\"error\":{\"code\":404,\"message\":\"" + message + "\",\"status\":\"NOT_FOUND\"}}");
    }

    private static void send(HttpServerExchange exchange, int status, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(new HttpString("Content-Type"), "application/json; charset=UTF-8");
        exchange.getResponseSender().send(body);
    }

    @Override
    public void close() {
        server.stop();
    }

    static List<String> paths(List<Request> requests) {
        List<String> paths = new ArrayList<>();
        requests.forEach(r -> paths.add(r.method() + " " + r.path()));
        return paths;
    }
}
