package dev.shepherd.plugin;

import dev.shepherd.storage.Dialect;
import org.pf4j.ManifestPluginDescriptorFinder;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PropertiesPluginDescriptorFinder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * A plugin file copied out of the plugins directory into a private work directory, so the operator may
 * replace or delete the original at any moment without disturbing the running generation.
 *
 * <p>Two layouts are accepted: a {@code .jar} with the PF4J manifest attributes, and a PF4J {@code .zip} with
 * {@code plugin.properties} (or {@code classes/META-INF/MANIFEST.MF}), {@code classes/} and {@code lib/*.jar}.
 *
 * @param source the file in the plugins directory
 * @param sha256 hex digest of the file's content
 * @param workDir the private copy
 * @param descriptor the PF4J descriptor
 * @param classpath the plugin's own class path
 * @param hasMigrations whether it ships database migrations under {@code shepherd/migration/}
 * @param migrationsPerEngine whether those migrations come in one folder per store engine
 *                            ({@code shepherd/migration/derby/}, {@code shepherd/migration/postgresql/})
 */
record PluginArchive(Path source, String sha256, Path workDir, PluginDescriptor descriptor, List<URL> classpath,
                     boolean hasMigrations, boolean migrationsPerEngine) {

    private static final long MAX_UNPACKED_BYTES = 512L * 1024 * 1024;
    private static final int MAX_ENTRIES = 20_000;
    /**
     * Code and resources compress to a third or a tenth of their size; a zip bomb to a thousandth or less. An archive
     * that unpacks to more than this many times its own size (past {@link #RATIO_FLOOR_BYTES}, so a small file of
     * zeros is no bother) is refused before its expansion fills the disk.
     */
    static final int MAX_COMPRESSION_RATIO = 100;
    private static final long RATIO_FLOOR_BYTES = 1024 * 1024;
    static final String API_RESOURCE_PREFIX = "dev/shepherd/api/";
    static final String MIGRATION_PREFIX = "shepherd/migration/";

    static boolean isPluginFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return (name.endsWith(".jar") || name.endsWith(".zip")) && !name.startsWith(".");
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Copies and inspects a plugin file.
     *
     * @param source the file in the plugins directory
     * @param sha256 its digest, as computed by the caller when it noticed the change
     * @param workRoot the directory under which private copies live
     * @return the archive
     * @throws PluginLoadException with a reason for operators when the file is not a usable plugin
     */
    static PluginArchive open(Path source, String sha256, Path workRoot) throws PluginLoadException {
        String fileName = source.getFileName().toString();
        Path workDir = workRoot.resolve(fileName + "-" + sha256.substring(0, 16) + "-" + System.nanoTime());
        try {
            Files.createDirectories(workDir);
            List<Path> classpath = new ArrayList<>();
            PluginDescriptor descriptor;
            if (fileName.toLowerCase(Locale.ROOT).endsWith(".jar")) {
                Path jar = workDir.resolve("plugin.jar");
                Files.copy(source, jar, StandardCopyOption.REPLACE_EXISTING);
                verifyZip(jar);
                classpath.add(jar);
                descriptor = readDescriptor(new ManifestPluginDescriptorFinder(), jar);
            } else {
                Path copy = workDir.resolve("plugin.zip");
                Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
                Path unpacked = workDir.resolve("unpacked");
                unzip(copy, unpacked);
                Files.delete(copy);
                Path classes = unpacked.resolve("classes");
                if (Files.isDirectory(classes)) {
                    classpath.add(classes);
                }
                Path lib = unpacked.resolve("lib");
                if (Files.isDirectory(lib)) {
                    try (Stream<Path> jars = Files.list(lib)) {
                        jars.filter(path -> path.toString().endsWith(".jar")).sorted().forEach(classpath::add);
                    }
                }
                descriptor = zipDescriptor(unpacked, classpath);
            }
            if (classpath.isEmpty()) {
                throw new PluginLoadException("contains no classes (expected classes/ or lib/*.jar in a zip)");
            }
            boolean hasMigrations = false;
            boolean migrationsPerEngine = false;
            for (Path entry : classpath) {
                if (containsPrefix(entry, API_RESOURCE_PREFIX)) {
                    throw new PluginLoadException(entry.getFileName() + " bundles the Shepherd plugin API ("
                            + API_RESOURCE_PREFIX + "); depend on shepherd-plugin-api in provided scope").about(descriptor);
                }
                hasMigrations |= containsPrefix(entry, MIGRATION_PREFIX);
                for (Dialect dialect : Dialect.values()) {
                    migrationsPerEngine |= containsPrefix(entry, MIGRATION_PREFIX + dialect.migrationFolder() + "/");
                }
            }
            List<URL> urls = new ArrayList<>();
            for (Path entry : classpath) {
                urls.add(toUrl(entry));
            }
            return new PluginArchive(source, sha256, workDir, descriptor, List.copyOf(urls), hasMigrations, migrationsPerEngine);
        } catch (PluginLoadException e) {
            deleteQuietly(workDir);
            throw e;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(workDir);
            throw new PluginLoadException("cannot be read as a plugin file: " + describe(e), e);
        }
    }

    void delete() {
        deleteQuietly(workDir);
    }

    /** plugin.properties, else classes/META-INF/MANIFEST.MF, else the manifest of the one lib jar that has a Plugin-Id. */
    private static PluginDescriptor zipDescriptor(Path unpacked, List<Path> classpath) throws PluginLoadException {
        if (Files.exists(unpacked.resolve(PropertiesPluginDescriptorFinder.DEFAULT_PROPERTIES_FILE_NAME))) {
            return readDescriptor(new PropertiesPluginDescriptorFinder(), unpacked);
        }
        if (Files.exists(unpacked.resolve("classes/META-INF/MANIFEST.MF"))) {
            return readDescriptor(new ManifestPluginDescriptorFinder(), unpacked.resolve("classes"));
        }
        PluginDescriptor found = null;
        for (Path entry : classpath) {
            if (Files.isRegularFile(entry)) {
                PluginDescriptor candidate;
                try {
                    candidate = new ManifestPluginDescriptorFinder().find(entry);
                } catch (RuntimeException unreadable) {
                    continue;
                }
                if (candidate != null && candidate.getPluginId() != null && !candidate.getPluginId().isBlank()) {
                    if (found != null) {
                        throw new PluginLoadException("has more than one jar with a Plugin-Id in lib/: "
                                + found.getPluginId() + " and " + candidate.getPluginId());
                    }
                    found = candidate;
                }
            }
        }
        if (found == null) {
            throw new PluginLoadException("has no plugin descriptor (plugin.properties, classes/META-INF/MANIFEST.MF,"
                    + " or a lib/ jar whose manifest has Plugin-Id)");
        }
        return found;
    }

    private static PluginDescriptor readDescriptor(PluginDescriptorFinder finder, Path path)
            throws PluginLoadException {
        if (!finder.isApplicable(path)) {
            throw new PluginLoadException("has no plugin descriptor (plugin.properties or a manifest with Plugin-Id)");
        }
        try {
            PluginDescriptor descriptor = finder.find(path);
            if (descriptor == null || descriptor.getPluginId() == null || descriptor.getPluginId().isBlank()) {
                throw new PluginLoadException("has no Plugin-Id in its descriptor");
            }
            return descriptor;
        } catch (RuntimeException e) {
            throw new PluginLoadException("has an unreadable plugin descriptor: " + describe(e), e);
        }
    }

    private static void verifyZip(Path file) throws PluginLoadException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            if (zip.size() > MAX_ENTRIES) {
                throw new PluginLoadException("has more than " + MAX_ENTRIES + " entries");
            }
        } catch (ZipException e) {
            throw new PluginLoadException("is not a valid jar/zip file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PluginLoadException("cannot be read: " + e.getMessage(), e);
        }
    }

    /** Unpacks with the checks a hostile archive needs: no path escapes, bounded entry count, size and compression ratio. */
    private static void unzip(Path zipFile, Path target) throws IOException, PluginLoadException {
        verifyZip(zipFile);
        Files.createDirectories(target);
        long total = 0;
        int entries = 0;
        long archiveBytes = Math.max(1, Files.size(zipFile));
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zipFile))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (++entries > MAX_ENTRIES) {
                    throw new PluginLoadException("has more than " + MAX_ENTRIES + " entries");
                }
                Path destination = target.resolve(entry.getName()).normalize();
                if (!destination.startsWith(target)) {
                    throw new PluginLoadException("has an entry that escapes its directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(destination);
                    continue;
                }
                Files.createDirectories(destination.getParent());
                try (OutputStream out = Files.newOutputStream(destination)) {
                    byte[] buffer = new byte[64 * 1024];
                    for (int read; (read = in.read(buffer)) > 0; ) {
                        total += read;
                        if (total > MAX_UNPACKED_BYTES) {
                            throw new PluginLoadException("unpacks to more than " + MAX_UNPACKED_BYTES / (1024 * 1024) + " MiB");
                        }
                        if (total > RATIO_FLOOR_BYTES && total / archiveBytes > MAX_COMPRESSION_RATIO) {
                            throw new PluginLoadException("unpacks to more than " + MAX_COMPRESSION_RATIO
                                    + " times its own size, as a zip bomb does; refused");
                        }
                        out.write(buffer, 0, read);
                    }
                }
            }
        } catch (ZipException e) {
            throw new PluginLoadException("is not a valid zip file: " + e.getMessage(), e);
        }
    }

    private static boolean containsPrefix(Path classpathEntry, String prefix) throws IOException {
        if (Files.isDirectory(classpathEntry)) {
            return Files.isDirectory(classpathEntry.resolve(prefix));
        }
        try (ZipFile zip = new ZipFile(classpathEntry.toFile())) {
            return zip.stream().anyMatch(entry -> entry.getName().startsWith(prefix));
        }
    }

    private static URL toUrl(Path path) {
        try {
            return path.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException("a file path always makes a URL: " + path, e);
        }
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort: a leftover work directory is cleaned at the next start
                }
            });
        } catch (IOException ignored) {
            // best effort, as above
        }
    }
}
