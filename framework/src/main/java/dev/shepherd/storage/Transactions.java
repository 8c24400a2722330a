package dev.shepherd.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

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
    private final Counter commits;
    private final Counter rollbacks;
    private final Counter retries;
    private final Timer durations;

    /** Transactions whose meters go nowhere, for tools and tests that do not look at them. */
    public Transactions(DataSource dataSource) {
        this(dataSource, new CompositeMeterRegistry());
    }

    /** @param metrics where commits, rollbacks, retries and the time each transaction took are counted */
    public Transactions(DataSource dataSource, MeterRegistry metrics) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
        requireNonNull(metrics, "metrics is null");
        this.commits = Counter.builder("shepherd.db.commits").description("Kernel transactions committed").register(metrics);
        this.rollbacks = Counter.builder("shepherd.db.rollbacks").description("Kernel transactions rolled back").register(metrics);
        this.retries = Counter.builder("shepherd.db.retries")
                .description("Kernel transactions retried after the database chose them as a deadlock or lock-timeout victim")
                .register(metrics);
        this.durations = Timer.builder("shepherd.db.transactions")
                .description("Time from taking a connection to commit or rollback, per attempt").register(metrics);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** A read on one connection in auto-commit mode, outside any transaction. */
    @FunctionalInterface
    public interface Read<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Runs a read on a connection of its own.
     *
     * @param what what the read does, for error messages
     * @throws StorageException when the database fails
     */
    public <T> T read(String what, Read<T> read) {
        try (Connection connection = dataSource.getConnection()) {
            return read.run(connection);
        } catch (SQLException e) {
            throw new StorageException("Cannot " + what, e);
        }
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
            List<Tx.BeforeCommit> beforeCommit = new ArrayList<>();
            Map<Object, Object> kept = new IdentityHashMap<>();
            long start = System.nanoTime();
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

                        @Override
                        public void beforeCommit(Tx.BeforeCommit action) {
                            beforeCommit.add(requireNonNull(action, "action is null"));
                        }

                        @Override
                        @SuppressWarnings("unchecked")
                        public <K> K kept(Object key, Supplier<K> create) {
                            requireNonNull(key, "key is null");
                            requireNonNull(create, "create is null");
                            Object known = kept.get(key);
                            if (known == null) {
                                known = requireNonNull(create.get(), "create gave null");
                                kept.put(key, known);
                            }
                            return (K) known;
                        }
                    });
                    // By index: an action may add more, which run after it.
                    for (int i = 0; i < beforeCommit.size(); i++) {
                        beforeCommit.get(i).run();
                    }
                    connection.commit();
                    commits.increment();
                    durations.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
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
                    rollbacks.increment();
                    durations.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    throw e;
                }
            } catch (SQLException e) {
                if (isRetryable(e) && attempt < ATTEMPTS) {
                    retries.increment();
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

    /**
     * Whether a failure is a unique or primary key violation (SQLSTATE 23505 in Derby and PostgreSQL): another
     * transaction inserted the same key first, so the work may be retried to find that row.
     *
     * @param failure a failure of {@link #inTransaction}, or any throwable whose causes may hold the SQL exception
     * @return true when a cause is such a violation
     */
    public static boolean isUniqueViolation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Serialization failures and deadlock victims (40001; 40P01 in PostgreSQL) and lock timeouts (40XL1, 40XL2 in
     * Derby; 55P03 in PostgreSQL) may simply be retried.
     */
    static boolean isRetryable(SQLException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.equals("40001") || state.startsWith("40XL") || state.equals("40P01") || state.equals("55P03")) {
                    return true;
                }
            }
        }
        return false;
    }
}
