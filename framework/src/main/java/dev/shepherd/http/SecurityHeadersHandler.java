package dev.shepherd.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import static java.util.Objects.requireNonNull;

/**
 * Adds the response headers every Shepherd response carries. The Content-Security-Policy
 * ({@link ContentSecurityPolicy#STRICT}) allows scripts and styles from this server's own files only (no inline script
 * or style, no eval), so an injected string in a device name or an audit entry cannot run in an admin's browser;
 * images may also be {@code data:} URLs (enrollment pages embed their QR codes). A handler that needs a looser policy
 * replaces the header for its own responses, as the console document does for the origins plugin pages declare. Answers over
 * HTTPS carry HSTS, so a browser that has reached the server securely never falls back to plain HTTP for it.
 */
final class SecurityHeadersHandler implements HttpHandler {

    private static final HttpString NOSNIFF = new HttpString("X-Content-Type-Options");
    private static final HttpString FRAME_OPTIONS = new HttpString("X-Frame-Options");
    private static final HttpString REFERRER_POLICY = new HttpString("Referrer-Policy");
    private static final HttpString CONTENT_SECURITY_POLICY = new HttpString(ContentSecurityPolicy.HEADER);
    private static final HttpString STRICT_TRANSPORT_SECURITY = new HttpString("Strict-Transport-Security");
    /** A year; no includeSubDomains, because the server cannot speak for other hosts of its domain. */
    static final String HSTS = "max-age=31536000";
    static final String POLICY = ContentSecurityPolicy.STRICT;

    private final HttpHandler next;

    SecurityHeadersHandler(HttpHandler next) {
        this.next = requireNonNull(next, "next is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        exchange.getResponseHeaders().put(NOSNIFF, "nosniff");
        exchange.getResponseHeaders().put(FRAME_OPTIONS, "DENY");
        exchange.getResponseHeaders().put(REFERRER_POLICY, "no-referrer");
        exchange.getResponseHeaders().put(CONTENT_SECURITY_POLICY, POLICY);
        if (exchange.isSecure()) {
            exchange.getResponseHeaders().put(STRICT_TRANSPORT_SECURITY, HSTS);
        }
        next.handleRequest(exchange);
    }
}
