package dev.shepherd.storage;

import dev.shepherd.audit.AuditLog;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Moves a stopped installation's embedded Derby store into an empty PostgreSQL database ({@code bin/shepherd db
 * migrate}): migrates the target to the same kernel schema version, copies every kernel table (plugin key-value data
 * included) in foreign-key order and in batches, keeping ids, identity counters and the audit chain as they are, then
 * verifies the copy: equal row counts per table, the audit chain intact on the target and its tip equal to the
 * source's. The copy is one target transaction: when it fails, the target holds the empty schema and nothing else.
 *
 * <p>Refused before anything is written: a source that is in use (Derby's lock: a server is running on it), a source
 * at another schema version than this build's, a target that holds any table.
 */
public final class StoreCopy {

    private final Path derbyDirectory;
    private final Supplier<Database> openTarget;
    private final String targetUrl;
    private final String targetUsername;
    private final String targetPassword;
    private final int batchSize;
    private final PrintWriter progress;

    /**
     * @param derbyDirectory the installation's Derby database ({@code <data>/db})
     * @param target the target's JDBC URL and credentials
     * @param openTarget opens (and migrates) the target store once it is known to be empty
     * @param batchSize rows per insert batch
     * @param progress where a line per copied table goes
     */
    public StoreCopy(Path derbyDirectory, Target target, Supplier<Database> openTarget, int batchSize, PrintWriter progress) {
        this.derbyDirectory = requireNonNull(derbyDirectory, "derbyDirectory is null");
        requireNonNull(target, "target is null");
        this.targetUrl = target.url();
        this.targetUsername = target.username();
        this.targetPassword = target.password();
        this.openTarget = requireNonNull(openTarget, "openTarget is null");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, not " + batchSize);
        }
        this.batchSize = batchSize;
        this.progress = requireNonNull(progress, "progress is null");
    }

    /** Where the copy goes. The password is left out of {@link #toString()}. */
    public record Target(String url, String username, String password) {
        public Target {
            requireNonNull(url, "url is null");
            requireNonNull(username, "username is null");
            requireNonNull(password, "password is null");
        }

        @Override
        public String toString() {
            return "Target[url=" + url + ", username=" + username + "]";
        }
    }

    /** The copy was not started, for a reason the operator can fix; nothing was written to the target. */
    public static final class RefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    /** Rows of one table on each side after the copy. */
    public record TableCount(String table, long source, long target) {
        public boolean equal() {
            return source == target;
        }
    }

    /**
     * What the copy did and what the verification found.
     *
     * @param schemaVersion the kernel schema version both stores are at
     * @param tables row counts per table, in copy order
     * @param auditVerification the audit chain's verification on the target
     * @param sourceAuditHead the hash at the tip of the source's audit chain
     * @param targetAuditHead the hash at the tip of the target's audit chain
     */
    public record Report(String schemaVersion, List<TableCount> tables, AuditLog.Verification auditVerification,
                         String sourceAuditHead, String targetAuditHead) {

        /** @return whether every check passed */
        public boolean verified() {
            return tables.stream().allMatch(TableCount::equal) && auditVerification.intact()
                    && sourceAuditHead.equals(targetAuditHead);
        }

        /** @return what failed, one line each; empty when {@link #verified()} */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            tables.stream().filter(count -> !count.equal()).forEach(count -> problems.add(
                    count.table() + ": " + count.source() + " rows in the source, " + count.target() + " in the target"));
            auditVerification.problem().ifPresent(problem -> problems.add("audit chain on the target: " + problem));
            if (!sourceAuditHead.equals(targetAuditHead)) {
                problems.add("audit chain tip differs: source " + sourceAuditHead + ", target " + targetAuditHead);
            }
            return problems;
        }
    }

    /**
     * Copies and verifies.
     *
     * @throws RefusedException when the copy cannot start (nothing written)
     */
    public Report run() {
        if (Dialect.of(targetUrl) != Dialect.POSTGRESQL) {
            throw new RefusedException("the target must be a PostgreSQL database (jdbc:postgresql://host:port/database), not " + targetUrl.split("\\?", 2)[0]);
        }
        if (!Files.isDirectory(derbyDirectory)) {
            throw new RefusedException("there is no embedded Derby store at " + derbyDirectory);
        }
        String sourceUrl = "jdbc:derby:" + derbyDirectory;
        try (Connection source = openSource(sourceUrl)) {
            MigrationInfoService migrations = Database.kernelMigrations(Dialect.DERBY).dataSource(sourceUrl, null, null).load().info();
            String sourceVersion = schemaVersion(migrations.current());
            String buildVersion = latestResolvedVersion(migrations);
            if (!sourceVersion.equals(buildVersion)) {
                throw new RefusedException("the Derby store is at kernel schema version " + sourceVersion + ", this Shepherd's is "
                        + buildVersion + ": run this version's server once on the Derby store (it migrates it on start), stop it, then copy");
            }
            refuseNonEmptyTarget();
            try (Database target = openTarget.get()) {
                String targetVersion = schemaVersion(Database.kernelMigrations(Dialect.POSTGRESQL)
                        .dataSource(target.dataSource()).load().info().current());
                if (!targetVersion.equals(sourceVersion)) {
                    throw new IllegalStateException("the target was migrated to " + targetVersion + ", not " + sourceVersion);
                }
                List<String> tables = tablesInForeignKeyOrder(source);
                try (Connection connection = target.dataSource().getConnection()) {
                    copy(source, connection, tables);
                }
                return verify(source, target, sourceVersion, tables);
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot copy the store: " + e.getMessage(), e);
        }
    }

    private static Connection openSource(String sourceUrl) {
        try {
            return DriverManager.getConnection(sourceUrl);
        } catch (SQLException e) {
            // Derby says why (XSDB6: another process has booted the database) in the exceptions chained to this one.
            for (SQLException next = e; next != null; next = next.getNextException()) {
                for (Throwable cause = next; cause != null; cause = cause.getCause()) {
                    if (cause instanceof SQLException sql && "XSDB6".equals(sql.getSQLState())) {
                        throw new RefusedException("the Derby store is in use (a Shepherd server is running on it): stop the server, then copy");
                    }
                }
            }
            throw new RefusedException("cannot open the Derby store: " + e.getMessage());
        }
    }

    /** The newest kernel migration this build has (the source may hold newer ones, from a newer Shepherd). */
    private static String latestResolvedVersion(MigrationInfoService migrations) {
        return Arrays.stream(migrations.all()).filter(migration -> migration.getState().isResolved())
                .map(MigrationInfo::getVersion).max(Comparator.naturalOrder()).map(MigrationVersion::getVersion).orElse("none");
    }

    private static String schemaVersion(MigrationInfo current) {
        return current == null ? "none" : current.getVersion().getVersion();
    }

    private void refuseNonEmptyTarget() {
        try (Connection connection = DriverManager.getConnection(targetUrl, targetUsername, targetPassword);
             ResultSet tables = connection.getMetaData().getTables(null, connection.getSchema(), "%", new String[]{"TABLE"})) {
            if (tables.next()) {
                throw new RefusedException("the target database is not empty (it holds table " + tables.getString("TABLE_NAME")
                        + "): copy into a new, empty database");
            }
        } catch (SQLException e) {
            throw new RefusedException("cannot connect to the target " + targetUrl.split("\\?", 2)[0] + ": " + e.getMessage());
        }
    }

    /** The source's kernel tables, each after the tables it refers to (the kernel's foreign keys form no cycle). */
    private static List<String> tablesInForeignKeyOrder(Connection source) throws SQLException {
        DatabaseMetaData metadata = source.getMetaData();
        String schema = source.getSchema();
        Map<String, Set<String>> references = new TreeMap<>();
        try (ResultSet tables = metadata.getTables(null, schema, "%", new String[]{"TABLE"})) {
            while (tables.next()) {
                String table = tables.getString("TABLE_NAME");
                if (!table.equalsIgnoreCase(Database.KERNEL_SCHEMA_HISTORY)) {
                    references.put(table, new LinkedHashSet<>());
                }
            }
        }
        for (Map.Entry<String, Set<String>> table : references.entrySet()) {
            try (ResultSet keys = metadata.getImportedKeys(null, schema, table.getKey())) {
                while (keys.next()) {
                    String referenced = keys.getString("PKTABLE_NAME");
                    if (!referenced.equals(table.getKey())) {
                        table.getValue().add(referenced);
                    }
                }
            }
        }
        List<String> ordered = new ArrayList<>();
        while (ordered.size() < references.size()) {
            boolean progressed = false;
            for (Map.Entry<String, Set<String>> table : references.entrySet()) {
                if (!ordered.contains(table.getKey()) && ordered.containsAll(table.getValue())) {
                    ordered.add(table.getKey());
                    progressed = true;
                }
            }
            if (!progressed) {
                throw new IllegalStateException("the kernel tables' foreign keys form a cycle");
            }
        }
        return ordered;
    }

    private void copy(Connection source, Connection target, List<String> tables) throws SQLException {
        target.setAutoCommit(false);
        try {
            // The target was empty before its migration; the rows the migrations seed (the audit chain's tip, the
            // built-in group) are replaced by the source's.
            for (int i = tables.size() - 1; i >= 0; i--) {
                try (Statement delete = target.createStatement()) {
                    delete.executeUpdate("DELETE FROM " + tables.get(i));
                }
            }
            for (String table : tables) {
                long rows = copyTable(source, target, table);
                restartIdentity(source, target, table);
                progress.printf("  %-36s %,d rows%n", table.toLowerCase(Locale.ROOT), rows);
                progress.flush();
            }
            target.commit();
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(true);
        }
    }

    private long copyTable(Connection source, Connection target, String table) throws SQLException {
        Map<String, Integer> targetTypes = new LinkedHashMap<>();
        try (Statement shape = target.createStatement();
             ResultSet empty = shape.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
            ResultSetMetaData columns = empty.getMetaData();
            for (int i = 1; i <= columns.getColumnCount(); i++) {
                targetTypes.put(columns.getColumnName(i).toUpperCase(Locale.ROOT), columns.getColumnType(i));
            }
        }
        boolean hasIdentity = !identityColumns(source, table).isEmpty();
        long copied = 0;
        try (Statement select = source.createStatement()) {
            select.setFetchSize(batchSize);
            try (ResultSet rows = select.executeQuery("SELECT * FROM " + table)) {
                ResultSetMetaData columns = rows.getMetaData();
                int count = columns.getColumnCount();
                List<String> names = new ArrayList<>();
                for (int i = 1; i <= count; i++) {
                    String name = columns.getColumnName(i).toUpperCase(Locale.ROOT);
                    if (!targetTypes.containsKey(name)) {
                        throw new IllegalStateException(table + "." + name + " has no column in the target");
                    }
                    names.add(name);
                }
                String insert = "INSERT INTO " + table + " (" + String.join(", ", names) + ")"
                        + (hasIdentity ? Dialect.POSTGRESQL.identityOverride() : "")
                        + " VALUES (" + SqlLists.placeholders(count) + ")";
                try (PreparedStatement write = target.prepareStatement(insert)) {
                    int pending = 0;
                    while (rows.next()) {
                        for (int i = 1; i <= count; i++) {
                            bind(rows, i, columns.getColumnType(i), write, targetTypes.get(names.get(i - 1)));
                        }
                        write.addBatch();
                        copied++;
                        if (++pending == batchSize) {
                            write.executeBatch();
                            pending = 0;
                        }
                    }
                    if (pending > 0) {
                        write.executeBatch();
                    }
                }
            }
        }
        return copied;
    }

    /** Moves one value: large text and binary values as strings and bytes (both drivers accept those directly). */
    private static void bind(ResultSet rows, int index, int sourceType, PreparedStatement write, int targetType) throws SQLException {
        Object value = switch (sourceType) {
            case Types.CLOB, Types.NCLOB, Types.LONGVARCHAR -> rows.getString(index);
            case Types.BLOB, Types.VARBINARY, Types.BINARY, Types.LONGVARBINARY -> rows.getBytes(index);
            default -> rows.getObject(index);
        };
        if (value == null) {
            write.setNull(index, targetType);
        } else if (value instanceof byte[] bytes) {
            write.setBytes(index, bytes);
        } else {
            write.setObject(index, value);
        }
    }

    private static List<String> identityColumns(Connection source, String table) throws SQLException {
        List<String> identity = new ArrayList<>();
        try (ResultSet columns = source.getMetaData().getColumns(null, source.getSchema(), table, "%")) {
            while (columns.next()) {
                if ("YES".equals(columns.getString("IS_AUTOINCREMENT"))) {
                    identity.add(columns.getString("COLUMN_NAME"));
                }
            }
        }
        return identity;
    }

    /**
     * Continues each identity column where the source's would have: after the source's next value (which is past
     * rows since deleted, so no id is handed out twice), and never below the copied rows.
     */
    private static void restartIdentity(Connection source, Connection target, String table) throws SQLException {
        for (String column : identityColumns(source, table)) {
            long next = 1;
            try (PreparedStatement peek = source.prepareStatement(Dialect.DERBY.nextIdentityQuery())) {
                peek.setString(1, source.getSchema());
                peek.setString(2, table);
                try (ResultSet value = peek.executeQuery()) {
                    if (value.next() && value.getObject(1) != null) {
                        next = value.getLong(1);
                    }
                }
            }
            try (Statement max = target.createStatement();
                 ResultSet highest = max.executeQuery("SELECT MAX(" + column + ") FROM " + table)) {
                highest.next();
                next = Math.max(next, highest.getLong(1) + 1);
            }
            try (Statement restart = target.createStatement()) {
                restart.executeUpdate("ALTER TABLE " + table + " ALTER COLUMN " + column + " RESTART WITH " + next);
            }
        }
    }

    private static Report verify(Connection source, Database target, String version, List<String> tables) throws SQLException {
        List<TableCount> counts = new ArrayList<>();
        try (Connection connection = target.dataSource().getConnection()) {
            for (String table : tables) {
                counts.add(new TableCount(table.toLowerCase(Locale.ROOT), count(source, table), count(connection, table)));
            }
            AuditLog.Verification verification = new AuditLog(new Transactions(target.dataSource()), Clock.systemUTC()).verify();
            return new Report(version, counts, verification, auditHead(source).orElse(""), auditHead(connection).orElse(""));
        }
    }

    private static long count(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Optional<String> auditHead(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT last_hash FROM audit_head WHERE id = 1")) {
            return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
        }
    }
}
