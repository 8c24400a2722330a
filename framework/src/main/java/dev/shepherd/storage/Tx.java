package dev.shepherd.storage;

import java.sql.Connection;

/** One database transaction in progress: its connection, and work to do once it has committed. */
public interface Tx {

    /** @return the transaction's connection; do not commit or close it */
    Connection connection();

    /**
     * Runs an action after the transaction commits, on the committing thread; never if it rolls back.
     * Use it for what must not happen before the data is durable, such as publishing events.
     *
     * @param action the action
     */
    void afterCommit(Runnable action);
}
