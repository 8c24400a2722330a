package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shepherd.google.discovery.DiscoveryContract;
import dev.shepherd.google.discovery.FieldViolation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the Android Management API's managed Google Play calls on loopback: a token endpoint, and
 * {@code enterprises.applications.get} and {@code enterprises.webTokens.create} of one enterprise. Every API request
 * is checked against androidmanagement v1's discovery document and must carry the bearer token; one the real service
 * would refuse is answered 400 INVALID_ARGUMENT and recorded, so the test fails unless it expected it.
 */
final class LocalPlay implements AutoCloseable {

    static final String ENTERPRISE = "enterprises/LC01test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "ya29.test";

    private final HttpServer server;
    private final Map<String, String> apps = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<JsonNode> webTokenRequests = new CopyOnWriteArrayList<>();
    private final AtomicInteger webTokens = new AtomicInteger();
    /** The parentFrameUrl of each web token issued, by its value: where Google shows the iframe for that token. */
    private final Map<String, String> issued = new ConcurrentHashMap<>();
    private volatile int failWith;

    private LocalPlay(HttpServer server) {
        this.server = server;
    }

    static LocalPlay start() throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        LocalPlay play = new LocalPlay(http);
        http.createContext("/", play::answer);
        http.start();
        return play;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** An app Google offers the enterprise, with its managed properties and {@code appVersions} as JSON text. */
    void publish(String packageName, String managedProperties, String versions) throws IOException {
        ObjectNode app = JSON.createObjectNode();
        app.put("name", ENTERPRISE + "/applications/" + packageName);
        app.put("title", "Title of " + packageName);
        app.put("author", "Example Corp");
        app.put("iconUrl", "https://play-lh.googleusercontent.com/" + packageName);
        app.put("minAndroidSdkVersion", 26);
        app.set("managedProperties", JSON.readTree(managedProperties));
        app.set("appVersions", JSON.readTree(versions));
        apps.put(packageName, app.toString());
    }

    /** Google no longer offers the app. */
    void withdraw(String packageName) {
        apps.remove(packageName);
    }

    /** Every API call is answered with this HTTP status (Google's error shape) until it is set back to 0. */
    void failWith(int status) {
        failWith = status;
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    List<JsonNode> webTokenRequests() {
        return List.copyOf(webTokenRequests);
    }

    /**
     * @param tokenValue a web token's value
     * @return the page the token was issued for ({@code parentFrameUrl}), if this stand-in issued it
     */
    Optional<String> parentFrameUrl(String tokenValue) {
        return Optional.ofNullable(issued.get(tokenValue));
    }

    /** A service account's JSON key whose token endpoint is this stand-in. */
    byte[] serviceAccountKey() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode key = JSON.createObjectNode().put("type", "service_account").put("project_id", "test-project")
                .put("private_key_id", "0123456789abcdef").put("private_key", pem)
                .put("client_email", "shepherd@test-project.iam.gserviceaccount.com").put("client_id", "1")
                .put("token_uri", url() + "/token");
        return key.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (path.equals("/token")) {
                send(exchange, 200, "{\"access_token\":\"" + TOKEN + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
                return;
            }
            String query = exchange.getRequestURI().getRawQuery();
            List<FieldViolation> wrong = new ArrayList<>(DiscoveryContract.androidManagement()
                    .check(exchange.getRequestMethod(), path + (query == null ? "" : "?" + query), body));
            if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                wrong.add(new FieldViolation("Authorization", "no bearer token"));
            }
            if (!wrong.isEmpty()) {
                wrong.forEach(violation -> violations.add(path + ": " + violation.field() + ": " + violation.description()));
                send(exchange, 400, DiscoveryContract.refusal(wrong));
                return;
            }
            if (failWith != 0) {
                send(exchange, failWith, "{\"error\":{\"code\":" + failWith + ",\"message\":\"The service is unavailable.\",\"status\":\"UNAVAILABLE\"}}");
                return;
            }
            String applications = "/v1/" + ENTERPRISE + "/applications/";
            if (exchange.getRequestMethod().equals("POST") && path.equals("/v1/" + ENTERPRISE + "/webTokens")) {
                webToken(exchange, body);
            } else if (exchange.getRequestMethod().equals("GET") && path.startsWith(applications) && apps.containsKey(path.substring(applications.length()))) {
                send(exchange, 200, apps.get(path.substring(applications.length())));
            } else {
                send(exchange, 404, "{\"error\":{\"code\":404,\"message\":\"Requested entity was not found.\",\"status\":\"NOT_FOUND\"}}");
            }
        }
    }

    /** "The URL must use the https scheme" (WebToken.parentFrameUrl). */
    private void webToken(HttpExchange exchange, String body) throws IOException {
        ObjectNode token = (ObjectNode) JSON.readTree(body);
        webTokenRequests.add(token.deepCopy());
        if (!token.path("parentFrameUrl").asText("").startsWith("https://")) {
            send(exchange, 400, DiscoveryContract.refusal(List.of(new FieldViolation("parentFrameUrl", "must use the https scheme"))));
            return;
        }
        token.put("name", ENTERPRISE + "/webTokens/WT" + webTokens.incrementAndGet());
        token.put("value", "WTTEST" + webTokens.get());
        issued.put(token.get("value").asText(), token.path("parentFrameUrl").asText());
        send(exchange, 200, token.toString());
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
