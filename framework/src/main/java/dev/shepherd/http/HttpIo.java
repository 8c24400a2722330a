package dev.shepherd.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;

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
