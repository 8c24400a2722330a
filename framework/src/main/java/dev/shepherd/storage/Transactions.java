package dev.shepherd.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Runs work in a database transaction: commit on success, roll back on any exception, retry when the database
 * chose this transaction as a deadlock or lock-timeout victim. When the work returns, what it wrote is durable.
 */
public final class Transactions {

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);
    private static final int ATTEMPTS = 5;

    /** Work inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    private final DataSource dataSource;

    public Transactions(DataSource dataSource) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * @param what what the work does, for error messages
     * @param work the work
     * @return what the work returned
     * @throws StorageException when the database fails
     */
    public <T> T inTransaction(String what, Work<T> work) {
        SQLException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            List<Runnable> afterCommit = new ArrayList<>();
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try {
                    T result = work.run(new Tx() {
                        @Override
                        public Connection connection() {
                            return connection;
                        }

                        @Override
                        public void afterCommit(Runnable action) {
                            afterCommit.add(requireNonNull(action, "action is null"));
                        }
                    });
                    connection.commit();
                    connection.setAutoCommit(true);
                    for (Runnable action : afterCommit) {
                        try {
                            action.run();
                        } catch (RuntimeException e) {
                            log.error("After-commit action of '{}' failed", what, e);
                        }
                    }
                    return result;
                } catch (SQLException | RuntimeException | Error e) {
                    rollback(connection);
                    throw e;
                }
            } catch (SQLException e) {
                if (isRetryable(e) && attempt < ATTEMPTS) {
                    last = e;
                    log.debug("Retrying '{}' after {}", what, e.getMessage());
                    continue;
                }
                throw new StorageException("Cannot " + what, e);
            }
        }
        throw new StorageException("Cannot " + what + " after " + ATTEMPTS + " attempts", last);
    }

    private static void rollback(Connection connection) {
        try {
            connection.rollback();
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            log.warn("Rollback failed: {}", e.getMessage());
        }
    }

    /** Deadlock victims (40001) and lock timeouts (40XL1, 40XL2 in Derby; 40P01 in PostgreSQL) may simply be retried. */
    static boolean isRetryable(SQLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.equals("40001") || state.startsWith("40XL") || state.equals("40P01")) {
                    return true;
                }
            }
        }
        return false;
    }
}
