package dev.shepherd.cluster;

import dev.shepherd.storage.Dialect;
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
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Leases in the database (table {@code cluster_lease}): a lease is held by one node until it expires, and only its
 * holder can renew it. Taking and renewing are single conditional statements, so two nodes racing for a lease cannot
 * both get it: the update matches only a row this node holds or one that has expired, and the insert of a lease nobody
 * ever took fails on its primary key for all but one. Expiry times are written by the nodes' clocks, so the nodes'
 * clocks must agree to well within the renewal interval (NTP).
 */
public final class Leases {

    /**
     * A lease as the database has it.
     *
     * @param name what it is for
     * @param holder the node holding it (a {@link ClusterNodes} id)
     * @param acquiredAt when the holder took it
     * @param expiresAt when it runs out unless renewed
     */
    public record Lease(String name, String holder, Instant acquiredAt, Instant expiresAt) {
        public Lease {
            requireNonNull(name, "name is null");
            requireNonNull(holder, "holder is null");
            requireNonNull(acquiredAt, "acquiredAt is null");
            requireNonNull(expiresAt, "expiresAt is null");
        }
    }

    private final Transactions transactions;
    private final Clock clock;

    public Leases(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Takes a lease that is free or expired, or renews one this node holds.
     *
     * @param holder this node's id
     * @param ttl how long the lease lasts from now unless renewed
     * @return whether this node holds the lease now
     */
    public boolean tryAcquire(String name, String holder, Duration ttl) {
        requireNonNull(name, "name is null");
        requireNonNull(holder, "holder is null");
        requireNonNull(ttl, "ttl is null");
        Instant now = clock.instant();
        Timestamp expires = Timestamp.from(now.plus(ttl));
        return transactions.inTransaction("take the lease " + name, tx -> {
            try (PreparedStatement renew = tx.connection().prepareStatement("""
                    UPDATE cluster_lease SET expires_at = ?,
                           acquired_at = CASE WHEN holder = ? THEN acquired_at ELSE ? END, holder = ?
                    WHERE name = ? AND (holder = ? OR expires_at < ?)""")) {
                renew.setTimestamp(1, expires);
                renew.setString(2, holder);
                renew.setTimestamp(3, Timestamp.from(now));
                renew.setString(4, holder);
                renew.setString(5, name);
                renew.setString(6, holder);
                renew.setTimestamp(7, Timestamp.from(now));
                if (renew.executeUpdate() == 1) {
                    return true;
                }
            }
            if (exists(tx.connection(), name)) {
                return false; // held by another node, not expired
            }
            // Nobody ever took it. The insert runs in a savepoint: losing the race to another node's insert must not
            // abort the transaction (PostgreSQL refuses every statement after a failed one).
            var savepoint = tx.connection().setSavepoint();
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO cluster_lease (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, name);
                insert.setString(2, holder);
                insert.setTimestamp(3, Timestamp.from(now));
                insert.setTimestamp(4, expires);
                insert.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (Dialect.isConstraintViolation(e)) {
                    tx.connection().rollback(savepoint);
                    return false;
                }
                throw e;
            }
        });
    }

    /** Gives a lease up at once (a node stopping), so another node need not wait for it to expire. */
    public void release(String name, String holder) {
        transactions.inTransaction("give up the lease " + name, tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM cluster_lease WHERE name = ? AND holder = ?")) {
                delete.setString(1, name);
                delete.setString(2, holder);
                delete.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Forgets every lease, for a store only one process can open (embedded Derby): whoever held one before is gone,
     * so a restart after a crash need not wait for the leases to expire.
     */
    public void forgetAll() {
        transactions.inTransaction("forget the leases of an earlier process", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM cluster_lease")) {
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** @return every lease, expired ones included, by name */
    public List<Lease> all() {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT name, holder, acquired_at, expires_at FROM cluster_lease ORDER BY name");
             ResultSet rows = select.executeQuery()) {
            List<Lease> leases = new ArrayList<>();
            while (rows.next()) {
                leases.add(new Lease(rows.getString(1), rows.getString(2), rows.getTimestamp(3).toInstant(), rows.getTimestamp(4).toInstant()));
            }
            return leases;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the cluster's leases", e);
        }
    }

    private static boolean exists(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT 1 FROM cluster_lease WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }
}
