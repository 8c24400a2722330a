package dev.shepherd.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/** One database transaction in progress: its connection, work to do just before it commits, and once it has. */
public interface Tx {

    /** Work done in the transaction's connection just before it commits. */
    @FunctionalInterface
    interface BeforeCommit {
        void run() throws SQLException;
    }

    /** @return the transaction's connection; do not commit or close it */
    Connection connection();

    /**
     * Runs an action after the transaction commits, on the committing thread; never if it rolls back.
     * Use it for what must not happen before the data is durable, such as publishing events.
     *
     * @param action the action
     */
    void afterCommit(Runnable action);

    /**
     * Runs work in the transaction once the caller's work has returned, just before the commit, in the order the
     * actions were added (an action may add more; they run after it). When one fails the transaction rolls back as if
     * the caller's work had failed. Use it for writes that are cheaper gathered, such as the events of the transaction.
     *
     * @param action the work
     */
    void beforeCommit(BeforeCommit action);

    /**
     * What a component keeps for the rest of this transaction (such as writes it gathers for {@link #beforeCommit}):
     * made by {@code create} on the first call with a key, the same object on later calls with that key. A retried
     * transaction starts with nothing kept.
     *
     * @param key the component's key, compared by identity
     * @param create makes the object on first use
     * @return the object kept under the key
     */
    <T> T kept(Object key, Supplier<T> create);
}
