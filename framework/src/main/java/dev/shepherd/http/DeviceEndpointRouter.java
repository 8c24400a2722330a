package dev.shepherd.http;

import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginCallException;
import dev.shepherd.metrics.ServerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.SSLSessionInfo;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.util.Objects.requireNonNull;

/**
 * Serves {@code /mdm/{pluginId}/...}: finds the plugin's endpoint with the longest matching path prefix,
 * bounds and reads the body, and calls the plugin through its guard. Mounts appear and disappear with the
 * plugin's registrations.
 */
public final class DeviceEndpointRouter implements HttpHandler, ExtensionRegistry.Listener {

    public static final String MOUNT = "/mdm";
    private static final Logger log = LoggerFactory.getLogger(DeviceEndpointRouter.class);

    private record Mount(ExtensionRegistry.Registration<DeviceEndpoint> registration, String path, int maxBodyBytes) {
    }

    /** Root paths the kernel serves itself; no plugin may claim a well-known path under them. */
    private static final List<String> RESERVED = List.of("/api", MOUNT, "/scep", "/enroll", "/health", "/ui", "/metrics", "/portal");

    private final Map<String, CopyOnWriteArrayList<Mount>> mountsByPlugin = new ConcurrentHashMap<>();
    /**
     * Claims on each root path in order. The first answers; when it answers 404 ("not mine") the first claim of each
     * other plugin is asked in turn, so plugins sharing a discovery path (Apple's account-driven enrollment, one per
     * platform) each answer for their own devices. The first answer other than 404 is sent, else the first 404.
     */
    private final Map<String, List<Mount>> wellKnown = new ConcurrentHashMap<>();
    private final HttpIo io;
    private final TrustedProxies proxies;
    private final MeterRegistry metrics;
    private final Map<MessageSeries, Timer> messageTimers = new ConcurrentHashMap<>();

    /** What became of a device message, the {@code outcome} tag of {@code shepherd_device_messages_seconds}. */
    private enum Outcome {
        ANSWERED, REFUSED, FAILED, UNAVAILABLE, TOO_LARGE, UNREADABLE;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private record MessageSeries(String platform, Outcome outcome) {
    }

    /** @param metrics where device messages are counted and timed, by the plugin that serves them and their outcome */
    public DeviceEndpointRouter(HttpIo io, TrustedProxies proxies, MeterRegistry metrics) {
        this.io = requireNonNull(io, "io is null");
        this.proxies = requireNonNull(proxies, "proxies is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    @Override
    @SuppressWarnings("unchecked")
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != DeviceEndpoint.class) {
            return;
        }
        var endpointRegistration = (ExtensionRegistry.Registration<DeviceEndpoint>) registration;
        DeviceEndpoint endpoint = endpointRegistration.extension();
        try {
            String path = registration.owner().call("DeviceEndpoint.path", endpoint::path);
            int maxBodyBytes = registration.owner().call("DeviceEndpoint.maxBodyBytes", endpoint::maxBodyBytes);
            String normalized = normalizePrefix(path);
            mountsByPlugin.computeIfAbsent(registration.owner().id(), id -> new CopyOnWriteArrayList<>())
                    .add(new Mount(endpointRegistration, normalized, Math.max(0, maxBodyBytes)));
            log.info("Mounted {} of plugin {} at {}/{}{}", endpoint.getClass().getSimpleName(), registration.owner().id(),
                    MOUNT, registration.owner().id(), normalized);
            Mount mount = new Mount(endpointRegistration, normalized, Math.max(0, maxBodyBytes));
            for (String wellKnownPath : registration.owner().call("DeviceEndpoint.wellKnownPaths", endpoint::wellKnownPaths)) {
                claim(wellKnownPath, mount);
            }
        } catch (PluginCallException e) {
            log.warn("Endpoint {} of plugin {} not mounted: {}", endpoint.getClass().getName(), registration.owner().id(), e.getMessage());
        }
    }

