package dev.shepherd.plugins.appstore.privatepackages;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Package files stored by their content: {@code <directory>/sha256/<hex>}. A file is written or moved to
 * {@code <directory>/incoming} while its SHA-256 is computed, then moved into place atomically, so a reader never sees
 * half a package and the same bytes uploaded twice are kept once.
 */
public final class PackageBlobs {

    /** A SHA-256 digest in lower-case hex, the only names of stored files. */
    public static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int BUFFER = 64 * 1024;

    private final Path stored;
    private final Path incoming;

    /** A file stored under its digest. */
    public record Blob(String sha256, long size) {
        /** Validates every part. */
        public Blob {
            requireNonNull(sha256, "sha256 is null");
            if (!SHA256_HEX.matcher(sha256).matches()) {
                throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
            }
            if (size < 0) {
                throw new IllegalArgumentException("size is negative");
            }
        }
    }

    /** More bytes arrived than the limit allows; nothing was kept. */
    public static final class TooLargeException extends Exception {
        TooLargeException(long limit) {
            super("A package may have at most " + limit + " bytes.");
        }
    }

    /**
     * @param directory the plugin's data directory; {@code sha256/} and {@code incoming/} are created in it
     * @throws IOException when they cannot be created
     */
    public PackageBlobs(Path directory) throws IOException {
        requireNonNull(directory, "directory is null");
        this.stored = Files.createDirectories(directory.resolve("sha256"));
        this.incoming = Files.createDirectories(directory.resolve("incoming"));
    }

    /**
     * Writes a stream to a new file in {@code incoming/}, computing its digest and refusing it past a size.
     * The caller moves it into place with {@link #keep} or throws it away with {@link #discard}.
     *
     * @param content the bytes
     * @param limit the most bytes accepted
     * @return the file and what it holds
     * @throws TooLargeException when there are more than {@code limit} bytes; the partial file is deleted
     * @throws IOException when the file cannot be written
     */
    public Incoming receive(InputStream content, long limit) throws IOException, TooLargeException {
        requireNonNull(content, "content is null");
        Path file = Files.createTempFile(incoming, "upload-", ".part");
        boolean complete = false;
        try {
            MessageDigest digest = sha256();
            long size;
            try (OutputStream out = Files.newOutputStream(file)) {
                size = copy(content, out, digest, limit);
            }
            complete = true;
            return new Incoming(file, new Blob(HexFormat.of().formatHex(digest.digest()), size));
        } finally {
            if (!complete) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Takes over an uploaded file (the kernel's temporary file of a streamed request body) into {@code incoming/}:
     * moved when it is on the same file system, which costs a rename and one read for the digest, else copied while
     * its digest is computed. Either way it is read in bounded pieces, never whole into memory. The caller moves it
     * into place with {@link #keep} or throws it away with {@link #discard}.
     *
     * @param upload the file; gone from where it was once this returns
     * @param limit the most bytes accepted
     * @return the file and what it holds
     * @throws TooLargeException when it has more than {@code limit} bytes; nothing is taken over
     * @throws IOException when it cannot be moved, copied or read; nothing is left in {@code incoming/}
     */
    public Incoming take(Path upload, long limit) throws IOException, TooLargeException {
        requireNonNull(upload, "upload is null");
        if (Files.size(upload) > limit) {
            throw new TooLargeException(limit);
        }
        Path file = Files.createTempFile(incoming, "upload-", ".part");
        try {
            Files.move(upload, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException onAnotherFileSystem) {
            Files.deleteIfExists(file);
            Incoming copied;
            try (InputStream content = Files.newInputStream(upload)) {
                copied = receive(content, limit);
            }
            Files.deleteIfExists(upload);
            return copied;
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        boolean complete = false;
        try {
            MessageDigest digest = sha256();
            long size;
            try (InputStream content = Files.newInputStream(file)) {
                size = copy(content, OutputStream.nullOutputStream(), digest, limit);
            }
            complete = true;
            return new Incoming(file, new Blob(HexFormat.of().formatHex(digest.digest()), size));
        } finally {
            if (!complete) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Copies a stream through a digest, refusing it past a size; returns how many bytes there were. */
    private static long copy(InputStream content, OutputStream out, MessageDigest digest, long limit) throws IOException, TooLargeException {
        long size = 0;
        byte[] buffer = new byte[BUFFER];
        int read;
        while ((read = content.read(buffer)) > 0) {
            size += read;
            if (size > limit) {
                throw new TooLargeException(limit);
            }
            digest.update(buffer, 0, read);
            out.write(buffer, 0, read);
        }
        return size;
    }

    /**
     * Moves a received file into place under its digest; when that content is stored already, the copy is dropped.
     *
     * @param received what {@link #receive} returned
     * @return the stored file
     * @throws IOException when it cannot be moved
     */
    public Blob keep(Incoming received) throws IOException {
        Path target = stored.resolve(received.blob().sha256());
        if (Files.exists(target)) {
            Files.deleteIfExists(received.file());
            return received.blob();
        }
        try {
            Files.move(received.file(), target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException sameContentMeanwhile) {
            Files.deleteIfExists(received.file());
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the data directory cannot move files atomically: " + e.getMessage(), e);
        }
        return received.blob();
    }

    /**
     * Throws a received file away.
     *
     * @param received what {@link #receive} returned
     * @throws IOException when it cannot be deleted
     */
    public void discard(Incoming received) throws IOException {
        Files.deleteIfExists(received.file());
    }

    /**
     * The stored file with a digest.
     *
     * @param sha256 the digest, lower-case hex
     * @return the file, or empty when the digest is malformed or nothing is stored under it
     */
    public Optional<Path> find(String sha256) {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            return Optional.empty();
        }
        Path file = stored.resolve(sha256);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * Deletes a stored file.
     *
     * @param sha256 the digest, lower-case hex
     * @return true when there was one
     * @throws IOException when it cannot be deleted
     */
    public boolean delete(String sha256) throws IOException {
        return find(sha256).isPresent() && Files.deleteIfExists(stored.resolve(sha256));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * A file received but not yet kept.
     *
     * @param file where it is
     * @param blob its digest and size
     */
    public record Incoming(Path file, Blob blob) {
        /** Validates every part. */
        public Incoming {
            requireNonNull(file, "file is null");
            requireNonNull(blob, "blob is null");
        }
    }
}
