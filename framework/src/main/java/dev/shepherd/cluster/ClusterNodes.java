package dev.shepherd.cluster;

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
 * The nodes sharing the database (table {@code cluster_node}): each registers itself at start-up under an id unique to
 * its process and beats its heart with every lease renewal, so the nodes alive are those seen recently.
 */
public final class ClusterNodes {

    /**
     * A node as last seen.
     *
     * @param id unique to the process: the configured {@code node.name} and a random suffix
     * @param name the configured {@code node.name}
     * @param startedAt when it started
     * @param seenAt its last heartbeat
     */
    public record Node(String id, String name, Instant startedAt, Instant seenAt) {
        public Node {
            requireNonNull(id, "id is null");
            requireNonNull(name, "name is null");
            requireNonNull(startedAt, "startedAt is null");
            requireNonNull(seenAt, "seenAt is null");
        }
    }

    private final Transactions transactions;
    private final Clock clock;

    public ClusterNodes(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Registers a node, or records its heartbeat when registered already. */
    public void heartbeat(String id, String name) {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        Timestamp now = Timestamp.from(clock.instant());
        transactions.inTransaction("record this node's heartbeat", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("UPDATE cluster_node SET seen_at = ? WHERE node_id = ?")) {
                update.setTimestamp(1, now);
                update.setString(2, id);
                if (update.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO cluster_node (node_id, name, started_at, seen_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, id);
                insert.setString(2, name);
                insert.setTimestamp(3, now);
                insert.setTimestamp(4, now);
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** Removes a node that stops, and nodes not seen for the given time (they died without saying so). */
    public void forget(String id, Duration orNotSeenFor) {
        Timestamp before = Timestamp.from(clock.instant().minus(orNotSeenFor));
        transactions.inTransaction("forget stopped nodes", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM cluster_node WHERE node_id = ? OR seen_at < ?")) {
                delete.setString(1, id);
                delete.setTimestamp(2, before);
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** @return the nodes seen within the given time, by name */
    public List<Node> seenWithin(Duration within) {
        Timestamp since = Timestamp.from(clock.instant().minus(within));
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT node_id, name, started_at, seen_at FROM cluster_node WHERE seen_at >= ? ORDER BY name, node_id")) {
            select.setTimestamp(1, since);
            try (ResultSet rows = select.executeQuery()) {
                List<Node> nodes = new ArrayList<>();
                while (rows.next()) {
                    nodes.add(new Node(rows.getString(1), rows.getString(2), rows.getTimestamp(3).toInstant(), rows.getTimestamp(4).toInstant()));
                }
                return nodes;
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the cluster's nodes", e);
        }
    }
}
