package dev.shepherd.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.IntSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Sends browsers from plain HTTP to HTTPS for the pages where an admin types or carries a password: the console
 * ({@code /} and {@code /ui/…}), the API documentation and the API's sign-in; and the self-service portal
 * ({@code /portal…}), where a device's user does. A 308 keeps the method and body, so a
 * sign-in posted over HTTP is repeated over HTTPS rather than answered in the clear. Devices, SCEP and enrollment
 * links are left alone: they protect themselves (signed messages, certificates) and some clients only speak HTTP.
 * By default a request that arrived on a loopback address (local development, the README's first run) is served as
 * it is; {@code http.redirectToHttps} makes the choice explicit either way.
 */
final class HttpsRedirectHandler implements HttpHandler {

    static final String SIGN_IN = "/api/v1/auth/login";

    private final HttpHandler next;
    private final Optional<Boolean> redirect;
    private final IntSupplier httpsPort;

    /**
     * @param redirect true to always redirect, false never, empty to redirect unless the request came in on loopback
     * @param httpsPort the HTTPS listener's bound port
     */
    HttpsRedirectHandler(HttpHandler next, Optional<Boolean> redirect, IntSupplier httpsPort) {
        this.next = requireNonNull(next, "next is null");
        this.redirect = requireNonNull(redirect, "redirect is null");
        this.httpsPort = requireNonNull(httpsPort, "httpsPort is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!exchange.isSecure() && forAdmins(exchange.getRequestPath()) && redirect.orElseGet(() -> !loopback(exchange))) {
            int port = httpsPort.getAsInt();
            if (port > 0) {
                String host = exchange.getHostName();
                if (host.contains(":") && !host.startsWith("[")) {
                    host = "[" + host + "]";
                }
                String query = exchange.getQueryString();
                exchange.setStatusCode(308);
                exchange.getResponseHeaders().put(Headers.LOCATION, "https://" + host + (port == 443 ? "" : ":" + port)
                        + exchange.getRequestURI() + (query == null || query.isEmpty() ? "" : "?" + query));
                exchange.endExchange();
                return;
            }
        }
        next.handleRequest(exchange);
    }

    private static boolean forAdmins(String path) {
        return path.equals("/") || path.equals("/ui") || path.startsWith("/ui/") || path.equals(SIGN_IN)
                || path.equals("/api/docs") || path.startsWith("/api/docs/") || path.equals("/portal") || path.startsWith("/portal/");
    }

    private static boolean loopback(HttpServerExchange exchange) {
        InetSocketAddress local = exchange.getDestinationAddress();
        return local != null && local.getAddress() != null && local.getAddress().isLoopbackAddress();
    }
}
