package dev.shepherd.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps other sites from acting through an admin's browser. A browser attaches cached credentials (a cookie, HTTP
 * Basic) to requests another page makes, and sends some of those without asking the server first: a form post or a
 * {@code fetch} with a "simple" body type. So a change (any method but GET, HEAD, OPTIONS) is refused when the
 * browser says it comes from another site ({@code Sec-Fetch-Site: cross-site} or {@code same-site}, or an
 * {@code Origin} other than this server), and a body must declare a type no cross-site form can send
 * ({@code text/plain}, {@code application/x-www-form-urlencoded} and {@code multipart/form-data} are refused; JSON
 * routes further require JSON, see {@link ApiRequest#body}). Scripts send no {@code Origin} and are unaffected.
 */
final class CrossSiteGuard {

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    /** The body types a page on another site can send without a CORS preflight (the CORS-safelisted ones). */
    private static final Set<String> FORM_TYPES = Set.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data");

    private CrossSiteGuard() {
    }

    /**
     * @param publicUrl the server's public base URL, whose origin is this server's too (behind a proxy that rewrites
     *                  the Host header, the browser's Origin matches it rather than the Host the server sees)
     * @return the problem to answer with when the request is a change the browser says another site made
     */
    static Optional<Problem> foreignSite(HttpServerExchange exchange, String publicUrl) {
        if (SAFE_METHODS.contains(exchange.getRequestMethod().toString())) {
            return Optional.empty();
        }
        String fetchSite = exchange.getRequestHeaders().getFirst("Sec-Fetch-Site");
        if (fetchSite != null && (fetchSite.equalsIgnoreCase("cross-site") || fetchSite.equalsIgnoreCase("same-site"))) {
            return Optional.of(crossSite("The browser says this request comes from another site (Sec-Fetch-Site: " + fetchSite + ")."));
        }
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin != null && !sameOrigin(origin, exchange.getRequestHeaders().getFirst(Headers.HOST)) && !sameOrigin(origin, authority(publicUrl))) {
            return Optional.of(crossSite("Changes are accepted only from this server's own pages, not from " + printable(origin) + "."));
        }
        return Optional.empty();
    }

    /** @return the problem to answer with when a change's body has a type a page on another site could send */
    static Optional<Problem> formBody(HttpServerExchange exchange) {
        if (!SAFE_METHODS.contains(exchange.getRequestMethod().toString()) && hasBody(exchange)) {
            String type = mediaType(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
            if (type.isEmpty() || FORM_TYPES.contains(type)) {
                return Optional.of(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                        "A request body must declare its type with Content-Type, and not as " + (type.isEmpty() ? "nothing" : type)
                                + " (a type any web page could send): use application/json, or the upload's own type."));
            }
        }
        return Optional.empty();
    }

    /** @return the media type without parameters, lower case; empty when absent */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean hasBody(HttpServerExchange exchange) {
        return exchange.getRequestContentLength() > 0 || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
    }

    /** The origin's host and port against the Host header's; a missing port is the scheme's default on either side. */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null || origin.equals("null")) {
            return false;
        }
        try {
            URI from = new URI(origin);
            URI to = new URI("//" + host);
            if (from.getHost() == null || to.getHost() == null || !from.getHost().equalsIgnoreCase(to.getHost())) {
                return false;
            }
            int defaultPort = "https".equalsIgnoreCase(from.getScheme()) ? 443 : 80;
            int fromPort = from.getPort() < 0 ? defaultPort : from.getPort();
            // Behind a TLS-terminating proxy the Host header may omit the port the browser used.
            return to.getPort() < 0 || to.getPort() == fromPort;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The host and port of a base URL, with the scheme's default port made explicit; null when it has none. */
    private static String authority(String url) {
        try {
            URI uri = new URI(url);
            if (uri.getHost() == null) {
                return null;
            }
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return uri.getHost() + ":" + port;
        } catch (URISyntaxException | NullPointerException e) {
            return null;
        }
    }

    private static Problem crossSite(String detail) {
        return Problem.of(403, "cross-site", "Cross-site request refused", detail);
    }

    private static String printable(String text) {
        String clipped = text.length() > 100 ? text.substring(0, 100) + "…" : text;
        return clipped.replaceAll("\\p{Cntrl}", "?");
    }
}
