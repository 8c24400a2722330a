package dev.shepherd.testing;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.logging.Logger;

import static java.util.Objects.requireNonNull;

/**
 * Counts what the kernel asks of its store, by the thread that asks: statements executed (a batch counts once: one
 * round trip), transactions committed and connections taken from the pool. Put around a server's pool
 * ({@link TestServer} does it for every server), it lets a test hold a device's messages to a budget of statements and
 * commits, which, unlike timings, do not depend on how busy the machine is.
 */
public final class StoreUse {

    /** What the threads a test looks at asked of the store so far. */
    public record Counts(long statements, long commits, long checkouts) {

        /** What was asked between an earlier reading and this one. */
        public Counts since(Counts earlier) {
            return new Counts(statements - earlier.statements, commits - earlier.commits, checkouts - earlier.checkouts);
        }
    }

    private static final class ThreadCounts {
        final Map<String, LongAdder> bySql = new ConcurrentHashMap<>();
        final LongAdder statements = new LongAdder();
        final LongAdder commits = new LongAdder();
        final LongAdder checkouts = new LongAdder();
    }

    private final Map<String, ThreadCounts> byThread = new ConcurrentHashMap<>();

    /** The store's pool with every connection taken from it counted. */
    public DataSource around(DataSource pool) {
        return new CountingDataSource(requireNonNull(pool, "pool is null"));
    }

    /**
     * What the threads whose names pass the test asked of the store since the server started.
     *
     * @param threadName which threads count, by name (a plugin's calls run on {@code plugin-<id>-<n>})
     */
    public Counts of(Predicate<String> threadName) {
        long statements = 0;
        long commits = 0;
        long checkouts = 0;
        for (Map.Entry<String, ThreadCounts> thread : byThread.entrySet()) {
            if (threadName.test(thread.getKey())) {
                statements += thread.getValue().statements.sum();
                commits += thread.getValue().commits.sum();
                checkouts += thread.getValue().checkouts.sum();
            }
        }
        return new Counts(statements, commits, checkouts);
    }

    /**
     * The statements the threads whose names pass the test executed since the server started, by their SQL, so that a
     * test can say which ones a change in the counts concerns.
     */
    public Map<String, Long> statementsBySql(Predicate<String> threadName) {
        Map<String, Long> bySql = new TreeMap<>();
        for (Map.Entry<String, ThreadCounts> thread : byThread.entrySet()) {
            if (threadName.test(thread.getKey())) {
                thread.getValue().bySql.forEach((sql, count) -> bySql.merge(sql, count.sum(), Long::sum));
            }
        }
        return bySql;
    }

    /** What every thread asked of the store since the server started. */
    public Counts all() {
        return of(name -> true);
    }

    private ThreadCounts current() {
        return byThread.computeIfAbsent(Thread.currentThread().getName(), name -> new ThreadCounts());
    }

    /** SQL on one line, as long as it takes to tell statements apart. */
    private static String normalised(String sql) {
        String line = sql.replaceAll("\\s+", " ").strip();
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private final class CountingDataSource implements DataSource {

        private final DataSource pool;

        CountingDataSource(DataSource pool) {
            this.pool = pool;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return counted(pool.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return counted(pool.getConnection(username, password));
        }

        private Connection counted(Connection connection) {
            current().checkouts.increment();
            return (Connection) Proxy.newProxyInstance(StoreUse.class.getClassLoader(), new Class<?>[]{Connection.class},
                    new CountingConnection(connection));
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return type.isInstance(pool) ? type.cast(pool) : pool.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) throws SQLException {
            return type.isInstance(pool) || pool.isWrapperFor(type);
        }
    }

    /** A proxy's handler that is equal only to itself and passes every other call on, counted by the subclass. */
    private abstract static class Counting implements InvocationHandler {

        @Override
        public final Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> counted(method, args);
            };
        }

        abstract Object counted(Method method, Object[] args) throws Throwable;
    }

    /** A pooled connection whose commits are counted and whose statements count their executions. */
    private final class CountingConnection extends Counting {

        private final Connection connection;

        CountingConnection(Connection connection) {
            this.connection = connection;
        }

        @Override
        Object counted(Method method, Object[] args) throws Throwable {
            if (method.getName().equals("commit")) {
                current().commits.increment();
            }
            Object result = call(connection, method, args);
            if (result instanceof Statement statement && Statement.class.isAssignableFrom(method.getReturnType())) {
                String sql = args != null && args.length > 0 && args[0] instanceof String text ? text : null;
                return Proxy.newProxyInstance(StoreUse.class.getClassLoader(), new Class<?>[]{method.getReturnType()},
                        new CountingStatement(statement, sql));
            }
            return result;
        }
    }

    /** A statement that counts each execution (a batch once). */
    private final class CountingStatement extends Counting {

        private final Statement statement;
        /** The SQL it was prepared with; null for a plain statement, whose SQL comes with each execution. */
        private final String preparedSql;

        CountingStatement(Statement statement, String preparedSql) {
            this.statement = statement;
            this.preparedSql = preparedSql;
        }

        @Override
        Object counted(Method method, Object[] args) throws Throwable {
            if (method.getName().startsWith("execute")) {
                ThreadCounts counts = current();
                counts.statements.increment();
                String sql = preparedSql != null ? preparedSql
                        : args != null && args.length > 0 && args[0] instanceof String text ? text : "(batch)";
                counts.bySql.computeIfAbsent(normalised(sql), key -> new LongAdder()).increment();
            }
            return call(statement, method, args);
        }
    }
}
