package dev.shepherd.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import static java.util.Objects.requireNonNull;

/**
 * Refuses an overlong request target (path and query) with a problem document before anything routes on it. A
 * request Undertow's parser cannot read at all — a malformed percent-escape such as {@code %zz}, or a request head
 * beyond the listener's 64 KiB header limit — never reaches a handler: Undertow answers it with a bare 400 and closes
 * the connection, and offers no hook to change that answer.
 */
final class RequestTargetHandler implements HttpHandler {

    static final int MAX_TARGET_CHARS = 16 * 1024;

    private final HttpHandler next;
    private final HttpIo io;

    RequestTargetHandler(HttpHandler next, HttpIo io) {
        this.next = requireNonNull(next, "next is null");
        this.io = requireNonNull(io, "io is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String query = exchange.getQueryString();
        if (exchange.getRequestURI().length() + (query == null ? 0 : query.length()) > MAX_TARGET_CHARS) {
            io.sendProblem(exchange, Problem.of(414, "uri-too-long", "URI too long",
                    "The path and query may be at most " + MAX_TARGET_CHARS + " characters long."));
            return;
        }
        next.handleRequest(exchange);
    }
}
