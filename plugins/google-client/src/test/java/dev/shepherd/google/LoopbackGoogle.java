package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for Google on loopback: an OAuth 2.0 token endpoint ({@code /token}) that checks the JWT-bearer
 * assertion's RS256 signature against the service account's public key before it issues a token, and an API that
 * answers any other path with {@code {"path": …}} to a valid bearer token and 401 otherwise. Tests queue Google's
 * other answers per path, and read back every request.
 */
final class LoopbackGoogle implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A request as it arrived. */
    record Request(String method, String path, Map<String, String> headers, String body, Instant at) {
    }

    /** An answer a test scripts. */
    record Answer(int status, Map<String, String> headers, String body) {
        static Answer of(int status, String body) {
            return new Answer(status, Map.of(), body);
        }

        /** Google's error shape for its APIs. */
        static Answer error(int status, String googleStatus, String message) {
            return of(status, "{\"error\":{\"code\":" + status + ",\"message\":\"" + message + "\",\"status\":\"" + googleStatus + "\"}}");
        }
    }

    private final HttpServer server;
    private final PublicKey accountKey;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Queue<Answer>> scripted = new ConcurrentHashMap<>();
    private final Set<String> validTokens = ConcurrentHashMap.newKeySet();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile JsonNode lastAssertionHeader;
    private volatile JsonNode lastAssertionClaims;

    private LoopbackGoogle(HttpServer server, PublicKey accountKey) {
        this.server = server;
        this.accountKey = accountKey;
    }

    /** @param accountKey the public half of the service account's key, which assertions must be signed with */
    static LoopbackGoogle start(PublicKey accountKey) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        LoopbackGoogle google = new LoopbackGoogle(server, accountKey);
        server.createContext("/", exchange -> {
            try (exchange) {
                google.handle(exchange);
            }
        });
        server.start();
        return google;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    URI uri(String path) {
        return URI.create(url() + path);
    }

    /** Answers the next request to a path so, instead of the usual answer. */
    void answerNext(String path, Answer answer) {
        scripted.computeIfAbsent(path, key -> new ArrayDeque<>()).add(answer);
    }

    List<Request> requests(String path) {
        return requests.stream().filter(request -> request.path().equals(path)).toList();
    }

    int tokensIssued() {
        return issued.get();
    }

    JsonNode lastAssertionHeader() {
        return lastAssertionHeader;
    }

    JsonNode lastAssertionClaims() {
        return lastAssertionClaims;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
        String path = exchange.getRequestURI().getPath();
        requests.add(new Request(exchange.getRequestMethod(), path, headers, body, Instant.now()));
        Queue<Answer> queue = scripted.get(path);
        Answer answer = queue == null ? null : queue.poll();
        if (answer == null) {
            answer = path.equals("/token") ? token(body) : api(path, headers.getOrDefault("authorization", ""));
        }
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private Answer token(String form) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : form.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                fields.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        String[] jwt = fields.getOrDefault("assertion", "").split("\\.");
        boolean valid = "urn:ietf:params:oauth:grant-type:jwt-bearer".equals(fields.get("grant_type")) && jwt.length == 3;
        if (valid) {
            try {
                Signature rs256 = Signature.getInstance("SHA256withRSA");
                rs256.initVerify(accountKey);
                rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
                valid = rs256.verify(Base64.getUrlDecoder().decode(jwt[2]));
                lastAssertionHeader = JSON.readTree(Base64.getUrlDecoder().decode(jwt[0]));
                lastAssertionClaims = JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
            } catch (Exception e) {
                valid = false;
            }
        }
        if (!valid) {
            return Answer.of(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
        }
        String token = "ya29.loopback-" + issued.incrementAndGet();
        validTokens.add(token);
        return Answer.of(200, "{\"access_token\":\"" + token + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
    }

    private Answer api(String path, String authorization) {
        if (!authorization.startsWith("Bearer ") || !validTokens.contains(authorization.substring(7))) {
            return Answer.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
        }
        return Answer.of(200, JSON.createObjectNode().put("path", path).toString());
    }
}
