package dev.shepherd.storage;

import dev.shepherd.config.ConfigException;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.testing.StoreFree;
import dev.shepherd.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel schema has one migration history written in each engine's dialect: the same versions with the same
 * descriptions, bringing both engines to the same tables and columns. The engine is chosen by the JDBC URL.
 */
@StoreFree
class KernelSchemaDialectsTest {

    @TempDir
    Path home;

    @Test
    void bothDialectsHaveTheSameMigrationVersionsAndDescriptions() throws Exception {
        Set<String> derby = migrations(Dialect.DERBY);
        Set<String> postgresql = migrations(Dialect.POSTGRESQL);

        assertThat(derby).isNotEmpty().contains("V1__plugin_storage.sql");
        assertThat(postgresql).isEqualTo(derby);
    }

    @Test
    void theEngineIsChosenByTheJdbcUrl() {
        assertThat(Dialect.of("jdbc:derby:/srv/shepherd/data/db;create=true")).isEqualTo(Dialect.DERBY);
        assertThat(Dialect.of("jdbc:postgresql://db.example.com:5432/shepherd")).isEqualTo(Dialect.POSTGRESQL);
        assertThatThrownBy(() -> Dialect.of("jdbc:mysql://db.example.com/shepherd"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mysql").hasMessageContaining("jdbc:postgresql:");
    }

    @Test
    void aDatabaseUrlOfAnUnsupportedEngineStopsStartUpNamingTheKey() {
        ConfigLoader loader = new ConfigLoader(Map.of("SHEPHERD_DATABASE_URL", "jdbc:sqlserver://db.example.com"));

        assertThatThrownBy(() -> loader.load(home, home.resolve("absent.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("database.url").hasMessageContaining("sqlserver");
    }

    @Test
    void bothEnginesEndWithTheSameTablesAndColumns() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        ShepherdConfig onPostgres = onNewPostgresDatabase(postgres);
        Map<String, Set<String>> derbyColumns;
        try (Database derby = Database.open(new ConfigLoader(Map.of()).load(home, home.resolve("absent.yaml")))) {
            assertThat(derby.dialect()).isEqualTo(Dialect.DERBY);
            derbyColumns = columns(derby, "APP");
        }
        Map<String, Set<String>> postgresColumns;
        try (Database database = Database.open(onPostgres)) {
            assertThat(database.dialect()).isEqualTo(Dialect.POSTGRESQL);
            postgresColumns = columns(database, "public");
        }

        assertThat(derbyColumns).containsKeys("device", "command", "audit_entry", "event_log", "plugin_kv");
        assertThat(postgresColumns).isEqualTo(derbyColumns);
    }

    /**
     * Derby backs every foreign key with an index of its own; PostgreSQL does not, so a lookup by the referencing
     * columns (a device's hardware ids, say) or a cascading delete reads the whole table unless a migration adds one.
     * At 100,000 devices one such lookup cost half a millisecond of PostgreSQL's CPU per device message.
     */
    @Test
    void everyForeignKeyOnPostgresqlHasAnIndexLeadingWithItsColumnsAsDerbyHasOnItsOwn() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        ShepherdConfig onPostgres = onNewPostgresDatabase(postgres);
        Set<String> unindexed = new TreeSet<>();
        try (Database database = Database.open(onPostgres);
             Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("""
                     SELECT c.conrelid::regclass::text, c.conname,
                            (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k (attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
                     FROM pg_constraint c
                     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
                       AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indpred IS NULL
                           AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                           AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
                     """)) {
            while (rows.next()) {
                unindexed.add(rows.getString(1) + "." + rows.getString(2) + " (" + rows.getString(3) + ")");
            }
        }

        assertThat(unindexed).as("foreign keys on PostgreSQL without an index leading with their columns").isEmpty();
    }

    @Test
    void aPostgresqlConnectionGivesUpWaitingForALockAsDerbyDoesAndTheTransactionIsRetried() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        ShepherdConfig onPostgres = onNewPostgresDatabase(postgres);
        try (Database database = Database.open(onPostgres);
             Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet setting = statement.executeQuery("SHOW lock_timeout")) {
            assertThat(setting.next()).isTrue();
            assertThat(setting.getString(1)).isEqualTo(Dialect.LOCK_WAIT_SECONDS + "s");
        }
        // What PostgreSQL answers when the wait is over (lock_not_available), and its deadlock victims, are retried.
        assertThat(Transactions.isRetryable(new SQLException("canceling statement due to lock timeout", "55P03"))).isTrue();
        assertThat(Transactions.isRetryable(new SQLException("deadlock detected", "40P01"))).isTrue();
        assertThat(Transactions.isRetryable(new SQLException("duplicate key", "23505"))).isFalse();
        // A duplicate key is not retried blindly; the work that can find the other's row asks for it.
        assertThat(Transactions.isUniqueViolation(new IllegalStateException(new SQLException("duplicate key", "23505")))).isTrue();
        assertThat(Transactions.isUniqueViolation(new IllegalStateException(new SQLException("deadlock detected", "40P01")))).isFalse();
    }

    @Test
    void aPostgresqlDatabaseThatDoesNotSortTextBytewiseIsPointedOut() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String bytewise = postgres.createDatabase();
        String language = "shepherd_collation_" + Long.toHexString(System.nanoTime());
        try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl("postgres"), TestPostgres.USER, postgres.password());
             Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + language + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.utf8' LC_CTYPE 'C.utf8'");
        }

        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(bytewise), TestPostgres.USER, postgres.password())) {
            assertThat(Database.collationAdvice(connection)).isEmpty();
        }
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(language), TestPostgres.USER, postgres.password())) {
            assertThat(Database.collationAdvice(connection)).hasValueSatisfying(advice -> assertThat(advice)
                    .contains(language).contains("C.utf8").contains("LC_COLLATE 'C'"));
        }
    }

    /** An installation's configuration over a new, empty database of the test PostgreSQL. */
    private ShepherdConfig onNewPostgresDatabase(TestPostgres postgres) {
        return new ConfigLoader(Map.of(
                "SHEPHERD_DATABASE_URL", postgres.jdbcUrl(postgres.createDatabase()),
                "SHEPHERD_DATABASE_USERNAME", TestPostgres.USER,
                "SHEPHERD_DATABASE_PASSWORD", postgres.password())).load(home, home.resolve("absent.yaml"));
    }

    /** Table name to "column nullability" entries, lower-cased, without Flyway's own history table. */
    private static Map<String, Set<String>> columns(Database database, String schema) throws SQLException {
        Map<String, Set<String>> tables = new TreeMap<>();
        try (Connection connection = database.dataSource().getConnection();
             ResultSet rows = connection.getMetaData().getColumns(null, schema, "%", "%")) {
            while (rows.next()) {
                String table = rows.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (!table.equals("kernel_schema_history")) {
                    String nullable = rows.getInt("NULLABLE") == DatabaseMetaData.columnNullable ? "null" : "not null";
                    tables.computeIfAbsent(table, ignored -> new TreeSet<>())
                            .add(rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT) + " " + nullable);
                }
            }
        }
        return tables;
    }

    private static Set<String> migrations(Dialect dialect) throws IOException, URISyntaxException {
        URL folder = Database.class.getResource("/db/migration/kernel/" + dialect.migrationFolder());
        assertThat(folder).as(dialect + " migrations").isNotNull();
        try (Stream<Path> files = Files.list(Path.of(folder.toURI()))) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".sql"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
