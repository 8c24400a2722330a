package dev.shepherd.pki;

import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Deque;

import static java.util.Objects.requireNonNull;

/** {@code /scep}: the SCEP HTTP binding (RFC 8894 section 4): operations by query parameter, messages by POST or GET. */
public final class ScepHandler implements HttpHandler {

    private static final int MAX_MESSAGE_BYTES = 64 * 1024;

    private final ScepService scep;
    private final HttpIo io;

    public ScepHandler(ScepService scep, HttpIo io) {
        this.scep = requireNonNull(scep, "scep is null");
        this.io = requireNonNull(io, "io is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }
        String operation = first(exchange, "operation");
        if (operation == null) {
            io.sendProblem(exchange, Problem.badRequest("SCEP requests name an operation: GetCACaps, GetCACert or PKIOperation."));
            return;
        }
        switch (operation) {
            case "GetCACaps" -> send(exchange, "text/plain", ScepService.CAPABILITIES.getBytes(StandardCharsets.US_ASCII));
            case "GetCACert" -> send(exchange, "application/x-x509-ca-cert", scep.caCertificate());
            case "PKIOperation" -> {
                byte[] message;
                if (exchange.getRequestMethod().toString().equals("POST")) {
                    message = body(exchange);
                    if (message == null) {
                        io.sendProblem(exchange, Problem.of(413, "payload-too-large", "Payload too large", "SCEP messages are at most 64 KiB."));
                        return;
                    }
                } else {
                    String encoded = first(exchange, "message");
                    try {
                        message = encoded == null ? new byte[0] : Base64.getDecoder().decode(encoded.replace(' ', '+'));
                    } catch (IllegalArgumentException e) {
                        io.sendProblem(exchange, Problem.badRequest("the message parameter is not base64"));
                        return;
                    }
                }
                try {
                    send(exchange, "application/x-pki-message", scep.pkiOperation(message));
                } catch (IllegalArgumentException e) {
                    io.sendProblem(exchange, Problem.badRequest(e.getMessage()));
                }
            }
            default -> io.sendProblem(exchange, Problem.badRequest("unknown SCEP operation '" + operation + "'"));
        }
    }

    private static byte[] body(HttpServerExchange exchange) throws IOException {
        if (exchange.getRequestContentLength() > MAX_MESSAGE_BYTES) {
            return null;
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(MAX_MESSAGE_BYTES + 1);
            return body.length > MAX_MESSAGE_BYTES ? null : body;
        }
    }

    private static String first(HttpServerExchange exchange, String name) {
        Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.peekFirst();
    }

    private static void send(HttpServerExchange exchange, String contentType, byte[] body) {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }
}
