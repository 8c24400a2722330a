package dev.shepherd.http;

import dev.shepherd.security.OwnerOnlyFiles;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Request bodies too large for the heap, written to owner-only files in one directory of the server's data directory
 * as they arrive (plugin admin endpoints that take uploads as files). Each body is bounded by its endpoint's own
 * limit, which replaces the server-wide {@code http.maxRequestBytes} for that request only.
 */
public final class RequestBodyFiles {

    private static final Logger log = LoggerFactory.getLogger(RequestBodyFiles.class);
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Undertow's own entity limit sits this far above the endpoint's, so the bound here always answers first. */
    private static final long ENTITY_LIMIT_SLACK = 1024 * 1024;

    private final Path directory;

    /**
     * Creates the directory owner-only and removes what a crashed server left in it.
     *
     * @param directory where bodies are written, on the file system of the data directory
     * @throws IOException when it cannot be created or emptied
     */
    public RequestBodyFiles(Path directory) throws IOException {
        this.directory = OwnerOnlyFiles.directory(requireNonNull(directory, "directory is null"));
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(directory)) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
        }
    }

    /**
     * Writes the request body to a new file, reading it with bounded buffers on the calling worker thread. A body
     * larger than {@code limit} is not read further (not even drained, the connection closes after the answer) and
     * what was written of it is deleted; so is a partial body when reading fails (the client went away).
     *
     * @param limit the most bytes accepted
     * @return the file, which the caller deletes when done; empty when the body is larger than {@code limit}
     * @throws IOException when the body cannot be read or the file written; nothing is left behind
     */
    public Optional<Path> receive(HttpServerExchange exchange, long limit) throws IOException {
        if (exchange.getRequestContentLength() > limit) {
            exchange.setPersistent(false);
            return Optional.empty();
        }
        exchange.setMaxEntitySize(limit + ENTITY_LIMIT_SLACK);
        if (!exchange.isBlocking()) {
            exchange.startBlocking();
        }
        Path file = directory.resolve("body-" + UUID.randomUUID() + ".part");
        boolean complete = false;
        try {
            InputStream in = exchange.getInputStream();
            long received = 0;
            try (OutputStream out = OwnerOnlyFiles.newOutputStream(file)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                int read;
                while ((read = in.read(buffer)) > 0) {
                    received += read;
                    if (received > limit) {
                        exchange.setPersistent(false);
                        return Optional.empty();
                    }
                    out.write(buffer, 0, read);
                }
            }
            // Closed only when read to the end: closing drains what is left, which for a body too large is unbounded.
            in.close();
            complete = true;
            return Optional.of(file);
        } finally {
            if (!complete) {
                delete(file);
            }
        }
    }

    /** Deletes a body's file; a failure is logged, since the request it belonged to is over. */
    public static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("Could not delete the request body file {}: {}", file, e.getMessage());
        }
    }
}