    private void claim(String path, Mount mount) {
        String pluginId = mount.registration().owner().id();
        String normalized = normalizePrefix(path).toLowerCase(Locale.ROOT);
        if (normalized.equals("/") || RESERVED.stream().anyMatch(reserved -> matches(reserved, normalized))) {
            log.warn("Plugin {} asked for the root path {}, which the server keeps for itself; not mounted", pluginId, path);
            return;
        }
        List<Mount> claims = wellKnown.computeIfAbsent(normalized, key -> new CopyOnWriteArrayList<>());
        synchronized (claims) {
            // A new generation of the holder takes its place in line; anyone else queues behind.
            int sameplugin = -1;
            for (int i = 0; i < claims.size(); i++) {
                if (claims.get(i).registration().owner().id().equals(pluginId)) {
                    sameplugin = i;
                    break;
                }
            }
            claims.add(sameplugin < 0 ? claims.size() : sameplugin, mount);
            if (claims.get(0) == mount) {
                log.info("Plugin {} answers {} at the server's root", pluginId, normalized);
            } else {
                log.info("Plugin {} asked for the root path {}, which plugin {} answers first; it answers what that plugin does not"
                        + " (404), and takes over if that plugin goes", pluginId, normalized, claims.get(0).registration().owner().id());
            }
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        List<Mount> mounts = mountsByPlugin.get(registration.owner().id());
        if (mounts != null) {
            mounts.removeIf(mount -> mount.registration() == registration);
        }
        wellKnown.values().forEach(claims -> {
            synchronized (claims) {
                claims.removeIf(mount -> mount.registration() == registration);
            }
        });
    }

    /**
     * Serves the root paths plugins claimed ({@link DeviceEndpoint#wellKnownPaths()}), and hands everything else to
     * {@code otherwise}.
     */
    public HttpHandler wellKnownPaths(HttpHandler otherwise) {
        requireNonNull(otherwise, "otherwise is null");
        return exchange -> {
            List<Mount> answering = firstClaimOfEachPlugin(
                    wellKnown.getOrDefault(normalizePrefix(exchange.getRequestPath()).toLowerCase(Locale.ROOT), List.of()));
            if (answering.isEmpty()) {
                otherwise.handleRequest(exchange);
                return;
            }
            Mount mount = answering.get(0);
            List<Mount> others = answering.subList(1, answering.size());
            if (exchange.isInIoThread()) {
                exchange.dispatch(ioThreadExchange -> serve(ioThreadExchange, mount.registration().owner().id(), mount,
                        exchange.getRequestPath(), claimedPath(exchange), others));
            } else {
                serve(exchange, mount.registration().owner().id(), mount, exchange.getRequestPath(), claimedPath(exchange), others);
            }
        };
    }

    /** The claims in order, each plugin's first only (a newer generation of a plugin stands before its older one). */
    private static List<Mount> firstClaimOfEachPlugin(List<Mount> claims) {
        List<Mount> firsts = new ArrayList<>();
        synchronized (claims) {
            for (Mount claim : claims) {
                if (firsts.stream().noneMatch(first -> first.registration().owner().id().equals(claim.registration().owner().id()))) {
                    firsts.add(claim);
                }
            }
        }
        return firsts;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }
        // relative path after "/mdm": "/{pluginId}/rest"
        String relative = exchange.getRelativePath();
        if (relative.isEmpty() || relative.equals("/")) {
            io.sendProblem(exchange, Problem.notFound("Device endpoints live under " + MOUNT + "/{pluginId}/."));
            return;
        }
        int slash = relative.indexOf('/', 1);
        String pluginId = slash < 0 ? relative.substring(1) : relative.substring(1, slash);
        String path = slash < 0 ? "/" : relative.substring(slash);
        Mount mount = find(pluginId, path);
        if (mount == null) {
            io.sendProblem(exchange, Problem.notFound("No plugin endpoint serves " + MOUNT + relative + "."));
            return;
        }
        serve(exchange, pluginId, mount, path, MOUNT + "/" + pluginId + (mount.path().equals("/") ? "" : mount.path()), List.of());
    }

    /**
     * Whether a plugin's device endpoint serves the path now: the enrollment sign-in page hands its one-time code only
     * to such a path of this server ({@code EnrollmentSignInPage}).
     *
     * @param path a full path, {@code /mdm/{pluginId}/...}
     */
    public boolean serves(String path) {
        requireNonNull(path, "path is null");
        if (!path.startsWith(MOUNT + "/")) {
            return false;
        }
        String relative = path.substring(MOUNT.length());
        int slash = relative.indexOf('/', 1);
        return slash > 1 && find(relative.substring(1, slash), relative.substring(slash)) != null;
    }

    /** The root path a plugin claimed, as it was claimed: a bounded route label, whatever the request's case. */
    private static String claimedPath(HttpServerExchange exchange) {
        return normalizePrefix(exchange.getRequestPath()).toLowerCase(Locale.ROOT);
    }

