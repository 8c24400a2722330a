package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.shepherd.security.TlsMaterial;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * Stand-ins, on loopback https, for what the admin's browser loads from Google for the managed Play iframe: the
 * script origin ({@code apis.google.com}: {@code /js/api.js} and the {@code gapi.iframes} module it loads) and the
 * iframe's origin ({@code play.google.com}: {@code /work/embedded/search?token=…&mode=SELECT}). The scripts offer only
 * the {@code gapi} surface Google's guide documents; the iframe page accepts only a token the AMAPI stand-in issued,
 * shows its apps only when embedded in the page the token was issued for, and sends the documented
 * {@code onproductselect} payload ({@code packageName}, {@code productId}, {@code action: "selected"}) to that page's
 * origin alone. Each origin is an https server of its own, as Google's are, with a throwaway self-signed certificate.
 */
final class LocalPlayIframe implements AutoCloseable {

    static final String SCRIPT_PATH = "/js/api.js";
    static final String IFRAME_PATH = "/work/embedded/search";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpsServer scripts;
    private final HttpsServer play;
    private final Function<String, Optional<String>> parentFrameUrlOfToken;
    private final List<String> apps;
    private final List<String> served = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();

    /**
     * @param certificateDir where the throwaway certificate is kept
     * @param parentFrameUrlOfToken the page a web token was issued for, if it was issued ({@link LocalPlay#parentFrameUrl})
     * @param apps the packages the iframe offers to select
     */
    LocalPlayIframe(Path certificateDir, Function<String, Optional<String>> parentFrameUrlOfToken, List<String> apps) throws IOException {
        this.parentFrameUrlOfToken = requireNonNull(parentFrameUrlOfToken, "parentFrameUrlOfToken is null");
        this.apps = List.copyOf(apps);
        SSLContext tls = TlsMaterial.serverContext(TlsMaterial.identity(Optional.empty(), "", certificateDir, List.of("127.0.0.1")));
        scripts = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        play = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (HttpsServer server : List.of(scripts, play)) {
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
        }
        scripts.createContext("/", this::serveScript);
        play.createContext("/", this::serveIframe);
        scripts.start();
        play.start();
    }

    /** @return the stand-in for {@code https://apis.google.com/js/api.js} */
    String scriptUrl() {
        return scriptOrigin() + SCRIPT_PATH;
    }

    /** @return the stand-in for {@code https://play.google.com/work/embedded/search} */
    String iframeUrl() {
        return playOrigin() + IFRAME_PATH;
    }

    String scriptOrigin() {
        return "https://127.0.0.1:" + scripts.getAddress().getPort();
    }

    String playOrigin() {
        return "https://127.0.0.1:" + play.getAddress().getPort();
    }

    /** @return "path?query" of every request answered with a script or the iframe page */
    List<String> served() {
        return List.copyOf(served);
    }

    /** @return why each refused request was refused */
    List<String> refused() {
        return List.copyOf(refused);
    }

    private void serveScript(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String file = switch (path) {
                case SCRIPT_PATH -> "api.js";
                case "/js/gapi.iframes.js" -> "gapi.iframes.js";
                default -> null;
            };
            if (file == null || !exchange.getRequestMethod().equals("GET")) {
                refused.add(path + ": no such script");
                send(exchange, 404, "text/plain", "not found");
                return;
            }
            served.add(path);
            send(exchange, 200, "text/javascript; charset=utf-8", resource(file));
        }
    }

    private void serveIframe(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            String where = exchange.getRequestURI().getPath() + "?" + exchange.getRequestURI().getRawQuery();
            if (!exchange.getRequestURI().getPath().equals(IFRAME_PATH)) {
                refused.add(where + ": no such page");
                send(exchange, 404, "text/plain", "not found");
                return;
            }
            Optional<String> parentFrameUrl = parentFrameUrlOfToken.apply(query.getOrDefault("token", ""));
            if (parentFrameUrl.isEmpty()) {
                refused.add(where + ": the token was not issued by webTokens.create");
                send(exchange, 401, "text/plain", "This token is not valid.");
                return;
            }
            if (!"SELECT".equals(query.get("mode"))) {
                refused.add(where + ": mode is not SELECT");
                send(exchange, 400, "text/plain", "Unknown mode.");
                return;
            }
            served.add(where);
            send(exchange, 200, "text/html; charset=utf-8", resource("search.html")
                    .replace("PARENT_FRAME_URL", literal(parentFrameUrl.get())).replace("APPS", literal(apps)));
        }
    }

    /** A value as a JavaScript literal inside an inline script: JSON with {@code <} escaped, so it cannot end the script. */
    private static String literal(Object value) throws IOException {
        return JSON.writeValueAsString(value).replace("<", "\\u003c");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> values = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int equals = pair.indexOf('=');
                if (equals > 0) {
                    values.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static String resource(String file) {
        try (InputStream in = LocalPlayIframe.class.getResourceAsStream("/play-iframe/" + file)) {
            return new String(requireNonNull(in, file + " is missing from the test resources").readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        scripts.stop(0);
        play.stop(0);
    }
}
