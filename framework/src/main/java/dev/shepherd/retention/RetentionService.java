package dev.shepherd.retention;

import dev.shepherd.api.command.CommandState;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Removes what the operator chose not to keep ({@code retention.*}): old event-log entries, finished commands (their
 * results are in their rows) with the fan-outs left without commands, delivered and failed webhook deliveries, and,
 * only when configured, the oldest audit entries behind a checkpoint ({@link AuditLog#checkpoint}) so the chain that
 * remains still verifies. Queued and in-flight commands, pending deliveries and the commands that end a device's
 * management are never removed. Work is done in chunks of {@value #CHUNK} rows, one short transaction each, so the
 * device loop is never held up; {@link #runOnce()} is what the periodic job calls.
 */
public final class RetentionService {

    private static final Logger log = LoggerFactory.getLogger(RetentionService.class);
    static final int CHUNK = 1000;
    private static final String FINISHED = Arrays.stream(CommandState.values()).filter(CommandState::isFinal)
            .map(state -> "'" + state.name() + "'").collect(Collectors.joining(", ", "(", ")"));

    private final Transactions transactions;
    private final AuditLog audit;
    private final Clock clock;
    private final ShepherdConfig.Retention retention;

    public RetentionService(Transactions transactions, AuditLog audit, Clock clock, ShepherdConfig.Retention retention) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.retention = requireNonNull(retention, "retention is null");
    }

    /**
     * What one run removed.
     *
     * @param events event-log entries
     * @param commands finished commands
     * @param batches fan-outs whose commands were all removed
     * @param webhookDeliveries delivered or failed webhook deliveries
     * @param auditEntries audit entries, behind checkpoints
     */
    public record Removed(long events, long commands, long batches, long webhookDeliveries, long auditEntries) {
        /** @return whether anything was removed */
        public boolean any() {
            return events + commands + batches + webhookDeliveries + auditEntries > 0;
        }
    }

    /** Applies every configured rule once, to the end; what is not configured is kept. */
    public Removed runOnce() {
        Instant now = clock.instant();
        long events = retention.events().removesAnything() ? removeEvents(now) : 0;
        long commands = retention.commands().removesAnything() ? removeCommands(now) : 0;
        long batches = retention.commands().removesAnything() ? removeEmptyBatches(now) : 0;
        long deliveries = retention.webhookDeliveries().removesAnything() ? removeDeliveries(now) : 0;
        long auditEntries = retention.audit().removesAnything() ? removeAuditEntries(now) : 0;
        Removed removed = new Removed(events, commands, batches, deliveries, auditEntries);
        if (removed.any()) {
            log.info("Retention removed {} event(s), {} finished command(s), {} fan-out(s), {} webhook delivery(ies), {} audit entry(ies)",
                    events, commands, batches, deliveries, auditEntries);
        }
        return removed;
    }

    /** The event log in seq order: the oldest entries while they are too old or beyond the newest maxCount. */
    private long removeEvents(Instant now) {
        ShepherdConfig.RetentionRule rule = retention.events();
        long beyondCount = rule.maxCount().map(count -> seqAfterNewest("event_log", "seq", count)).orElse(0L);
        Optional<Instant> cutoff = rule.maxAge().map(now::minus);
        long removed = 0;
        while (true) {
            long through = throughSeq("SELECT seq, occurred_at FROM event_log ORDER BY seq FETCH FIRST " + CHUNK + " ROWS ONLY",
                    beyondCount, cutoff);
            if (through == 0) {
                return removed;
            }
            int deleted = transactions.inTransaction("remove old events", tx -> {
                try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM event_log WHERE seq <= ?")) {
                    delete.setLong(1, through);
                    return delete.executeUpdate();
                }
            });
            removed += deleted;
            if (deleted < CHUNK) {
                return removed;
            }
        }
    }

    /** The audit log likewise, each chunk behind a checkpoint of its own. */
    private long removeAuditEntries(Instant now) {
        ShepherdConfig.RetentionRule rule = retention.audit();
        long beyondCount = rule.maxCount().map(count -> seqAfterNewest("audit_entry", "seq", count)).orElse(0L);
        Optional<Instant> cutoff = rule.maxAge().map(now::minus);
        long removed = 0;
        while (true) {
            long through = throughSeq("SELECT seq, occurred_at FROM audit_entry ORDER BY seq FETCH FIRST " + CHUNK + " ROWS ONLY",
                    beyondCount, cutoff);
            if (through == 0) {
                return removed;
            }
            Optional<AuditLog.Checkpoint> checkpoint = transactions.inTransaction("checkpoint the audit log",
                    tx -> audit.checkpoint(tx, through));
            if (checkpoint.isEmpty()) {
                return removed;
            }
            removed += checkpoint.get().removed();
            if (checkpoint.get().removed() < CHUNK) {
                return removed;
            }
        }
    }

    /**
     * The seq of the newest row among the oldest chunk that goes: rows go from the oldest on while their seq is at or
     * below {@code beyondCount} or they are older than the cutoff; 0 when the oldest row stays.
     */
    private long throughSeq(String oldestChunk, long beyondCount, Optional<Instant> cutoff) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(oldestChunk);
             ResultSet rows = select.executeQuery()) {
            long through = 0;
            while (rows.next()) {
                long seq = rows.getLong(1);
                Instant at = rows.getTimestamp(2).toInstant();
                if (seq <= beyondCount || cutoff.filter(at::isBefore).isPresent()) {
                    through = seq;
                } else {
                    break;
                }
            }
            return through;
        } catch (SQLException e) {
            throw new StorageException("Cannot read the oldest rows for retention", e);
        }
    }

    /** The highest seq that is not among the newest {@code count} rows, 0 when there are no more rows than that. */
    private long seqAfterNewest(String table, String seqColumn, long count) {
        return queryLong("SELECT " + seqColumn + " FROM " + table + " ORDER BY " + seqColumn + " DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY",
                List.of(count)).orElse(0L);
    }

    /**
     * Finished commands older than maxAge (by completion) or beyond the newest maxCount finished ones, except the
     * commands that end a device's management, which stay as the record of the ending.
     */
    private long removeCommands(Instant now) {
        ShepherdConfig.RetentionRule rule = retention.commands();
        Optional<Instant> countCutoff = rule.maxCount().flatMap(count -> queryInstant("SELECT completed_at FROM command WHERE state IN "
                + FINISHED + " AND completed_at IS NOT NULL ORDER BY completed_at DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY", List.of(count)));
        Optional<Instant> ageCutoff = rule.maxAge().map(now::minus);
        // Completed at or before the count cutoff, or before the age cutoff: whichever reaches further.
        Optional<Instant> cutoff = newest(countCutoff.map(at -> at.plusNanos(1000)), ageCutoff);
        if (cutoff.isEmpty()) {
            return 0;
        }
        return removeByIds("SELECT id FROM command WHERE state IN " + FINISHED + " AND completed_at < ? AND ends_management = 0"
                + " FETCH FIRST " + CHUNK + " ROWS ONLY", cutoff.get(), "DELETE FROM command WHERE id = ?", "remove finished commands");
    }

    /** Fan-outs whose commands were all written and have all been removed; never one still being written. */
    private long removeEmptyBatches(Instant now) {
        Instant cutoff = retention.commands().maxAge().map(now::minus).orElse(now);
        return removeByIds("SELECT id FROM command_batch b WHERE state <> 'MATERIALIZING' AND created_at < ?"
                        + " AND NOT EXISTS (SELECT 1 FROM command c WHERE c.batch_id = b.id) FETCH FIRST " + CHUNK + " ROWS ONLY",
                cutoff, "DELETE FROM command_batch WHERE id = ?", "remove finished fan-outs");
    }

    /** Delivered and failed webhook deliveries (pending ones are still being tried) by age of creation or count. */
    private long removeDeliveries(Instant now) {
        ShepherdConfig.RetentionRule rule = retention.webhookDeliveries();
        Optional<Instant> countCutoff = rule.maxCount().flatMap(count -> queryInstant("SELECT created_at FROM webhook_delivery"
                + " WHERE state <> 'PENDING' ORDER BY created_at DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY", List.of(count)));
        Optional<Instant> cutoff = newest(countCutoff.map(at -> at.plusNanos(1000)), rule.maxAge().map(now::minus));
        if (cutoff.isEmpty()) {
            return 0;
        }
        return removeByIds("SELECT id FROM webhook_delivery WHERE state <> 'PENDING' AND created_at < ? FETCH FIRST " + CHUNK
                + " ROWS ONLY", cutoff.get(), "DELETE FROM webhook_delivery WHERE id = ?", "remove old webhook deliveries");
    }

    private static Optional<Instant> newest(Optional<Instant> first, Optional<Instant> second) {
        if (first.isEmpty()) {
            return second;
        }
        if (second.isEmpty()) {
            return first;
        }
        return Optional.of(first.get().isAfter(second.get()) ? first.get() : second.get());
    }

    /** Chunk by chunk: the ids a query finds (bound to the cutoff), deleted in one batch and transaction each. */
    private long removeByIds(String selectIds, Instant cutoff, String deleteById, String what) {
        long removed = 0;
        while (true) {
            int deleted = transactions.inTransaction(what, tx -> {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement select = tx.connection().prepareStatement(selectIds)) {
                    select.setTimestamp(1, Timestamp.from(cutoff));
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            ids.add(rows.getString(1));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    return 0;
                }
                try (PreparedStatement delete = tx.connection().prepareStatement(deleteById)) {
                    for (String id : ids) {
                        delete.setString(1, id);
                        delete.addBatch();
                    }
                    int count = 0;
                    for (int result : delete.executeBatch()) {
                        count += Math.max(result, 0);
                    }
                    return count;
                }
            });
            removed += deleted;
            if (deleted < CHUNK) {
                return removed;
            }
        }
    }

    private Optional<Long> queryLong(String sql, List<Object> parameters) {
        return query(sql, parameters, rows -> rows.getLong(1));
    }

    private Optional<Instant> queryInstant(String sql, List<Object> parameters) {
        return query(sql, parameters, rows -> rows.getTimestamp(1).toInstant());
    }

    private interface Column<T> {
        T read(ResultSet rows) throws SQLException;
    }

    private <T> Optional<T> query(String sql, List<Object> parameters, Column<T> column) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(column.read(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read what retention keeps", e);
        }
    }
}