    /**
     * Serves one device message and counts it by platform plugin and outcome.
     *
     * @param route the endpoint's declared path, the request's route label (never the raw path)
     */
    private void serve(HttpServerExchange exchange, String pluginId, Mount mount, String path, String route, List<Mount> others) {
        HttpMetricsHandler.route(exchange, route);
        long start = System.nanoTime();
        Outcome outcome = Outcome.FAILED;
        try {
            outcome = answer(exchange, pluginId, mount, path, others);
        } finally {
            Outcome counted = outcome;
            messageTimers.computeIfAbsent(new MessageSeries(pluginId, counted), series -> Timer.builder("shepherd.device.messages")
                    .description("Device messages by the platform plugin that served them and their outcome")
                    .tag("platform", series.platform())
                    .tag("outcome", series.outcome().tag())
                    .serviceLevelObjectives(ServerMetrics.LATENCY_BUCKETS)
                    .register(metrics)).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** @param others the claims of other plugins on the same root path, asked in turn while the answer is 404 */
    private Outcome answer(HttpServerExchange exchange, String pluginId, Mount mount, String path, List<Mount> others) {
        byte[] body;
        try {
            body = readBody(exchange, mount.maxBodyBytes());
        } catch (RequestTooBigException e) {
            io.sendProblem(exchange, Problem.of(413, "payload-too-large", "Payload too large",
                    "This endpoint accepts at most " + mount.maxBodyBytes() + " bytes."));
            return Outcome.TOO_LARGE;
        } catch (IOException e) {
            io.sendProblem(exchange, Problem.of(400, "unreadable-body", "Unreadable body", "The request body could not be read."));
            return Outcome.UNREADABLE;
        }
        DeviceRequest request = new DeviceRequest(exchange.getRequestMethod().toString(), path, query(exchange),
                headers(exchange), body, clientCertificates(exchange), remoteAddress(exchange));
        DeviceResponse response;
        try {
            response = call(mount, request);
        } catch (PluginCallException refused) {
            // During an upgrade the old generation refuses calls once it starts stopping; by then the new one is
            // mounted, so the request goes there instead of failing.
            Mount current = refused.overloaded() ? successor(pluginId, mount) : null;
            try {
                if (current == null) {
                    throw refused;
                }
                response = call(current, request);
            } catch (PluginCallException e) {
                sendFailure(exchange, pluginId, e);
                return switch (e.kind()) {
                    case REFUSED -> Outcome.REFUSED;
                    case FAILED -> Outcome.FAILED;
                    case BUSY, OUT_OF_SERVICE -> Outcome.UNAVAILABLE;
                };
            }
        }
        response = askOthersWhileNotFound(response, request, others);
        if (response == null) {
            io.sendProblem(exchange, Problem.of(500, "plugin-failed", "Plugin failed",
                    "Plugin " + pluginId + " returned no response."));
            return Outcome.FAILED;
        }
        try {
            PluginResponses.send(exchange, response);
        } catch (IOException e) {
            log.warn("The answer of plugin {} to {} could not be sent: {}", pluginId, path, e.getMessage());
            if (exchange.isResponseStarted()) {
                exchange.setPersistent(false);
                exchange.endExchange();
            } else {
                io.sendProblem(exchange, Problem.of(500, "plugin-failed", "Plugin failed",
                        "Plugin " + pluginId + "'s answer could not be sent; the failure is logged on the server."));
            }
            return Outcome.FAILED;
        }
        return Outcome.ANSWERED;
    }

    /**
     * A root path's first claimant answered 404: the next plugin that claimed it is asked, and so on; the first answer
     * other than 404 wins. A plugin that fails or is busy is passed over (it is logged), as if it had answered 404.
     */
    private DeviceResponse askOthersWhileNotFound(DeviceResponse response, DeviceRequest request, List<Mount> others) {
        if (response == null || response.status() != 404) {
            return response;
        }
        for (Mount other : others) {
            if (request.body().length > other.maxBodyBytes()) {
                continue;
            }
            try {
                DeviceResponse theirs = call(other, request);
                if (theirs != null && theirs.status() != 404) {
                    return theirs;
                }
            } catch (PluginCallException e) {
                log.warn("Plugin {} did not answer {} after another plugin's 404: {}", other.registration().owner().id(), request.path(),
                        e.getMessage());
            }
        }
        return response;
    }

    private static DeviceResponse call(Mount mount, DeviceRequest request) throws PluginCallException {
        DeviceEndpoint endpoint = mount.registration().extension();
        return mount.registration().owner().call("DeviceEndpoint.handle", () -> endpoint.handle(request));
    }

    /**
     * Answers a request the plugin did not: its own 4xx refusal, a 500 when it failed (the stack trace is in the log,
     * never in the answer), a 503 with {@code Retry-After} when it is busy or out of service.
     */
    private void sendFailure(HttpServerExchange exchange, String pluginId, PluginCallException e) {
        switch (e.kind()) {
            case REFUSED -> io.sendProblem(exchange, Problem.of(e.status(), "request-refused", "Request refused", e.getMessage()));
            case FAILED -> io.sendProblem(exchange, Problem.of(500, "plugin-failed", "Plugin failed",
                    "Plugin " + pluginId + " failed while handling this request; the failure is logged on the server."));
            case BUSY, OUT_OF_SERVICE -> {
                long seconds = Math.max(1, e.retryAfter().map(Duration::toSeconds).orElse(1L));
                exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(seconds));
                io.sendProblem(exchange, Problem.of(503, "plugin-unavailable", "Plugin unavailable",
                        "Plugin " + pluginId + (e.kind() == PluginCallException.Kind.BUSY ? " cannot take this request now"
                                : " is out of service after repeated failures") + "; retry later."));
            }
        }
    }

    /** Another generation's mount of the same path, as exists while a plugin is being upgraded. */
    private Mount successor(String pluginId, Mount refused) {
        List<Mount> mounts = mountsByPlugin.get(pluginId);
        return mounts == null ? null : mounts.stream()
                .filter(mount -> mount != refused && mount.path().equals(refused.path())
                        && mount.registration().owner() != refused.registration().owner())
                .findFirst().orElse(null);
    }

    /** The longest matching prefix; of equal ones the newest, so an upgrade moves traffic to the new generation. */
    private Mount find(String pluginId, String path) {
        List<Mount> mounts = mountsByPlugin.get(pluginId);
        if (mounts == null) {
            return null;
        }
        Mount best = null;
        for (Mount mount : mounts) {
            if (matches(mount.path(), path) && (best == null || mount.path().length() >= best.path().length())) {
                best = mount;
            }
        }
        return best;
    }

    private static boolean matches(String prefix, String path) {
        if (prefix.equals("/")) {
            return true;
        }
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static String normalizePrefix(String path) {
        if (path == null || path.isBlank()) {
            return "/";
        }
        String withSlash = path.startsWith("/") ? path : "/" + path;
        return withSlash.length() > 1 && withSlash.endsWith("/") ? withSlash.substring(0, withSlash.length() - 1) : withSlash;
    }

    private static byte[] readBody(HttpServerExchange exchange, int maxBodyBytes) throws IOException {
        return HttpIo.readBounded(exchange, maxBodyBytes).orElseThrow(RequestTooBigException::new);
    }

    private static Map<String, List<String>> query(HttpServerExchange exchange) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (Map.Entry<String, Deque<String>> parameter : exchange.getQueryParameters().entrySet()) {
            query.put(parameter.getKey(), List.copyOf(parameter.getValue()));
        }
        return query;
    }

    private static Map<String, List<String>> headers(HttpServerExchange exchange) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            headers.computeIfAbsent(values.getHeaderName().toString(), name -> new ArrayList<>()).addAll(values);
        }
        return headers;
    }

    /**
     * The TLS client certificate chain, or else the one a trusted proxy that terminated TLS passed on (RFC 9440),
     * judged by the TCP peer address.
     */
    private List<X509Certificate> clientCertificates(HttpServerExchange exchange) {
        List<X509Certificate> chain = new ArrayList<>();
        SSLSessionInfo ssl = exchange.getConnection().getSslSessionInfo();
        if (ssl != null) {
            try {
                for (Certificate certificate : ssl.getPeerCertificates()) {
                    if (certificate instanceof X509Certificate x509) {
                        chain.add(x509);
                    }
                }
            } catch (Exception noCertificate) {
                chain.clear();
            }
        }
        if (!chain.isEmpty()) {
            return chain;
        }
        SocketAddress peer = exchange.getConnection().getPeerAddress();
        return proxies.forwardedChain(peer instanceof InetSocketAddress socket ? socket.getAddress() : null,
                Optional.ofNullable(exchange.getRequestHeaders().getFirst("Client-Cert")),
                Optional.ofNullable(exchange.getRequestHeaders().getFirst("Client-Cert-Chain")));
    }

    private static String remoteAddress(HttpServerExchange exchange) {
        InetSocketAddress address = exchange.getSourceAddress();
        return address == null ? "" : address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
    }
}
