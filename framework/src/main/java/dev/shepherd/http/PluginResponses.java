package dev.shepherd.http;

import dev.shepherd.api.http.DeviceResponse;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/** Sends what a plugin's device or admin endpoint answered: a body in memory, or a file region streamed from disk. */
public final class PluginResponses {

    private static final int BUFFER_BYTES = 64 * 1024;

    private PluginResponses() {
    }

    /**
     * Sends a response. A file body is opened before anything is sent and copied through a bounded buffer with its
     * {@code Content-Length} (on the calling worker thread, which must be one); a {@code HEAD} request gets the
     * headers only.
     *
     * @throws IOException when the file cannot be opened or is shorter than the region (nothing was sent yet, see
     *         {@link HttpServerExchange#isResponseStarted()}), or when sending fails midway (the response is cut off)
     */
    public static void send(HttpServerExchange exchange, DeviceResponse response) throws IOException {
        if (response.fileBody().isEmpty()) {
            headers(exchange, response);
            exchange.getResponseSender().send(ByteBuffer.wrap(response.body()));
            return;
        }
        DeviceResponse.FileBody region = response.fileBody().get();
        try (FileChannel channel = FileChannel.open(region.file(), StandardOpenOption.READ)) {
            if (channel.size() < region.offset() + region.length()) {
                throw new IOException("the file " + region.file().getFileName() + " has " + channel.size()
                        + " bytes, fewer than the response's region ends at");
            }
            headers(exchange, response);
            exchange.setResponseContentLength(region.length());
            if (exchange.getRequestMethod().equals(Methods.HEAD)) {
                exchange.endExchange();
                return;
            }
            if (!exchange.isBlocking()) {
                exchange.startBlocking();
            }
            OutputStream out = exchange.getOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
            long position = region.offset();
            long remaining = region.length();
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(BUFFER_BYTES, remaining));
                int read = channel.read(buffer, position);
                if (read < 0) {
                    throw new IOException("the file " + region.file().getFileName() + " shrank while it was sent");
                }
                out.write(buffer.array(), 0, read);
                position += read;
                remaining -= read;
            }
            out.close();
        }
    }

    private static void headers(HttpServerExchange exchange, DeviceResponse response) {
        exchange.setStatusCode(response.status());
        response.headers().forEach((name, value) -> exchange.getResponseHeaders().put(new HttpString(name), value));
    }
}
