package dev.shepherd.retention;

import com.sun.net.httpserver.HttpServer;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.config.ShepherdConfig.Retention;
import dev.shepherd.config.ShepherdConfig.RetentionRule;
import dev.shepherd.event.EventLog;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/** Retention through a real store (both engines): what each rule removes, what it never removes, the audit checkpoint. */
class RetentionServiceTest {

    private static final Duration WEEK = Duration.ofDays(7);

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private TestKernel test;
    private Kernel kernel;

    @BeforeEach
    void open() {
        test = TestKernel.open(home, clock);
        kernel = test.kernel();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void nothingIsRemovedUnlessConfigured() {
        DeviceId device = test.enrollId(Platform.IOS, "KEEP");
        finish(device, kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)));
        clock.advance(Duration.ofDays(3650));
        long events = count("event_log");
        long audit = count("audit_entry");

        RetentionService.Removed removed = service(Retention.KEEP_EVERYTHING).runOnce();

        assertThat(removed.any()).isFalse();
        assertThat(count("event_log")).isEqualTo(events);
        assertThat(count("command")).isEqualTo(1);
        assertThat(count("audit_entry")).isEqualTo(audit);
    }

    @Test
    void eventsOlderThanMaxAgeGoAndTheNewerStay() {
        test.enrollId(Platform.IOS, "OLD-1");
        test.enrollId(Platform.IOS, "OLD-2");
        long old = count("event_log");
        // Events carry the wall-clock time they were raised at (Event.of): the retention job's clock is put a week
        // after a moment between the old events and the new ones.
        Instant between = Instant.now();
        while (!Instant.now().isAfter(between)) {
            Thread.onSpinWait();
        }
        test.enrollId(Platform.IOS, "NEW-1");
        long newer = count("event_log") - old;

        RetentionService.Removed removed = new RetentionService(kernel.transactions(), kernel.audit(),
                Clock.fixed(between.plus(WEEK), ZoneOffset.UTC), rules(new RetentionRule(Optional.of(WEEK), Optional.empty()),
                RetentionRule.KEEP, RetentionRule.KEEP)).runOnce();

        assertThat(removed.events()).isEqualTo(old);
        assertThat(count("event_log")).isEqualTo(newer);
        assertThat(kernel.events().read(List.of(), 0, 100, false)).extracting(logged -> logged.event().occurredAt())
                .allSatisfy(at -> assertThat(at).isAfter(between));
    }

    @Test
    void eventsBeyondMaxCountGoOldestFirst() {
        for (int i = 0; i < 4; i++) {
            test.enrollId(Platform.IOS, "COUNTED-" + i);
        }
        List<Long> newestThree = kernel.events().read(List.of(), 0, 3, true).stream().map(EventLog.Logged::seq).toList();

        service(rules(new RetentionRule(Optional.empty(), Optional.of(3L)), RetentionRule.KEEP, RetentionRule.KEEP)).runOnce();

        assertThat(kernel.events().read(List.of(), 0, 100, false)).extracting(EventLog.Logged::seq)
                .containsExactlyInAnyOrderElementsOf(newestThree);
    }

    @Test
    void finishedCommandsGoWithTheirResultsButQueuedOnesStay() {
        DeviceId device = test.enrollId(Platform.IOS, "COMMANDED");
        CommandRecord answered = kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));
        finish(device, answered);
        CommandRecord cancelled = kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));
        kernel.commands().cancel(ADMIN, cancelled.command().id());
        clock.advance(WEEK.plusDays(1));
        CommandRecord recent = kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));
        finish(device, recent);
        CommandRecord queued = kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));

        RetentionService.Removed removed = service(rules(RetentionRule.KEEP, new RetentionRule(Optional.of(WEEK), Optional.empty()),
                RetentionRule.KEEP)).runOnce();

        assertThat(removed.commands()).isEqualTo(2);
        assertThat(kernel.commands().get(answered.command().id())).isEmpty();
        assertThat(kernel.commands().get(cancelled.command().id())).isEmpty();
        assertThat(kernel.commands().get(recent.command().id())).isPresent();
        assertThat(kernel.commands().get(queued.command().id())).isPresent();
    }

    @Test
    void onlyTheNewestMaxCountFinishedCommandsStay() {
        DeviceId device = test.enrollId(Platform.IOS, "MANY");
        for (int i = 0; i < 5; i++) {
            finish(device, kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)));
            clock.advance(Duration.ofMinutes(1));
        }
        CommandRecord waiting = kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));

        service(rules(RetentionRule.KEEP, new RetentionRule(Optional.empty(), Optional.of(2L)), RetentionRule.KEEP)).runOnce();

        assertThat(kernel.commands().history(device, Optional.empty(), 100)).extracting(record -> record.command().state())
                .containsExactlyInAnyOrder(CommandState.ACKNOWLEDGED, CommandState.ACKNOWLEDGED, CommandState.QUEUED);
        assertThat(kernel.commands().get(waiting.command().id())).isPresent();
    }

    @Test
    void deliveredWebhookDeliveriesGoButPendingOnesStay() throws IOException {
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try {
            kernel.webhooks().create(ADMIN, "SIEM", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                    List.of("device.enrolled"));
            test.enrollId(Platform.IOS, "HOOK-1");
            assertThat(kernel.webhooks().deliverDue()).isEqualTo(1);
            clock.advance(WEEK.plusDays(1));
            test.enrollId(Platform.IOS, "HOOK-2");

            RetentionService.Removed removed = service(new Retention(RetentionRule.KEEP, RetentionRule.KEEP,
                    new RetentionRule(Optional.of(WEEK), Optional.empty()), RetentionRule.KEEP, Duration.ofHours(1))).runOnce();

            assertThat(removed.webhookDeliveries()).isEqualTo(1);
            assertThat(count("webhook_delivery")).isEqualTo(1);
            assertThat(kernel.webhooks().deliverDue()).isEqualTo(1);
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void oldAuditEntriesGoOnlyBehindACheckpointAndTheRestStillVerifies() {
        for (int i = 0; i < 6; i++) {
            test.enrollId(Platform.IOS, "AUDITED-" + i);
        }
        long before = kernel.audit().verify().verifiedEntries();
        AuditLog.Verification whole = kernel.audit().verify();
        assertThat(whole.intact()).isTrue();

        RetentionService.Removed removed = service(rules(RetentionRule.KEEP, RetentionRule.KEEP,
                new RetentionRule(Optional.empty(), Optional.of(4L)))).runOnce();

        assertThat(removed.auditEntries()).isEqualTo(before - 4);
        AuditLog.Checkpoint checkpoint = kernel.audit().newestCheckpoint().orElseThrow();
        assertThat(checkpoint.throughSeq()).isEqualTo(before - 4);
        assertThat(checkpoint.removed()).isEqualTo(before - 4);
        // The checkpoint is in the chain, after the four entries kept.
        List<AuditEntry> remaining = kernel.audit().read(AuditFilter.ALL, 0, 100);
        assertThat(remaining).hasSize(5);
        assertThat(remaining.get(0).seq()).isEqualTo(checkpoint.throughSeq() + 1);
        assertThat(remaining.get(4).action()).isEqualTo(AuditLog.CHECKPOINT_ACTION);
        assertThat(remaining.get(4).after()).hasValueSatisfying(after -> assertThat(after).contains(checkpoint.lastHash()));
        AuditLog.Verification verification = kernel.audit().verify();
        assertThat(verification.intact()).isTrue();
        assertThat(verification.verifiedEntries()).isEqualTo(5);

        // New entries chain on; a second run removes more behind a newer checkpoint.
        test.enrollId(Platform.IOS, "AUDITED-LATER");
        service(rules(RetentionRule.KEEP, RetentionRule.KEEP, new RetentionRule(Optional.empty(), Optional.of(2L)))).runOnce();
        assertThat(kernel.audit().newestCheckpoint().orElseThrow().throughSeq()).isGreaterThan(checkpoint.throughSeq());
        assertThat(kernel.audit().verify().intact()).isTrue();
    }

    @Test
    void auditEntriesRemovedWithoutACheckpointOrBehindAForgedOneAreDetected() throws SQLException {
        for (int i = 0; i < 4; i++) {
            test.enrollId(Platform.IOS, "TAMPER-" + i);
        }
        service(rules(RetentionRule.KEEP, RetentionRule.KEEP, new RetentionRule(Optional.empty(), Optional.of(3L)))).runOnce();
        AuditLog.Checkpoint checkpoint = kernel.audit().newestCheckpoint().orElseThrow();
        long firstKept = checkpoint.throughSeq() + 1;
        String firstKeptHash = kernel.audit().read(AuditFilter.ALL, checkpoint.throughSeq(), 1).get(0).hash();

        // A forged checkpoint past the next entry, as if retention had removed it: the chain does not record it.
        execute("INSERT INTO audit_checkpoint (through_seq, last_hash, removed, created_at, audit_seq) VALUES ("
                + firstKept + ", '" + firstKeptHash + "', 1, CURRENT_TIMESTAMP, " + checkpoint.auditSeq() + ")");
        execute("DELETE FROM audit_entry WHERE seq = " + firstKept);

        AuditLog.Verification verification = kernel.audit().verify();
        assertThat(verification.intact()).isFalse();
        assertThat(verification.problem()).hasValueSatisfying(problem -> assertThat(problem).contains("checkpoint"));
    }

    @Test
    void anEntryRemovedAfterTheCheckpointIsDetected() throws SQLException {
        for (int i = 0; i < 4; i++) {
            test.enrollId(Platform.IOS, "GAP-" + i);
        }
        service(rules(RetentionRule.KEEP, RetentionRule.KEEP, new RetentionRule(Optional.empty(), Optional.of(3L)))).runOnce();
        long firstKept = kernel.audit().newestCheckpoint().orElseThrow().throughSeq() + 1;

        execute("DELETE FROM audit_entry WHERE seq = " + (firstKept + 1));

        assertThat(kernel.audit().verify().problem()).hasValue("entry " + (firstKept + 1) + " is missing");
    }

    private RetentionService service(Retention retention) {
        return new RetentionService(kernel.transactions(), kernel.audit(), clock, retention);
    }

    private static Retention rules(RetentionRule events, RetentionRule commands, RetentionRule audit) {
        return new Retention(events, commands, RetentionRule.KEEP, audit, Duration.ofHours(1));
    }

    private void finish(DeviceId device, CommandRecord issued) {
        kernel.commands().take(device, 10);
        kernel.commands().report(device, new CommandResult(issued.command().id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
    }

    private long count(String table) {
        try (Connection connection = test.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM " + table);
             ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = test.database().dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
