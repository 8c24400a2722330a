package dev.shepherd.security;

import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Browser sessions of admins, kept in the store so they survive a restart. Only hashes of the session id and of
 * its CSRF token are stored. A session ends after an hour without use or twelve hours in all. The self-service
 * portal's sessions of directory users are kept the same way in a table of their own ({@link #portal}), so a session
 * of one kind can never be taken for the other.
 */
public final class AdminSessions {

    static final Duration IDLE = Duration.ofHours(1);
    static final Duration LONGEST = Duration.ofHours(12);

    /**
     * A new session's secrets, for the cookie and for the client to echo in {@code X-CSRF-Token}.
     *
     * @param id the session id (the cookie's value)
     * @param csrfToken the CSRF token
     * @param expiresAt when it ends at the latest
     */
    public record Started(String id, String csrfToken, Instant expiresAt) {
        @Override
        public String toString() {
            return "Started[expiresAt=" + expiresAt + "]";
        }
    }

    /**
     * A live session.
     *
     * @param username whose: the admin's username, or for a portal session the directory user's id
     * @param csrfHash the hash of its CSRF token
     */
    public record Live(String username, String csrfHash) {
    }

    private final Transactions transactions;
    private final Clock clock;
    /** The table, and the column naming whose session it is: fixed names, never input. */
    private final String table;
    private final String owner;

    public AdminSessions(Transactions transactions, Clock clock) {
        this(transactions, clock, "admin_session", "username");
    }

    private AdminSessions(Transactions transactions, Clock clock, String table, String owner) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.table = table;
        this.owner = owner;
    }

    /**
     * The self-service portal's sessions ({@code portal_session}), whose owner is a directory user's id; they grant
     * nothing in the admin API, whose authenticator reads only admin sessions.
     */
    public static AdminSessions portal(Transactions transactions, Clock clock) {
        return new AdminSessions(transactions, clock, "portal_session", "user_id");
    }

    public Started start(String username, String remote) {
        String id = Secrets.random("");
        String csrf = Secrets.random("");
        Instant now = clock.instant();
        Instant expires = now.plus(LONGEST);
        transactions.inTransaction("start a session", tx -> {
            try (PreparedStatement insert = tx.connection().prepareStatement("""
                    INSERT INTO %s (id_hash, %s, csrf_hash, created_at, expires_at, last_seen_at, remote)
                    VALUES (?, ?, ?, ?, ?, ?, ?)""".formatted(table, owner))) {
                insert.setString(1, Secrets.sha256(id));
                insert.setString(2, username);
                insert.setString(3, Secrets.sha256(csrf));
                insert.setTimestamp(4, Timestamp.from(now));
                insert.setTimestamp(5, Timestamp.from(expires));
                insert.setTimestamp(6, Timestamp.from(now));
                insert.setString(7, remote.length() > 100 ? remote.substring(0, 100) : remote);
                insert.executeUpdate();
            }
            try (PreparedStatement expired = tx.connection().prepareStatement("DELETE FROM " + table + " WHERE expires_at < ? OR last_seen_at < ?")) {
                expired.setTimestamp(1, Timestamp.from(now));
                expired.setTimestamp(2, Timestamp.from(now.minus(IDLE)));
                expired.executeUpdate();
            }
            return null;
        });
        return new Started(id, csrf, expires);
    }

    /** The session a cookie stands for, if it is live; its idle clock is reset at most once a minute. */
    public Optional<Live> find(String id) {
        Instant now = clock.instant();
        String hash = Secrets.sha256(id);
        try (Connection connection = transactions.dataSource().getConnection()) {
            Live live;
            Instant lastSeen;
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + owner + ", csrf_hash, expires_at, last_seen_at FROM " + table + " WHERE id_hash = ?")) {
                select.setString(1, hash);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    lastSeen = rows.getTimestamp(4).toInstant();
                    if (!now.isBefore(rows.getTimestamp(3).toInstant()) || !now.isBefore(lastSeen.plus(IDLE))) {
                        return Optional.empty();
                    }
                    live = new Live(rows.getString(1), rows.getString(2));
                }
            }
            if (lastSeen.isBefore(now.minus(Duration.ofMinutes(1)))) {
                try (PreparedStatement touch = connection.prepareStatement("UPDATE " + table + " SET last_seen_at = ? WHERE id_hash = ?")) {
                    touch.setTimestamp(1, Timestamp.from(now));
                    touch.setString(2, hash);
                    touch.executeUpdate();
                }
            }
            return Optional.of(live);
        } catch (SQLException e) {
            throw new StorageException("Cannot read sessions", e);
        }
    }

    public void end(String id) {
        transactions.inTransaction("end a session", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM " + table + " WHERE id_hash = ?")) {
                delete.setString(1, Secrets.sha256(id));
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** Ends every session of an admin, for example when the account is disabled. */
    public void endAll(String username) {
        transactions.inTransaction("end sessions", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM " + table + " WHERE " + owner + " = ?")) {
                delete.setString(1, username);
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** Ends every session of an admin but one (the one that changed the password keeps working). */
    public void endAllExcept(String username, String keptId) {
        transactions.inTransaction("end other sessions", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement(
                    "DELETE FROM " + table + " WHERE " + owner + " = ? AND id_hash <> ?")) {
                delete.setString(1, username);
                delete.setString(2, Secrets.sha256(keptId));
                delete.executeUpdate();
            }
            return null;
        });
    }
}
