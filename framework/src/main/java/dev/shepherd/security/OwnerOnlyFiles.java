package dev.shepherd.security;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the server's data files readable by its own user only (POSIX 0700 directories, 0600 files) from the moment
 * they exist, rather than creating them with the umask and narrowing them after: keys, the TLS keystore and its
 * password, the database. On file systems without POSIX permissions (Windows) the data directory's ACL applies.
 */
public final class OwnerOnlyFiles {

    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private OwnerOnlyFiles() {
    }

    /**
     * Creates a directory (and missing parents) owner-only, and narrows it to owner-only if it exists already.
     *
     * @return the directory
     */
    public static Path directory(Path dir) throws IOException {
        if (posix(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
            Files.setPosixFilePermissions(dir, DIRECTORY);
        } else {
            Files.createDirectories(dir);
        }
        return dir;
    }

    /** Writes a file that only the server's user can read, replacing any content. */
    public static void write(Path file, byte[] content) throws IOException {
        try (OutputStream out = newOutputStream(file)) {
            out.write(content);
        }
    }

    /** Opens a file for writing, created owner-only (an existing file is narrowed to owner-only first). */
    public static OutputStream newOutputStream(Path file) throws IOException {
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        if (!posix(file)) {
            return Files.newOutputStream(file, options.toArray(StandardOpenOption[]::new));
        }
        if (Files.exists(file)) {
            Files.setPosixFilePermissions(file, FILE);
        }
        return Channels.newOutputStream(Files.newByteChannel(file, options, PosixFilePermissions.asFileAttribute(FILE)));
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
