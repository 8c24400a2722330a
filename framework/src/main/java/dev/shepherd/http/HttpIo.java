package dev.shepherd.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.InputStream;

import java.nio.ByteBuffer;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Writes JSON and problem responses the same way everywhere. */
public final class HttpIo {

    private final ObjectMapper json;

    public HttpIo(ObjectMapper json) {
        this.json = requireNonNull(json, "json is null");
    }

    public ObjectMapper json() {
        return json;
    }

    /**
     * Reads a request body of at most {@code limit} bytes, whether its length is declared or it comes in chunks.
     * Undertow's own entity limit drops the connection without a word when a chunked body passes it, so the limit is
     * kept here (below Undertow's, see {@link HttpServer}) and the caller answers 413; a body too large is not read
     * further (not even drained): the connection closes after the answer.
     *
     * @return the body, or empty when it is larger than the limit
     */
    public static Optional<byte[]> readBounded(HttpServerExchange exchange, long limit) throws IOException {
        if (exchange.getRequestContentLength() > limit) {
            exchange.setPersistent(false);
            return Optional.empty();
        }
        if (!exchange.isBlocking()) {
            exchange.startBlocking();
        }
        InputStream in = exchange.getInputStream();
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (body.length > limit) {
            exchange.setPersistent(false);
            return Optional.empty();
        }
        in.close();
        return Optional.of(body);
    }

    public void sendJson(HttpServerExchange exchange, int status, Object body) {
        send(exchange, status, "application/json", body);
    }

    public void sendProblem(HttpServerExchange exchange, Problem problem) {
        send(exchange, problem.status(), Problem.MEDIA_TYPE, problem);
    }

    private void send(HttpServerExchange exchange, int status, String contentType, Object body) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response body cannot be written as JSON", e);
        }
        exchange.setStatusCode(status);
        if (status == 429 && !exchange.getResponseHeaders().contains(Headers.RETRY_AFTER)) {
            // Every 429 says when to come back; a caller that set no better figure gets a minute.
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "60");
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }
}
