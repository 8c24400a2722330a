package dev.shepherd.metrics;

import dev.shepherd.http.HealthHandler;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import io.undertow.Undertow;
import io.undertow.server.handlers.PathHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

import static java.util.Objects.requireNonNull;

/**
 * The optional metrics listener ({@code metrics.port}, off by default; bound to {@code metrics.host}, loopback by
 * default): {@code /metrics} without authentication for a Prometheus scraper, and the health probes, on a port the
 * operator keeps off the public network. It serves nothing else: no admin API, no device endpoints.
 */
public final class MetricsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    private final Undertow undertow;

    public MetricsServer(String host, int port, MetricsEndpoint metrics, HealthHandler health, HttpIo io) {
        requireNonNull(host, "host is null");
        requireNonNull(metrics, "metrics is null");
        requireNonNull(health, "health is null");
        requireNonNull(io, "io is null");
        PathHandler paths = new PathHandler()
                .addExactPath(MetricsEndpoint.PATH, metrics.unauthenticated())
                .addExactPath("/health/live", health.live())
                .addExactPath("/health/ready", health.ready())
                .addPrefixPath("/", exchange -> io.sendProblem(exchange,
                        Problem.notFound("The metrics listener serves " + MetricsEndpoint.PATH + ", /health/live and /health/ready only.")));
        this.undertow = Undertow.builder().addHttpListener(port, host).setHandler(paths).build();
    }

    public void start() {
        undertow.start();
        log.info("Metrics listener on http://{}:{}{} (no authentication: keep it off public networks)",
                ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getHostString(), port(), MetricsEndpoint.PATH);
    }

    /** @return the bound port, useful when configured as 0 */
    public int port() {
        return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
