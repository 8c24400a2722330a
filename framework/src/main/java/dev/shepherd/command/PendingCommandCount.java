package dev.shepherd.command;

import dev.shepherd.storage.CountPace;
import dev.shepherd.storage.StorageException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * How many commands wait for their device (queued, sent and not yet answered, deferred), for dashboards. No index of
 * Derby's lists the waiting commands alone (one on {@code state} cost every state change two index writes, see V32),
 * so the count reads the table; it is therefore counted again at most every {@code maxAge}, and stands at least
 * {@value CountPace#COST_MULTIPLE} times as long as counting took ({@link CountPace}). On PostgreSQL it reads the partial
 * index of waiting commands.
 */
final class PendingCommandCount {

    private final DataSource dataSource;
    private final CountPace pace;
    private long count;

    PendingCommandCount(DataSource dataSource, Duration maxAge, LongSupplier nanoTime) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
        this.pace = new CountPace(maxAge, nanoTime);
    }

    /**
     * @return the last count, counted again first when it no longer stands
     * @throws StorageException when a due count fails
     */
    synchronized long get() {
        OptionalLong started = pace.startIfDue();
        if (started.isEmpty()) {
            return count;
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM command WHERE state IN ('QUEUED', 'SENT', 'NOT_NOW')");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            count = rows.getLong(1);
        } catch (SQLException e) {
            // Not paced: the next request counts again rather than being shown a count that was never made.
            throw new StorageException("Cannot count pending commands", e);
        }
        pace.finished(started.getAsLong());
        return count;
    }
}
