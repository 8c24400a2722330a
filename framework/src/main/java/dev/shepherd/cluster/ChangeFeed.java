package dev.shepherd.cluster;

import dev.shepherd.storage.SqlLists;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Tells every node which cached things changed, through the database (table {@code cluster_change}), so a change made
 * on one node reaches the caches of the others: a certificate revoked on node A is refused on node B, a password
 * changed on A no longer works on B. Works the same on Derby and PostgreSQL (no LISTEN/NOTIFY, which Derby lacks).
 *
 * <p>A change is {@linkplain #publish(Tx, String, String) written in the changing transaction}, so it is announced
 * exactly when it commits. Every node {@linkplain #poll() polls} the feed (the server every 250 ms) and hands each new
 * row to the topic's subscribers, its own rows included (dropping a cache entry twice is harmless). Sequence numbers
 * are handed out before commit, so a row may appear below one already seen (a slower transaction); the poll therefore
 * reads from the lowest sequence number not yet accounted for, and a gap counts as a rolled-back change only after
 * {@link #GAP_PATIENCE}. A node whose polls keep failing drops every subscriber's cache ({@link Subscriber#lost()}),
 * since it can no longer tell what changed.
 */
public final class ChangeFeed {

    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
    /** How long a hole in the sequence may be a transaction that has not committed yet; longer than any transaction. */
    static final Duration GAP_PATIENCE = Duration.ofSeconds(60);
    /** After this long without a successful poll, every cache is dropped once the feed is reachable again. */
    static final Duration LOST_AFTER = Duration.ofSeconds(5);
    private static final int MAX_ROWS_PER_POLL = 5000;
    /** Holes looked up per poll; more than that many transactions in flight or rolled back at once is not expected. */
    private static final int MAX_HOLES_PER_POLL = 500;
    private static final int MAX_KEY_LENGTH = 400;

    /** Drops cached copies when the feed says they changed. */
    public interface Subscriber {
        /** The thing cached under this key changed. */
        void changed(String key);

        /** Changes may have been missed: drop everything cached. */
        void lost();
    }

    private final Transactions transactions;
    private final Clock clock;
    private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final Object polling = new Object();
    /** Every sequence number at or below it has been handed to subscribers or given up as a rolled-back change. */
    private long floor = -1;
    /** Sequence numbers above the floor already handed on. */
    private final Set<Long> seenAboveFloor = new HashSet<>();
    /** Holes above the floor and when they were first noticed (in {@link System#nanoTime()}). */
    private final Map<Long, Long> gapsNoticed = new HashMap<>();
    /** The highest sequence number read so far: new rows are read above it, holes below it are looked up by number. */
    private long highestRead = -1;
    private long lastSuccessfulPoll = System.nanoTime();

    public ChangeFeed(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Hands the keys of a topic's changes to a subscriber, from the next poll on. */
    public void subscribe(String topic, Subscriber subscriber) {
        requireNonNull(topic, "topic is null");
        requireNonNull(subscriber, "subscriber is null");
        subscribers.computeIfAbsent(topic, any -> new CopyOnWriteArrayList<>()).add(subscriber);
    }

    /** Hands the keys of a topic's changes to a subscriber; {@code lost} drops everything it caches. */
    public void subscribe(String topic, Consumer<String> changed, Runnable lost) {
        requireNonNull(changed, "changed is null");
        requireNonNull(lost, "lost is null");
        subscribe(topic, new Subscriber() {
            @Override
            public void changed(String key) {
                changed.accept(key);
            }

            @Override
            public void lost() {
                lost.run();
            }
        });
    }

    /**
     * Announces a change in the changing transaction: every node hears of it once the transaction commits.
     *
     * @param topic what kind of thing changed (the cache's name)
     * @param key which one; cut to 400 characters, so a longer key must not be one the subscriber needs whole
     */
    public void publish(Tx tx, String topic, String key) throws SQLException {
        publish(requireNonNull(tx, "tx is null").connection(), topic, key);
    }

    /**
     * Announces changes to several items of one topic in the changing transaction, with one batched insert.
     *
     * @param keys which ones; each cut to 400 characters, as for {@link #publish(Tx, String, String)}
     */
    public void publishAll(Tx tx, String topic, List<String> keys) throws SQLException {
        requireNonNull(tx, "tx is null");
        requireNonNull(topic, "topic is null");
        requireNonNull(keys, "keys is null");
        keys.forEach(key -> requireNonNull(key, "a key is null"));
        if (!keys.isEmpty()) {
            insert(tx.connection(), topic, keys);
        }
    }

    /** Announces a change in the transaction of a connection a kernel transaction handed out. */
    public void publish(Connection transaction, String topic, String key) throws SQLException {
        requireNonNull(transaction, "transaction is null");
        requireNonNull(topic, "topic is null");
        requireNonNull(key, "key is null");
        insert(transaction, topic, List.of(key));
    }

    /** The feed's rows for changes to these items, one statement (a batch for several). */
    private void insert(Connection transaction, String topic, List<String> keys) throws SQLException {
        Timestamp now = Timestamp.from(clock.instant());
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO cluster_change (topic, item_key, changed_at) VALUES (?, ?, ?)")) {
            for (String key : keys) {
                insert.setString(1, topic);
                insert.setString(2, key.length() > MAX_KEY_LENGTH ? key.substring(0, MAX_KEY_LENGTH) : key);
                insert.setTimestamp(3, now);
                if (keys.size() == 1) {
                    insert.executeUpdate();
                } else {
                    insert.addBatch();
                }
            }
            if (keys.size() > 1) {
                insert.executeBatch();
            }
        }
    }

    /** Announces a change made outside a kernel transaction (the admin accounts' own store), in a transaction of its own. */
    public void publish(String topic, String key) {
        transactions.inTransaction("announce a change to the other nodes", tx -> {
            publish(tx, topic, key);
            return null;
        });
    }

    /**
     * Reads the changes other nodes (and this one) made since the last poll and hands them to the subscribers.
     * The first poll only finds where the feed stands: this node's caches start empty.
     *
     * @return how many changes were handed on
     */
    public int poll() {
        synchronized (polling) {
            try {
                int handed = floor < 0 ? start() : readNewRows();
                if (System.nanoTime() - lastSuccessfulPoll > LOST_AFTER.toNanos()) {
                    log.warn("The change feed could not be read for more than {} s; dropping every cached copy", LOST_AFTER.toSeconds());
                    subscribers.values().forEach(list -> list.forEach(ChangeFeed::lostQuietly));
                }
                lastSuccessfulPoll = System.nanoTime();
                return handed;
            } catch (SQLException e) {
                throw new StorageException("Cannot read the change feed", e);
            }
        }
    }

    private int start() throws SQLException {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT MAX(seq) FROM cluster_change");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            floor = rows.getLong(1); // 0 when empty
        }
        highestRead = floor;
        return 0;
    }

    private int readNewRows() throws SQLException {
        List<Change> changes = new ArrayList<>();
        try (Connection connection = transactions.dataSource().getConnection()) {
            // New rows are read above the highest one read, so a hole (a slow or rolled-back transaction) never holds
            // later changes back; the holes themselves are looked up by number until they fill or are given up.
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT seq, topic, item_key FROM cluster_change WHERE seq > ? ORDER BY seq FETCH FIRST " + MAX_ROWS_PER_POLL + " ROWS ONLY")) {
                select.setLong(1, highestRead);
                read(select, changes);
            }
            List<Long> holes = gapsNoticed.keySet().stream().sorted().limit(MAX_HOLES_PER_POLL).toList();
            if (!holes.isEmpty()) {
                try (PreparedStatement select = connection.prepareStatement("SELECT seq, topic, item_key FROM cluster_change WHERE seq IN ("
                        + SqlLists.placeholders(holes.size()) + ")")) {
                    for (int i = 0; i < holes.size(); i++) {
                        select.setLong(i + 1, holes.get(i));
                    }
                    read(select, changes);
                }
            }
        }
        int handed = 0;
        long previousHighest = highestRead;
        for (Change change : changes) {
            highestRead = Math.max(highestRead, change.seq());
            if (seenAboveFloor.add(change.seq())) {
                gapsNoticed.remove(change.seq());
                handed++;
                for (Subscriber subscriber : subscribers.getOrDefault(change.topic(), List.of())) {
                    try {
                        subscriber.changed(change.key());
                    } catch (RuntimeException e) {
                        log.warn("A subscriber to {} failed: {}", change.topic(), e.toString());
                    }
                }
            }
        }
        advanceFloor(previousHighest);
        return handed;
    }

    private static void read(PreparedStatement select, List<Change> into) throws SQLException {
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                into.add(new Change(rows.getLong(1), rows.getString(2), rows.getString(3)));
            }
        }
    }

    /**
     * Notes the holes among the numbers read this time (above {@code previousHighest}), then moves the floor over every
     * number seen and every hole older than the patience.
     */
    private void advanceFloor(long previousHighest) {
        long now = System.nanoTime();
        for (long seq = Math.max(floor, previousHighest) + 1; seq <= highestRead; seq++) {
            if (!seenAboveFloor.contains(seq)) {
                gapsNoticed.putIfAbsent(seq, now);
            }
        }
        while (floor < highestRead) {
            long next = floor + 1;
            if (seenAboveFloor.remove(next)) {
                floor = next;
                continue;
            }
            Long noticed = gapsNoticed.get(next);
            if (noticed != null && now - noticed > GAP_PATIENCE.toNanos()) {
                gapsNoticed.remove(next);
                floor = next;
                continue;
            }
            break;
        }
    }

    /** Deletes the feed's rows older than the given age, which every live node has long read. */
    public int prune(Duration olderThan) {
        Instant before = clock.instant().minus(olderThan);
        return transactions.inTransaction("prune the change feed", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM cluster_change WHERE changed_at < ?")) {
                delete.setTimestamp(1, Timestamp.from(before));
                return delete.executeUpdate();
            }
        });
    }

    private static void lostQuietly(Subscriber subscriber) {
        try {
            subscriber.lost();
        } catch (RuntimeException e) {
            log.warn("Dropping a cache failed: {}", e.toString());
        }
    }

    private record Change(long seq, String topic, String key) {
    }
}
