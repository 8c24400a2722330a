package dev.shepherd.testing;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.security.OwnerOnlyFiles;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.Dialect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The store engine the tests of one test JVM run on: embedded Derby unless the system property
 * {@code shepherd.test.store} says {@code postgresql}, in which case every test installation gets a database of its
 * own on the {@link TestPostgres} server. The framework's build runs the storage-touching tests once on each engine;
 * {@code -Dshepherd.test.store=postgresql} runs any test (a plugin's too) on PostgreSQL.
 *
 * <p>On Derby, a test installation starts from a copy of an empty store the kernel migrations were applied to once per
 * test JVM ({@link #seedDerbyStore}), as a PostgreSQL test database is a fresh {@code CREATE DATABASE}: creating a Derby
 * database and running every migration on it took about a second per installation, most of the Derby run's extra time.
 * The migrations themselves are tested where they are the subject (the storage tests open their stores directly).
 */
public final class TestStore {

    public static final String ENGINE_PROPERTY = "shepherd.test.store";

    private TestStore() {
    }

    /** @return the engine this test JVM's stores run on */
    public static Dialect engine() {
        String engine = System.getProperty(ENGINE_PROPERTY, "derby").trim().toLowerCase(Locale.ROOT);
        return switch (engine) {
            case "", "derby" -> Dialect.DERBY;
            case "postgresql", "postgres" -> Dialect.POSTGRESQL;
            default -> throw new IllegalArgumentException(ENGINE_PROPERTY + " is derby or postgresql, not " + engine);
        };
    }

    /**
     * The {@code SHEPHERD_DATABASE_*} settings of a test installation: none on Derby (the default store, embedded in
     * the installation's data directory); on PostgreSQL, the installation's own database on the test server with the
     * server's user and password, the same database for every call with the same directory, so a test can restart a
     * server over its store.
     */
    public static Map<String, String> environment(Path home) {
        if (engine() == Dialect.DERBY) {
            return Map.of();
        }
        TestPostgres postgres = TestPostgres.get();
        return Map.of(
                "SHEPHERD_DATABASE_URL", postgres.jdbcUrl(postgres.databaseOf(home)),
                "SHEPHERD_DATABASE_USERNAME", TestPostgres.USER,
                "SHEPHERD_DATABASE_PASSWORD", postgres.password());
    }

    /**
     * The configuration of a test installation without a configuration file, on this JVM's store engine; on Derby, its
     * store is {@linkplain #seedDerbyStore seeded} if it has none yet.
     */
    public static ShepherdConfig config(Path home) {
        ShepherdConfig config = new ConfigLoader(environment(home)).load(home, home.resolve("absent.yaml"));
        seedDerbyStore(config);
        return config;
    }

    /**
     * Gives an installation whose store is embedded Derby and not created yet (no {@code db} in its data directory) a
     * copy of this JVM's migrated empty Derby store, so opening it applies no migration; leaves any other store alone.
     * Derby's documented offline backup is a copy of a shut-down database's directory, and its files keep their
     * owner-only permissions in the copy.
     */
    static void seedDerbyStore(ShepherdConfig config) {
        if (config.database().url().isPresent()) {
            return;
        }
        Path store = config.dataDir().resolve("db");
        if (Files.exists(store)) {
            return;
        }
        try {
            OwnerOnlyFiles.directory(config.dataDir());
            Path template = MigratedDerbyStore.DIRECTORY;
            List<Path> files;
            try (Stream<Path> walk = Files.walk(template)) {
                files = walk.toList();
            }
            for (Path source : files) {
                Path target = store.resolve(template.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(source));
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy the migrated Derby store into " + store, e);
        }
    }

    /** The empty Derby store of this JVM, created and migrated by the kernel's own code at the first use, shut down. */
    private static final class MigratedDerbyStore {
        static final Path DIRECTORY = create();

        private static Path create() {
            try {
                Path home = Files.createTempDirectory("shepherd-derby-template");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(home), "derby-template-cleanup"));
                ShepherdConfig config = new ConfigLoader(Map.of()).load(home, home.resolve("absent.yaml"));
                // Closing the store shuts its Derby database down, so its files are complete for copying.
                Database.open(config).close();
                return config.dataDir().resolve("db");
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create the migrated Derby store", e);
            }
        }

        private static void delete(Path directory) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                System.err.println("Cannot remove " + directory + ": " + e.getMessage());
            }
        }
    }
}
