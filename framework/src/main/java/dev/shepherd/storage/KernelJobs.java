package dev.shepherd.storage;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * One-time kernel jobs remembered in {@code kernel_job}, for the whole cluster: work such as sealing stored secrets or
 * filling in a new column for old rows, which must not run again once done.
 */
public final class KernelJobs {

    private KernelJobs() {
    }

    /** Whether the job is recorded as done. */
    public static boolean done(Tx tx, String job) throws SQLException {
        try (PreparedStatement select = tx.connection().prepareStatement("SELECT 1 FROM kernel_job WHERE name = ?")) {
            select.setString(1, requireNonNull(job, "job is null"));
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** Records the job as done, in the transaction of its last work, unless another node already has. */
    public static void markDone(Tx tx, String job, Instant at) throws SQLException {
        if (done(tx, job)) {
            return;
        }
        try (PreparedStatement insert = tx.connection().prepareStatement("INSERT INTO kernel_job (name, done_at) VALUES (?, ?)")) {
            insert.setString(1, job);
            insert.setTimestamp(2, Timestamp.from(requireNonNull(at, "at is null")));
            insert.executeUpdate();
        }
    }
}
