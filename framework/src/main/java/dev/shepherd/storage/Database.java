package dev.shepherd.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.security.OwnerOnlyFiles;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * The kernel store: a pooled data source, embedded Derby in the data directory unless a JDBC URL is
 * configured ({@code database.url}, PostgreSQL for production), with the kernel schema brought up to date by Flyway
 * on open from the migrations in that engine's dialect.
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);
    /** Kernel migrations live per database vendor, so another vendor's SQL can follow without touching callers. */
    private static final String KERNEL_MIGRATIONS = "classpath:db/migration/kernel/";
    /** Flyway's record of the kernel migrations applied to a store. */
    static final String KERNEL_SCHEMA_HISTORY = "kernel_schema_history";

    /** Collations that compare text byte by byte, as Derby does. */
    private static final Set<String> BYTEWISE_COLLATIONS = Set.of("C", "POSIX");

    private final HikariDataSource pool;
    /** The pool as the kernel uses it: the pool itself, or what a test put around it. */
    private final DataSource dataSource;
    private final Dialect dialect;
    private final String derbyDatabaseUrl;

    private Database(HikariDataSource pool, DataSource dataSource, Dialect dialect, String derbyDatabaseUrl) {
        this.pool = pool;
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.derbyDatabaseUrl = derbyDatabaseUrl;
    }

    /**
     * Opens the store and migrates the kernel schema.
     *
     * @param config the server configuration
     * @return the open store
     */
    public static Database open(ShepherdConfig config) {
        return open(config, UnaryOperator.identity());
    }

    /**
     * Opens the store as {@link #open(ShepherdConfig)} does, with every use of its connections going through what
     * {@code around} makes of the pool: for tests that count what the kernel asks of the store.
     *
     * @param config the server configuration
     * @param around wraps the pooled data source; the pool's own meters and its closing stay the pool's
     * @return the open store
     */
    public static Database open(ShepherdConfig config, UnaryOperator<DataSource> around) {
        requireNonNull(config, "config is null");
        requireNonNull(around, "around is null");
        String url;
        String derbyUrl = null;
        if (config.database().url().isPresent()) {
            url = config.database().url().get();
        } else {
            Path databaseDir = config.dataDir().resolve("db");
            createDirectories(config.dataDir());
            // Derby creates its files with the process's umask unless told otherwise; the database is owner-only.
            if (System.getProperty("derby.storage.useDefaultFilePermissions") == null) {
                System.setProperty("derby.storage.useDefaultFilePermissions", "false");
            }
            // Derby writes its own log next to the database rather than into the working directory.
            if (System.getProperty("derby.stream.error.file") == null) {
                System.setProperty("derby.stream.error.file", config.dataDir().resolve("derby.log").toString());
            }
            derbyUrl = "jdbc:derby:" + databaseDir;
            url = derbyUrl + ";create=true";
        }
        Dialect dialect = Dialect.of(url);
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("shepherd");
        hikari.setJdbcUrl(url);
        if (!config.database().username().isEmpty()) {
            hikari.setUsername(config.database().username());
            hikari.setPassword(config.database().password());
        }
        hikari.setMaximumPoolSize(config.database().poolSize());
        hikari.setMinimumIdle(Math.min(2, config.database().poolSize()));
        hikari.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
        hikari.setAutoCommit(true);
        hikari.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        dialect.configurePool(hikari);
        HikariDataSource pool = new HikariDataSource(hikari);
        DataSource dataSource = requireNonNull(around.apply(pool), "around gave no data source");
        Database database = new Database(pool, dataSource, dialect, derbyUrl);
        try {
            MigrateResult result = kernelMigrations(dialect).dataSource(dataSource).load().migrate();
            log.info("Kernel schema on {} at version {} ({} migration(s) applied)", dialect.displayName(),
                    result.targetSchemaVersion, result.migrationsExecuted);
            if (derbyUrl != null) {
                tuneDerbyLocking(pool);
            } else if (dialect == Dialect.POSTGRESQL) {
                warnOfCollation(pool);
            }
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }

    private static void warnOfCollation(HikariDataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            collationAdvice(connection).ifPresent(log::warn);
        } catch (SQLException e) {
            log.debug("Cannot read the PostgreSQL database's collation: {}", e.getMessage());
        }
    }

    /**
     * On PostgreSQL, what to tell the operator when the database does not sort text bytewise ({@code C} or
     * {@code POSIX}): lists ordered by name then differ from Derby's order, and a name-prefix search cannot use the
     * name's b-tree index. Nothing to say when it does.
     */
    static Optional<String> collationAdvice(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT datname, datcollate FROM pg_database WHERE datname = current_database()");
             ResultSet rows = select.executeQuery()) {
            if (!rows.next() || BYTEWISE_COLLATIONS.contains(rows.getString(2))) {
                return Optional.empty();
            }
            return Optional.of("PostgreSQL database " + rows.getString(1) + " sorts text by the collation " + rows.getString(2)
                    + ": lists by name follow that order rather than Derby's, and name-prefix searches cannot use their"
                    + " indexes. docs/operations.md recommends creating the database with LC_COLLATE 'C'.");
        }
    }

    /** Flyway over the kernel migrations in an engine's dialect; the caller adds the data source. */
    static FluentConfiguration kernelMigrations(Dialect dialect) {
        return Flyway.configure(Database.class.getClassLoader())
                .locations(KERNEL_MIGRATIONS + dialect.migrationFolder())
                .table(KERNEL_SCHEMA_HISTORY);
    }

    /**
     * Derby waits 20 s before it looks for a deadlock and 60 s for a lock. Transactions here are short and retried
     * when chosen as a deadlock victim ({@link Transactions}), so deadlocks are better found within a second; the
     * lock wait ({@link Dialect#LOCK_WAIT_SECONDS}) stays below the plugin call timeout, so a device request fails
     * cleanly rather than hanging.
     */
    private static void tuneDerbyLocking(HikariDataSource dataSource) {
        try (Connection connection = dataSource.getConnection();
             CallableStatement set = connection.prepareCall("CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY(?, ?)")) {
            for (String[] property : new String[][]{{"derby.locks.deadlockTimeout", "1"}, {"derby.locks.waitTimeout", String.valueOf(Dialect.LOCK_WAIT_SECONDS)}}) {
                set.setString(1, property[0]);
                set.setString(2, property[1]);
                set.execute();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot set Derby's lock timeouts", e);
        }
    }

    /**
     * Applies a plugin's own migrations to its own schema: those in {@code shepherd/migration/}, which must then be SQL
     * both engines accept, or, when the plugin ships one folder per engine, those in this engine's
     * ({@code shepherd/migration/derby/}, {@code shepherd/migration/postgresql/}; one missing fails the load).
     *
     * @param schema the plugin's schema, created when missing
     * @param classLoader the plugin's class loader, whose {@code shepherd/migration} resources are applied
     * @param perEngine whether the plugin's migrations come in one folder per engine
     * @return how many migrations ran
     */
    public int migratePluginSchema(String schema, ClassLoader classLoader, boolean perEngine) {
        MigrateResult result = Flyway.configure(classLoader)
                .dataSource(dataSource)
                .schemas(schema)
                .createSchemas(true)
                .table("plugin_schema_history")
                .locations("classpath:shepherd/migration" + (perEngine ? "/" + dialect.migrationFolder() : ""))
                .failOnMissingLocations(perEngine)
                .load()
                .migrate();
        return result.migrationsExecuted;
    }

    /**
     * Whether the store answers right now.
     *
     * @return true when a connection could be borrowed and validated within a second
     */
    public boolean isHealthy() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Publishes the connection pool's own meters ({@code hikaricp_connections_*}: active, idle, pending, timeouts,
     * acquire and usage times) through HikariCP's Micrometer tracker; once per store.
     */
    public void bindMetrics(MeterRegistry metrics) {
        pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(requireNonNull(metrics, "metrics is null")));
    }

    /** @return the engine the store runs on */
    public Dialect dialect() {
        return dialect;
    }

    /** @return the pooled data source */
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        pool.close();
        if (derbyDatabaseUrl != null) {
            try {
                DriverManager.getConnection(derbyDatabaseUrl + ";shutdown=true").close();
            } catch (SQLException e) {
                // Derby reports a clean database shutdown as SQLState 08006.
                if (!"08006".equals(e.getSQLState())) {
                    log.warn("Embedded Derby did not shut down cleanly: {}", e.getMessage());
                }
            }
        }
    }

    private static void createDirectories(Path dir) {
        try {
            OwnerOnlyFiles.directory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create data directory " + dir, e);
        }
    }
}
