package dev.shepherd.testing;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.server.ShepherdServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * A real Shepherd server for tests: its store in a temporary directory (embedded Derby) or a database of its own on
 * the test PostgreSQL ({@link TestStore}), HTTP on a free loopback port,
 * a fast plugin scan, and a bootstrap admin. Everything else is the production wiring.
 */
public final class TestServer implements AutoCloseable {

    public static final String ADMIN = "admin";
    public static final String ADMIN_PASSWORD = "test-admin-password";

    private final Path home;
    private final ShepherdServer server;
    private final StoreUse storeUse;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Path home, ShepherdServer server, StoreUse storeUse) {
        this.home = home;
        this.server = server;
        this.storeUse = storeUse;
    }

    public static TestServer start(Path home) {
        return start(home, Map.of());
    }

    /**
     * @param home the installation directory (its {@code plugins/} and {@code data/} are used)
     * @param environment extra SHEPHERD_* settings, overriding the test defaults
     */
    public static TestServer start(Path home, Map<String, String> environment) {
        return start(home, environment, Clock.systemUTC());
    }

    /**
     * @param clock the clock the kernel and the plugins go by, such as a {@link TestClock} the test moves
     */
    public static TestServer start(Path home, Map<String, String> environment, Clock clock) {
        Map<String, String> env = new HashMap<>(Map.of(
                "SHEPHERD_HTTP_HOST", "127.0.0.1",
                "SHEPHERD_HTTP_PORT", "0",
                "SHEPHERD_HTTPS_PORT", "-1",
                "SHEPHERD_PLUGINS_SCAN_INTERVAL", "200ms",
                // Long enough that a busy CI machine never fails a well-behaved plugin; tests of hanging plugins set less.
                "SHEPHERD_PLUGINS_CALL_TIMEOUT", "20s",
                "SHEPHERD_BOOTSTRAP_ADMIN_USER", ADMIN,
                "SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD,
                // Tests call the API as scripts do, with Basic; it is off by default (tests of that default set false).
                "SHEPHERD_SECURITY_BASIC_AUTH", "true"));
        env.putAll(TestStore.environment(home));
        env.putAll(environment);
        ShepherdConfig config = new ConfigLoader(env).load(home, home.resolve("conf/shepherd.yaml"));
        TestStore.seedDerbyStore(config);
        StoreUse storeUse = new StoreUse();
        return new TestServer(home, ShepherdServer.start(config, clock, storeUse::around), storeUse);
    }

    public ShepherdServer server() {
        return server;
    }

    /** What the server's threads have asked of its store: statements, commits and connections, by thread. */
    public StoreUse storeUse() {
        return storeUse;
    }

    public Path pluginsDir() {
        return server.config().pluginsDir();
    }

    public Path home() {
        return home;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    public HttpResponse<String> getAsAdmin(String path) {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", basic(ADMIN, ADMIN_PASSWORD)).GET().build());
    }

    /** Sends a request as the built-in admin, with a JSON body unless {@code jsonBody} is null or empty. */
    public HttpResponse<String> sendAsAdmin(String method, String path, String jsonBody) {
        boolean hasBody = jsonBody != null && !jsonBody.isEmpty();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Authorization", basic(ADMIN, ADMIN_PASSWORD))
                .method(method, hasBody ? HttpRequest.BodyPublishers.ofString(jsonBody) : HttpRequest.BodyPublishers.noBody());
        if (hasBody) {
            request.header("Content-Type", "application/json");
        }
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        return send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends a request, reading the answer's body with the given handler (as bytes, as a stream). */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> bodyHandler) {
        try {
            return http.send(request, bodyHandler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Replaces a plugin file the way operators do: write beside it, then rename over it. */
    public static void replace(Path target, Path newContent) {
        try {
            Path staging = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.copy(newContent, staging);
            Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
