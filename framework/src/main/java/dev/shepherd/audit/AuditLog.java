package dev.shepherd.audit;

import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The append-only, tamper-evident audit log. Each entry's hash covers its fields and the previous entry's
 * hash, so changing, removing or reordering any entry breaks every hash after it, which {@link #verify()}
 * detects. Entries are appended inside the transaction of the change they record: both are kept or neither.
 */
public final class AuditLog {

    public static final String GENESIS_HASH = "0".repeat(64);
    /** The action of the entry that records a {@link Checkpoint}. */
    public static final String CHECKPOINT_ACTION = "audit.checkpoint";
    private static final int PAGE = 500;

    private final Transactions transactions;
    private final Clock clock;

    public AuditLog(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Appends an entry within the caller's transaction.
     *
     * @param tx the transaction of the change being recorded
     * @param record what to record
     * @return the stored entry
     */
    public AuditEntry append(Tx tx, AuditRecord record) throws SQLException {
        return appendAll(tx, List.of(requireNonNull(record, "record is null"))).get(0);
    }

    /**
     * Appends several entries within the caller's transaction, in their order, chained exactly as one
     * {@link #append(Tx, AuditRecord)} after another would chain them, but with the chain's tip locked, read and
     * moved once and the entries inserted in one batch.
     *
     * @param tx the transaction of the change being recorded
     * @param records what to record
     * @return the stored entries, in order
     */
    public List<AuditEntry> appendAll(Tx tx, List<AuditRecord> records) throws SQLException {
        requireNonNull(records, "records is null");
        records.forEach(record -> requireNonNull(record, "a record is null"));
        if (records.isEmpty()) {
            return List.of();
        }
        Connection connection = tx.connection();
        // Locks the chain's tip until this transaction ends: appends are serialised, the chain never forks.
        try (PreparedStatement bump = connection.prepareStatement("UPDATE audit_head SET last_seq = last_seq + ? WHERE id = 1")) {
            bump.setLong(1, records.size());
            bump.executeUpdate();
        }
        long seq;
        String previousHash;
        try (PreparedStatement head = connection.prepareStatement("SELECT last_seq, last_hash FROM audit_head WHERE id = 1");
             ResultSet rows = head.executeQuery()) {
            rows.next();
            seq = rows.getLong(1) - records.size();
            previousHash = rows.getString(2);
        }
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        List<AuditEntry> entries = new ArrayList<>(records.size());
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO audit_entry (seq, occurred_at, actor_kind, actor_id, action, target_type, target_id,
                                         before_state, after_state, prev_hash, entry_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (AuditRecord record : records) {
                seq++;
                AuditEntry unhashed = new AuditEntry(seq, at, record.actor().kind(), record.actor().id(), record.action(),
                        record.targetType(), record.targetId(), record.before(), record.after(), previousHash, "");
                String hash = hashOf(unhashed);
                insert.setLong(1, seq);
                insert.setTimestamp(2, Timestamp.from(at));
                insert.setString(3, record.actor().kind().name());
                insert.setString(4, record.actor().id());
                insert.setString(5, record.action());
                insert.setString(6, record.targetType());
                insert.setString(7, record.targetId());
                setClob(insert, 8, record.before());
                setClob(insert, 9, record.after());
                insert.setString(10, previousHash);
                insert.setString(11, hash);
                if (records.size() == 1) {
                    insert.executeUpdate();
                } else {
                    insert.addBatch();
                }
                entries.add(new AuditEntry(seq, at, record.actor().kind(), record.actor().id(), record.action(), record.targetType(),
                        record.targetId(), record.before(), record.after(), previousHash, hash));
                previousHash = hash;
            }
            if (records.size() > 1) {
                insert.executeBatch();
            }
        }
        try (PreparedStatement tip = connection.prepareStatement("UPDATE audit_head SET last_hash = ? WHERE id = 1")) {
            tip.setString(1, previousHash);
            tip.executeUpdate();
        }
        return entries;
    }

    /** Appends an entry in a transaction of its own, for actions that change nothing else in the store. */
    public AuditEntry append(AuditRecord record) {
        return transactions.inTransaction("append an audit entry", tx -> append(tx, record));
    }

    /**
     * Reads entries in order.
     *
     * @param filter which entries
     * @param afterSeq only entries after this position (the cursor), 0 for the first page
     * @param limit the most entries to return
     */
    public List<AuditEntry> read(AuditFilter filter, long afterSeq, int limit) {
        return read(filter, afterSeq, limit, false);
    }

    /**
     * Reads entries oldest or newest first.
     *
     * @param cursor oldest first: only entries after this position; newest first: only entries before it (0 for none)
     * @param newestFirst the order
     */
    public List<AuditEntry> read(AuditFilter filter, long cursor, int limit, boolean newestFirst) {
        StringBuilder sql = new StringBuilder("""
                SELECT seq, occurred_at, actor_kind, actor_id, action, target_type, target_id, before_state, after_state,
                       prev_hash, entry_hash FROM audit_entry""").append(newestFirst && cursor > 0 ? " WHERE seq < ?" : " WHERE seq > ?");
        List<Object> parameters = new ArrayList<>(List.of(cursor));
        filter.actorId().ifPresent(actor -> {
            sql.append(" AND actor_id = ?");
            parameters.add(actor);
        });
        filter.targetType().ifPresent(type -> {
            sql.append(" AND target_type = ?");
            parameters.add(type);
        });
        filter.targetId().ifPresent(id -> {
            sql.append(" AND target_id = ?");
            parameters.add(id);
        });
        filter.action().ifPresent(action -> {
            sql.append(" AND action = ?");
            parameters.add(action);
        });
        filter.from().ifPresent(from -> {
            sql.append(" AND occurred_at >= ?");
            parameters.add(Timestamp.from(from));
        });
        filter.until().ifPresent(until -> {
            sql.append(" AND occurred_at < ?");
            parameters.add(Timestamp.from(until));
        });
        sql.append(" ORDER BY seq").append(newestFirst ? " DESC" : "").append(" FETCH FIRST ").append(Math.max(1, Math.min(limit, 10_000)))
                .append(" ROWS ONLY");
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<AuditEntry> entries = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    entries.add(entryOf(rows));
                }
            }
            return entries;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the audit log", e);
        }
    }

    /** Streams every matching entry in order, a page at a time, for export. */
    public void export(AuditFilter filter, Consumer<AuditEntry> sink) {
        long after = 0;
        while (true) {
            List<AuditEntry> page = read(filter, after, PAGE);
            page.forEach(sink);
            if (page.size() < PAGE) {
                return;
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    /**
     * Recomputes the chain: from the genesis, or, when retention removed its oldest entries, from the newest
     * {@linkplain #checkpoint(Tx, long) checkpoint}, whose own record in the chain must be there and name it.
     *
     * @return the verdict: intact with the number of entries, or the first entry whose hash or link is wrong
     */
    public Verification verify() {
        Optional<Checkpoint> checkpoint = newestCheckpoint();
        long start = checkpoint.map(Checkpoint::throughSeq).orElse(0L);
        String expectedPrevious = checkpoint.map(Checkpoint::lastHash).orElse(GENESIS_HASH);
        long expectedSeq = start + 1;
        long after = start;
        boolean checkpointRecorded = checkpoint.isEmpty();
        while (true) {
            List<AuditEntry> page = read(AuditFilter.ALL, after, PAGE);
            for (AuditEntry entry : page) {
                if (entry.seq() != expectedSeq) {
                    return new Verification(false, expectedSeq - 1 - start, Optional.of("entry " + expectedSeq + " is missing"));
                }
                if (!entry.previousHash().equals(expectedPrevious)) {
                    return new Verification(false, expectedSeq - 1 - start, Optional.of("entry " + entry.seq()
                            + (entry.seq() == start + 1 ? " does not link to the checkpoint through entry " + start
                            : " does not link to entry " + (entry.seq() - 1))));
                }
                if (!hashOf(entry).equals(entry.hash())) {
                    return new Verification(false, expectedSeq - 1 - start, Optional.of("entry " + entry.seq() + " was altered"));
                }
                if (checkpoint.isPresent() && entry.seq() == checkpoint.get().auditSeq()) {
                    checkpointRecorded = checkpoint.get().isRecordedBy(entry);
                }
                expectedPrevious = entry.hash();
                expectedSeq++;
            }
            if (page.size() < PAGE) {
                break;
            }
            after = page.get(page.size() - 1).seq();
        }
        long verified = expectedSeq - 1 - start;
        if (!checkpointRecorded) {
            return new Verification(false, verified, Optional.of("the checkpoint through entry " + start
                    + " is not the one the chain records: entries before it were removed without one"));
        }
        String tip = headHash();
        if (!tip.equals(expectedPrevious)) {
            return new Verification(false, verified, Optional.of("the log ends before its recorded tip: entries after " + (expectedSeq - 1) + " were removed"));
        }
        return new Verification(true, verified, Optional.empty());
    }

    /**
     * Removes the oldest entries, through {@code throughSeq}, behind a checkpoint, in the caller's transaction: the
     * checkpoint keeps the hash of entry {@code throughSeq}, which the next entry links to, so the rest of the chain
     * still verifies; and the checkpoint is itself appended to the chain (action {@value #CHECKPOINT_ACTION}), so
     * entries cannot be removed quietly by adding one.
     *
     * @param throughSeq the newest entry to remove (at most the chain's tip)
     * @return the checkpoint, or empty when no entry after the newest checkpoint is that old
     */
    public Optional<Checkpoint> checkpoint(Tx tx, long throughSeq) throws SQLException {
        Connection connection = tx.connection();
        // Holds the chain's tip until the transaction ends, as an append does: nothing is appended meanwhile.
        long tip;
        try (PreparedStatement lock = connection.prepareStatement("UPDATE audit_head SET last_seq = last_seq WHERE id = 1")) {
            lock.executeUpdate();
        }
        try (PreparedStatement head = connection.prepareStatement("SELECT last_seq FROM audit_head WHERE id = 1");
             ResultSet rows = head.executeQuery()) {
            rows.next();
            tip = rows.getLong(1);
        }
        long previous = newestCheckpoint(connection).map(Checkpoint::throughSeq).orElse(0L);
        long through = Math.min(throughSeq, tip);
        if (through <= previous) {
            return Optional.empty();
        }
        String lastHash;
        try (PreparedStatement select = connection.prepareStatement("SELECT entry_hash FROM audit_entry WHERE seq = ?")) {
            select.setLong(1, through);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    throw new StorageException("Cannot checkpoint the audit log: entry " + through + " is missing", new SQLException("no row"));
                }
                lastHash = rows.getString(1);
            }
        }
        long removed;
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM audit_entry WHERE seq > ? AND seq <= ?")) {
            delete.setLong(1, previous);
            delete.setLong(2, through);
            removed = delete.executeUpdate();
        }
        AuditEntry record = append(tx, new AuditRecord(Actor.SYSTEM, CHECKPOINT_ACTION, "audit", Long.toString(through),
                Optional.empty(), Optional.of(Checkpoint.recordOf(through, lastHash, removed))));
        Checkpoint checkpoint = new Checkpoint(through, lastHash, removed, record.occurredAt(), record.seq());
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO audit_checkpoint (through_seq, last_hash, removed, created_at, audit_seq) VALUES (?, ?, ?, ?, ?)")) {
            insert.setLong(1, through);
            insert.setString(2, lastHash);
            insert.setLong(3, removed);
            insert.setTimestamp(4, Timestamp.from(checkpoint.createdAt()));
            insert.setLong(5, checkpoint.auditSeq());
            insert.executeUpdate();
        }
        return Optional.of(checkpoint);
    }

    /** @return the newest checkpoint, empty while the chain is whole from its genesis */
    public Optional<Checkpoint> newestCheckpoint() {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return newestCheckpoint(connection);
        } catch (SQLException e) {
            throw new StorageException("Cannot read the audit log's checkpoint", e);
        }
    }

    private static Optional<Checkpoint> newestCheckpoint(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT through_seq, last_hash, removed, created_at, audit_seq FROM audit_checkpoint
                ORDER BY through_seq DESC FETCH FIRST 1 ROWS ONLY""");
             ResultSet rows = select.executeQuery()) {
            if (!rows.next()) {
                return Optional.empty();
            }
            return Optional.of(new Checkpoint(rows.getLong(1), rows.getString(2), rows.getLong(3), rows.getTimestamp(4).toInstant(),
                    rows.getLong(5)));
        }
    }

    /**
     * Where the audit chain starts after retention removed its oldest entries.
     *
     * @param throughSeq the newest entry removed
     * @param lastHash that entry's hash, which the next entry links to
     * @param removed how many entries this checkpoint removed
     * @param createdAt when
     * @param auditSeq the entry recording this checkpoint in the chain
     */
    public record Checkpoint(long throughSeq, String lastHash, long removed, Instant createdAt, long auditSeq) {
        public Checkpoint {
            requireNonNull(lastHash, "lastHash is null");
            requireNonNull(createdAt, "createdAt is null");
        }

        static String recordOf(long throughSeq, String lastHash, long removed) {
            return "{\"throughSeq\":" + throughSeq + ",\"lastHash\":\"" + lastHash + "\",\"removed\":" + removed + "}";
        }

        boolean isRecordedBy(AuditEntry entry) {
            return entry.action().equals(CHECKPOINT_ACTION) && entry.targetId().equals(Long.toString(throughSeq))
                    && entry.after().equals(Optional.of(recordOf(throughSeq, lastHash, removed)));
        }
    }

    /**
     * The outcome of {@link #verify()}.
     *
     * @param intact whether every entry checks out
     * @param verifiedEntries how many entries were verified before the first problem
     * @param problem the first problem found
     */
    public record Verification(boolean intact, long verifiedEntries, Optional<String> problem) {
    }

    private String headHash() {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement head = connection.prepareStatement("SELECT last_hash FROM audit_head WHERE id = 1");
             ResultSet rows = head.executeQuery()) {
            rows.next();
            return rows.getString(1);
        } catch (SQLException e) {
            throw new StorageException("Cannot read the audit log's tip", e);
        }
    }

    /** SHA-256 over every field, each length-prefixed so no two different entries serialise alike. */
    static String hashOf(AuditEntry entry) {
        StringBuilder canonical = new StringBuilder();
        for (String field : List.of(Long.toString(entry.seq()), entry.occurredAt().toString(), entry.actorKind().name(),
                entry.actorId(), entry.action(), entry.targetType(), entry.targetId(), entry.before().orElse("\u0000"),
                entry.after().orElse("\u0000"), entry.previousHash())) {
            canonical.append(field.length()).append(':').append(field).append(';');
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static AuditEntry entryOf(ResultSet rows) throws SQLException {
        return new AuditEntry(rows.getLong(1), rows.getTimestamp(2).toInstant(), Actor.Kind.valueOf(rows.getString(3)),
                rows.getString(4), rows.getString(5), rows.getString(6), rows.getString(7),
                Optional.ofNullable(rows.getString(8)), Optional.ofNullable(rows.getString(9)), rows.getString(10),
                rows.getString(11));
    }

    private static void setClob(PreparedStatement statement, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            statement.setString(index, value.get());
        } else {
            statement.setNull(index, Types.CLOB);
        }
    }
}
