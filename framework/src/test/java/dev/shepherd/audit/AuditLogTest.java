package dev.shepherd.audit;

import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The audit log in a real Derby store: appended with its change or not at all, and tamper-evident. */
class AuditLogTest {

    @TempDir
    Path home;
    private TestKernel kernel;
    private AuditLog audit;

    @BeforeEach
    void open() {
        kernel = TestKernel.open(home);
        audit = kernel.kernel().audit();
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void entriesAreNumberedWithoutGapsAndChained() {
        AuditEntry first = audit.append(record("one"));
        AuditEntry second = audit.append(record("two"));

        assertThat(first.seq()).isEqualTo(1);
        assertThat(first.previousHash()).isEqualTo(AuditLog.GENESIS_HASH);
        assertThat(second.seq()).isEqualTo(2);
        assertThat(second.previousHash()).isEqualTo(first.hash());
        assertThat(audit.verify().intact()).isTrue();
        assertThat(audit.verify().verifiedEntries()).isEqualTo(2);
    }

    @Test
    void anEntryIsKeptOrLostTogetherWithItsTransaction() {
        assertThatThrownBy(() -> kernel.kernel().transactions().inTransaction("fail after auditing", tx -> {
            audit.append(tx, record("rolled back"));
            throw new IllegalStateException("the change failed");
        })).isInstanceOf(IllegalStateException.class);

        audit.append(record("kept"));

        List<AuditEntry> entries = audit.read(AuditFilter.ALL, 0, 10);
        assertThat(entries).extracting(AuditEntry::targetId).containsExactly("kept");
        assertThat(entries.get(0).seq()).isEqualTo(1);
        assertThat(audit.verify().intact()).isTrue();
    }

    @Test
    void concurrentAppendsNeverForkTheChain() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 25; i++) {
                    audit.append(record("t" + thread + "-" + i));
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }

        AuditLog.Verification verification = audit.verify();
        assertThat(verification.intact()).isTrue();
        assertThat(verification.verifiedEntries()).isEqualTo(100);
    }

    @Test
    void alteringAnEntryIsDetected() throws SQLException {
        for (int i = 0; i < 5; i++) {
            audit.append(record("entry-" + i));
        }
        sql("UPDATE audit_entry SET actor_id = 'someone-else' WHERE seq = 3");

        AuditLog.Verification verification = audit.verify();

        assertThat(verification.intact()).isFalse();
        assertThat(verification.problem()).hasValue("entry 3 was altered");
        assertThat(verification.verifiedEntries()).isEqualTo(2);
    }

    @Test
    void removingAnEntryInTheMiddleOrAtTheEndIsDetected() throws SQLException {
        for (int i = 0; i < 5; i++) {
            audit.append(record("entry-" + i));
        }
        sql("DELETE FROM audit_entry WHERE seq = 5");
        assertThat(audit.verify().problem()).hasValueSatisfying(problem -> assertThat(problem).contains("were removed"));

        sql("DELETE FROM audit_entry WHERE seq = 2");
        assertThat(audit.verify().problem()).hasValue("entry 2 is missing");
    }

    @Test
    void entriesAreFilteredAndExported() {
        audit.append(new AuditRecord(Actor.admin("alice"), "device.update", "device", "d1", Optional.of("{}"), Optional.of("{\"a\":1}")));
        audit.append(new AuditRecord(Actor.admin("bob"), "device.update", "device", "d2", Optional.empty(), Optional.empty()));
        audit.append(new AuditRecord(Actor.admin("alice"), "policy.create", "policy", "p1", Optional.empty(), Optional.empty()));

        AuditFilter alice = new AuditFilter(Optional.of("alice"), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
        assertThat(audit.read(alice, 0, 10)).extracting(AuditEntry::targetId).containsExactly("d1", "p1");
        assertThat(audit.read(AuditFilter.ALL.withTarget("device", "d2"), 0, 10)).hasSize(1);
        assertThat(audit.read(AuditFilter.ALL, 1, 10)).extracting(AuditEntry::seq).containsExactly(2L, 3L);

        StringWriter exported = new StringWriter();
        audit.export(AuditFilter.ALL, entry -> exported.append(entry.action()).append('\n'));
        assertThat(exported.toString()).isEqualTo("device.update\ndevice.update\npolicy.create\n");
    }

    @Test
    void entriesAppendedTogetherAreChainedExactlyAsOneAfterAnother() {
        AuditEntry before = audit.append(record("before"));

        List<AuditEntry> together = kernel.kernel().transactions().inTransaction("append together", tx ->
                audit.appendAll(tx, List.of(record("a"), record("b"), record("c"))));
        AuditEntry after = audit.append(record("after"));

        assertThat(together).extracting(AuditEntry::seq).containsExactly(2L, 3L, 4L);
        assertThat(together.get(0).previousHash()).isEqualTo(before.hash());
        assertThat(together.get(1).previousHash()).isEqualTo(together.get(0).hash());
        assertThat(together.get(2).previousHash()).isEqualTo(together.get(1).hash());
        assertThat(after.previousHash()).isEqualTo(together.get(2).hash());
        assertThat(audit.read(AuditFilter.ALL, 0, 10)).extracting(AuditEntry::targetId).containsExactly("before", "a", "b", "c", "after");
        assertThat(audit.read(AuditFilter.ALL, 1, 3)).containsExactlyElementsOf(together);
        assertThat(audit.verify().intact()).isTrue();
        assertThat(audit.verify().verifiedEntries()).isEqualTo(5);
    }

    private static AuditRecord record(String target) {
        return new AuditRecord(Actor.admin("tester"), "test.action", "thing", target, Optional.empty(), Optional.of("{}"));
    }

    private void sql(String statement) throws SQLException {
        try (Connection connection = kernel.database().dataSource().getConnection(); Statement sql = connection.createStatement()) {
            sql.executeUpdate(statement);
        }
    }
}
