package dev.shepherd.http;

import dev.shepherd.config.ShepherdConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.shepherd.security.TlsMaterial;
import org.xnio.Options;
import org.xnio.Sequence;
import org.xnio.SslClientAuthMode;

import javax.net.ssl.SSLContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The Undertow server: HTTP and HTTPS listeners over one handler tree, with graceful shutdown. */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private static final long ENTITY_LIMIT_SLACK = 1024 * 1024;

    private final Undertow undertow;
    private final GracefulShutdownHandler graceful;
    private final boolean httpEnabled;
    private final boolean httpsEnabled;

    /**
     * @param metrics where every request is timed by route and status ({@link HttpMetricsHandler}), redirects to HTTPS
     *                and requests refused before routing included
     */
    public HttpServer(ShepherdConfig config, Optional<SSLContext> tls, HttpHandler routes, HttpIo io, MeterRegistry metrics) {
        requireNonNull(config, "config is null");
        HttpHandler root = new HttpMetricsHandler(metrics, new SecurityHeadersHandler(new RequestTargetHandler(
                new HttpsRedirectHandler(routes, config.http().redirectToHttps(), this::httpsPort), io)));
        this.graceful = new GracefulShutdownHandler(root);
        Undertow.Builder builder = Undertow.builder()
                // Handlers bound their bodies themselves (HttpIo.readBounded) and answer 413; Undertow's own limit, which
                // drops a chunked request without an answer, sits just above so that it never fires first.
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, config.http().maxRequestBytes() + ENTITY_LIMIT_SLACK)
                .setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) Duration.ofSeconds(30).toMillis())
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, (int) Duration.ofMinutes(2).toMillis())
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 64 * 1024)
                .setHandler(graceful);
        httpEnabled = config.http().port() >= 0;
        httpsEnabled = config.https().port() >= 0 && tls.isPresent();
        if (httpEnabled) {
            builder.addHttpListener(config.http().port(), config.http().host());
        }
        if (httpsEnabled) {
            builder.addHttpsListener(config.https().port(), config.http().host(), tls.get());
            builder.setSocketOption(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUESTED);
            builder.setSocketOption(Options.SSL_ENABLED_PROTOCOLS, Sequence.of(TlsMaterial.PROTOCOLS));
            builder.setSocketOption(Options.SSL_ENABLED_CIPHER_SUITES, Sequence.of(TlsMaterial.cipherSuites(tls.get())));
        }
        if (!httpEnabled && !httpsEnabled) {
            throw new IllegalStateException("both http.port and https.port are disabled; enable at least one");
        }
        this.undertow = builder.build();
    }

    public void start() {
        undertow.start();
        for (Undertow.ListenerInfo listener : undertow.getListenerInfo()) {
            log.info("Listening on {}://{}", listener.getProtcol(), hostAndPort((InetSocketAddress) listener.getAddress()));
        }
    }

    /** @return the bound HTTP port, useful when configured as 0 */
    public int httpPort() {
        return port("http");
    }

    /** @return the bound HTTPS port, useful when configured as 0 */
    public int httpsPort() {
        return port("https");
    }

    private int port(String protocol) {
        return undertow.getListenerInfo().stream().filter(listener -> listener.getProtcol().equals(protocol))
                .map(listener -> ((InetSocketAddress) listener.getAddress()).getPort()).findFirst().orElse(-1);
    }

    private static String hostAndPort(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    /** Stops taking new requests, lets those in flight finish for up to ten seconds, then stops. */
    @Override
    public void close() {
        graceful.shutdown();
        try {
            if (!graceful.awaitShutdown(Duration.ofSeconds(10).toMillis())) {
                log.warn("Requests still in flight after 10 s; stopping anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        undertow.stop();
    }
}
