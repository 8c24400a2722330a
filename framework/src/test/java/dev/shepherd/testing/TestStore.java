package dev.shepherd.testing;

import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.storage.Dialect;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The store engine the tests of one test JVM run on: embedded Derby unless the system property
 * {@code shepherd.test.store} says {@code postgresql}, in which case every test installation gets a database of its
 * own on the {@link TestPostgres} server. The framework's build runs the storage-touching tests once on each engine;
 * {@code -Dshepherd.test.store=postgresql} runs any test (a plugin's too) on PostgreSQL.
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

    /** The configuration of a test installation without a configuration file, on this JVM's store engine. */
    public static ShepherdConfig config(Path home) {
        return new ConfigLoader(environment(home)).load(home, home.resolve("absent.yaml"));
    }
}
