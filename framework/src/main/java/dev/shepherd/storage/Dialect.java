package dev.shepherd.storage;

import com.zaxxer.hikari.HikariConfig;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What differs between the database engines the kernel store runs on. The store's SQL is written to be accepted by
 * both as it is (standard {@code FETCH FIRST}, identity columns, no engine-specific functions); what cannot be
 * written once lives here, in one place, rather than in scattered checks of the vendor.
 */
public enum Dialect {

    /** Embedded Apache Derby in the data directory: the zero-setup default. */
    DERBY("derby", "jdbc:derby:"),
    /** PostgreSQL 14 or newer: the production store. */
    POSTGRESQL("postgresql", "jdbc:postgresql:");

    /**
     * How long a statement waits for a row lock before it gives up (and its transaction is retried, see
     * {@link Transactions}). Below the plugin call timeout, so a device request fails cleanly rather than hanging.
     */
    static final int LOCK_WAIT_SECONDS = 10;

    private final String migrationFolder;
    private final String urlPrefix;

    Dialect(String migrationFolder, String urlPrefix) {
        this.migrationFolder = migrationFolder;
        this.urlPrefix = urlPrefix;
    }

    /**
     * The engine a JDBC URL names.
     *
     * @throws IllegalArgumentException for a database the kernel has no schema for
     */
    public static Dialect of(String jdbcUrl) {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        for (Dialect dialect : values()) {
            if (jdbcUrl.startsWith(dialect.urlPrefix)) {
                return dialect;
            }
        }
        String[] parts = jdbcUrl.split(":", 3);
        throw new IllegalArgumentException("names a database Shepherd has no schema for: "
                + (parts.length > 1 ? parts[1] : jdbcUrl) + " (supported: jdbc:derby:, jdbc:postgresql:)");
    }

    /** The folder under {@code db/migration/kernel/} with this engine's translation of the kernel migrations. */
    public String migrationFolder() {
        return migrationFolder;
    }

    /**
     * Settings every pooled connection gets. PostgreSQL waits for a lock indefinitely unless told otherwise; Derby's
     * lock timeouts are database properties, set once after migration ({@link Database}).
     */
    void configurePool(HikariConfig hikari) {
        if (this == POSTGRESQL) {
            hikari.setConnectionInitSql("SET lock_timeout = '" + LOCK_WAIT_SECONDS + "s'");
        }
    }

    /**
     * The engine behind a connection, from its URL.
     *
     * @throws SQLException when the connection cannot tell
     */
    public static Dialect of(Connection connection) throws SQLException {
        return of(connection.getMetaData().getURL());
    }

    /**
     * What a {@code SELECT} of queued rows ends with so that it claims them: on PostgreSQL {@code FOR UPDATE OF
     * <alias> SKIP LOCKED}, so the rows another transaction (another node) is handing out right now are skipped
     * rather than handed out a second time; on Derby nothing, since embedded Derby serves one node and its row locks
     * already make a second claimer wait.
     *
     * @param alias the alias of the claimed table in the query (PostgreSQL locks only its rows, never an outer join's)
     */
    public String claimRows(String alias) {
        return this == POSTGRESQL ? " FOR UPDATE OF " + alias + " SKIP LOCKED" : "";
    }

    /**
     * What an {@code INSERT} that gives identity columns their values (a copy keeping ids) says after its column
     * list: PostgreSQL refuses values for {@code GENERATED ALWAYS} columns unless told to take them; Derby never
     * takes them, so it cannot be the target of such a copy.
     *
     * @throws UnsupportedOperationException on Derby
     */
    public String identityOverride() {
        if (this == DERBY) {
            throw new UnsupportedOperationException("Derby never takes values for GENERATED ALWAYS identity columns");
        }
        return " OVERRIDING SYSTEM VALUE";
    }

    /**
     * A query for the value a table's identity column hands out next, with the schema and the table name as its
     * parameters (names as the engine's metadata spells them).
     *
     * @throws UnsupportedOperationException on PostgreSQL, which is never the source of a copy
     */
    public String nextIdentityQuery() {
        if (this == POSTGRESQL) {
            throw new UnsupportedOperationException("a copy's source is embedded Derby");
        }
        return "VALUES SYSCS_UTIL.SYSCS_PEEK_AT_IDENTITY(?, ?)";
    }

    /** The engine's name as operators know it, for logs. */
    public String displayName() {
        return this == DERBY ? "embedded Derby" : "PostgreSQL";
    }

    /**
     * Whether a failed statement broke an integrity constraint (a duplicate key, a missing referenced row, a NULL
     * where none is allowed): SQLState class 23 on both engines. PostgreSQL's driver reports these as plain
     * {@link SQLException}s, not as {@link java.sql.SQLIntegrityConstraintViolationException}, so callers test the
     * state rather than the exception's class. A batch's failure is looked for in its chained exceptions too.
     */
    public static boolean isConstraintViolation(SQLException e) {
        return hasState(e, "23");
    }

    /** Whether a failed statement referred to a row that does not exist (SQLState 23503 on both engines). */
    public static boolean isForeignKeyViolation(SQLException e) {
        return hasState(e, "23503");
    }

    private static boolean hasState(SQLException e, String statePrefix) {
        for (SQLException next = e; next != null; next = next.getNextException()) {
            for (Throwable cause = next; cause != null; cause = cause.getCause()) {
                if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith(statePrefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
