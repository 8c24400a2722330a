package dev.shepherd.security;

import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * Failed sign-ins counted in the database (table {@code sign_in_failure}), so a lockout holds whichever node an attacker
 * reaches. A subject ({@code user:<name>}, {@code address:<ip>}) has a count that starts again once a quiet spell as
 * long as its window has passed since its last failure, as a cache entry that expires after its last write would.
 */
public final class SignInFailures {

    private static final int MAX_SUBJECT_LENGTH = 400;

    private final Transactions transactions;
    private final Clock clock;

    public SignInFailures(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return the subject's failures, none when its last one is older than the window */
    public int count(String subject, Duration window) {
        Instant since = clock.instant().minus(window);
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT failures FROM sign_in_failure WHERE subject = ? AND last_failed >= ?")) {
            select.setString(1, bounded(subject));
            select.setTimestamp(2, Timestamp.from(since));
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getInt(1) : 0;
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read failed sign-ins", e);
        }
    }

    /**
     * Counts a failure, in one statement so failures arriving on several nodes at once are all counted.
     *
     * @return the subject's failures, this one included
     */
    public int record(String subject, Duration window) {
        String key = bounded(subject);
        Instant now = clock.instant();
        return transactions.inTransaction("count a failed sign-in", tx -> {
            Connection connection = tx.connection();
            if (!increment(connection, key, now, window)) {
                Savepoint savepoint = connection.setSavepoint();
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO sign_in_failure (subject, failures, last_failed) VALUES (?, 1, ?)")) {
                    insert.setString(1, key);
                    insert.setTimestamp(2, Timestamp.from(now));
                    insert.executeUpdate();
                    return 1;
                } catch (SQLException e) {
                    if (!Dialect.isConstraintViolation(e)) {
                        throw e;
                    }
                    // Another node counted the subject's first failure at the same moment: count on its row.
                    connection.rollback(savepoint);
                    increment(connection, key, now, window);
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT failures FROM sign_in_failure WHERE subject = ?")) {
                select.setString(1, key);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? rows.getInt(1) : 1;
                }
            }
        });
    }

    /** Forgets a subject's failures (a successful sign-in, an admin's unlock). */
    public void clear(String subject) {
        transactions.inTransaction("forget failed sign-ins", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM sign_in_failure WHERE subject = ?")) {
                delete.setString(1, bounded(subject));
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** Deletes the counts whose last failure is older than the given age; they no longer count. */
    public int prune(Duration olderThan) {
        Instant before = clock.instant().minus(olderThan);
        return transactions.inTransaction("prune failed sign-ins", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM sign_in_failure WHERE last_failed < ?")) {
                delete.setTimestamp(1, Timestamp.from(before));
                return delete.executeUpdate();
            }
        });
    }

    private static boolean increment(Connection connection, String key, Instant now, Duration window) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE sign_in_failure SET failures = CASE WHEN last_failed < ? THEN 1 ELSE failures + 1 END, last_failed = ?
                WHERE subject = ?""")) {
            update.setTimestamp(1, Timestamp.from(now.minus(window)));
            update.setTimestamp(2, Timestamp.from(now));
            update.setString(3, key);
            return update.executeUpdate() == 1;
        }
    }

    private static String bounded(String subject) {
        requireNonNull(subject, "subject is null");
        return subject.length() > MAX_SUBJECT_LENGTH ? subject.substring(0, MAX_SUBJECT_LENGTH) : subject;
    }
}
