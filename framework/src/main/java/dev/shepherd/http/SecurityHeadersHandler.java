package dev.shepherd.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import static java.util.Objects.requireNonNull;

/** Adds the response headers every Shepherd response carries. */
final class SecurityHeadersHandler implements HttpHandler {

    private static final HttpString NOSNIFF = new HttpString("X-Content-Type-Options");
    private static final HttpString FRAME_OPTIONS = new HttpString("X-Frame-Options");
    private static final HttpString REFERRER_POLICY = new HttpString("Referrer-Policy");

    private final HttpHandler next;

    SecurityHeadersHandler(HttpHandler next) {
        this.next = requireNonNull(next, "next is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        exchange.getResponseHeaders().put(NOSNIFF, "nosniff");
        exchange.getResponseHeaders().put(FRAME_OPTIONS, "DENY");
        exchange.getResponseHeaders().put(REFERRER_POLICY, "no-referrer");
        next.handleRequest(exchange);
    }
}
