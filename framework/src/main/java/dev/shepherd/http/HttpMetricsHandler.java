package dev.shepherd.http;

import dev.shepherd.metrics.ServerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Times every request by route, method and status ({@code shepherd_http_server_requests_seconds}, with a latency
 * histogram). The route is a template, never the raw path, so the number of series stays bounded whatever paths
 * clients send: the handler that matched the request names it with {@link #route} (the admin API its route
 * template, the device router the plugin endpoint's declared path), the mounts in between name their own prefix, and
 * a request no one named is counted as {@value #UNMATCHED}. Timers are cached, so a request costs a map lookup.
 */
public final class HttpMetricsHandler implements HttpHandler {

    /** The route label of a request no handler claimed. */
    public static final String UNMATCHED = "unmatched";
    private static final AttachmentKey<String> ROUTE = AttachmentKey.create(String.class);
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private record Series(String route, String method, int status) {
    }

    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final HttpHandler next;

    public HttpMetricsHandler(MeterRegistry registry, HttpHandler next) {
        this.registry = requireNonNull(registry, "registry is null");
        this.next = requireNonNull(next, "next is null");
    }

    /**
     * Names the route an exchange is served by; the innermost handler that knows it calls this last and wins.
     *
     * @param template a path template with a bounded number of values, such as {@code /api/v1/devices/{id}}
     */
    public static void route(HttpServerExchange exchange, String template) {
        exchange.putAttachment(ROUTE, requireNonNull(template, "template is null"));
    }

    /** Wraps a mounted handler so that what it serves is counted under its mount unless it names a finer route. */
    public static HttpHandler mounted(String template, HttpHandler handler) {
        requireNonNull(template, "template is null");
        requireNonNull(handler, "handler is null");
        return exchange -> {
            if (exchange.getAttachment(ROUTE) == null) {
                route(exchange, template);
            }
            handler.handleRequest(exchange);
        };
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        long start = System.nanoTime();
        exchange.addExchangeCompleteListener((done, nextListener) -> {
            try {
                record(done, System.nanoTime() - start);
            } finally {
                nextListener.proceed();
            }
        });
        next.handleRequest(exchange);
    }

    private void record(HttpServerExchange exchange, long nanos) {
        String route = exchange.getAttachment(ROUTE);
        String method = exchange.getRequestMethod().toString();
        Series series = new Series(route == null ? UNMATCHED : route, METHODS.contains(method) ? method : "OTHER",
                exchange.getStatusCode());
        timers.computeIfAbsent(series, key -> Timer.builder("shepherd.http.server.requests")
                .description("HTTP requests by route template, method and status")
                .tag("route", key.route())
                .tag("method", key.method())
                .tag("status", Integer.toString(key.status()))
                .serviceLevelObjectives(ServerMetrics.LATENCY_BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }
}
