package dev.shepherd.metrics;

import dev.shepherd.http.AdminRoute;
import dev.shepherd.security.Permission;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /metrics}: every series in the Prometheus text format. On the server's own listeners it is an admin
 * route like any other, so it needs a credential and the {@code metrics_read} permission (a scraper uses an API
 * token); on the optional metrics listener ({@code metrics.port}, loopback by default) it is served as is.
 */
public final class MetricsEndpoint {

    /** The route's path. */
    public static final String PATH = "/metrics";
    /** The Prometheus text exposition format Micrometer writes. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerMetrics metrics;

    public MetricsEndpoint(ServerMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    /** @return the admin route: authenticated and authorised by the admin API's router */
    public AdminRoute route() {
        return AdminRoute.get(PATH, Permission.METRICS_READ).tag("operations")
                .summary("Metrics in the Prometheus text format (every series tagged with the node)")
                .returns(String.class)
                .handle(request -> {
                    send(request.exchange());
                    return null;
                });
    }

    /** @return the unauthenticated handler, for the metrics listener only */
    public HttpHandler unauthenticated() {
        return exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(this::send); // gauges read from the store may block
                return;
            }
            send(exchange);
        };
    }

    private void send(HttpServerExchange exchange) {
        String body = metrics.scrape();
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseSender().send(body);
    }
}
