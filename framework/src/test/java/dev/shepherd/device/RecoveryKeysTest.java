package dev.shepherd.device;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Escrowed recovery keys through a real Derby store: sealed, deduplicated, rotated with history, every read audited. */
class RecoveryKeysTest {

    private static final Actor MACOS = Actor.plugin("apple-macos");

    @TempDir
    Path home;
    private TestKernel test;
    private RecoveryKeys keys;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        keys = test.kernel().recoveryKeys();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aKeyIsKeptSealedReportedAgainOnceAndARotatedKeyBecomesCurrentWithTheOldOneBehind() throws Exception {
        DeviceId mac = test.enrollId(Platform.MACOS, "MAC-1");

        assertThat(keys.escrow(MACOS, mac, "filevault-personal", "AAAA-BBBB-CCCC")).isTrue();
        assertThat(keys.escrow(MACOS, mac, "filevault-personal", "AAAA-BBBB-CCCC")).isFalse();
        assertThat(keys.escrow(MACOS, mac, "filevault-personal", "DDDD-EEEE-FFFF")).isTrue();

        List<RecoveryKeys.Escrowed> read = keys.read(ADMIN, mac);
        assertThat(read).singleElement().satisfies(escrowed -> {
            assertThat(escrowed.current().key()).isEqualTo("DDDD-EEEE-FFFF");
            assertThat(escrowed.previous()).extracting(RecoveryKeys.RecoveryKey::key).containsExactly("AAAA-BBBB-CCCC");
        });
        assertThat(stored(mac)).hasSize(2).noneMatch(sealed -> sealed.contains("AAAA") || sealed.contains("DDDD"));
    }

    @Test
    void everyReadIsAuditedWithoutTheKeyAndADeviceWithoutKeysReadsEmpty() {
        DeviceId mac = test.enrollId(Platform.MACOS, "MAC-2");
        assertThat(keys.read(ADMIN, mac)).isEmpty();
        keys.escrow(MACOS, mac, "filevault-personal", "SECRET-KEY-1");

        keys.read(ADMIN, mac);
        keys.read(ADMIN, mac);

        List<AuditEntry> audited = test.kernel().audit().read(new AuditFilter(Optional.empty(), Optional.of("device"),
                Optional.of(mac.toString()), Optional.empty(), Optional.empty(), Optional.empty()), 0, 100);
        assertThat(audited).filteredOn(entry -> entry.action().equals("device.recovery-key.read")).hasSize(2);
        assertThat(audited).filteredOn(entry -> entry.action().equals("device.recovery-key.escrow")).hasSize(1);
        assertThat(audited.toString()).doesNotContain("SECRET-KEY-1");
    }

    @Test
    void blankOrOversizedKeysAreRefused() {
        DeviceId mac = test.enrollId(Platform.MACOS, "MAC-3");
        assertThatThrownBy(() -> keys.escrow(MACOS, mac, "filevault-personal", " ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> keys.escrow(MACOS, mac, "filevault-personal", "K".repeat(4097))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> keys.escrow(MACOS, mac, "", "KEY")).isInstanceOf(IllegalArgumentException.class);
    }

    private List<String> stored(DeviceId device) throws Exception {
        List<String> sealed = new ArrayList<>();
        try (var connection = test.kernel().transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT key_sealed FROM device_recovery_key WHERE device_id = ?")) {
            select.setString(1, device.toString());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sealed.add(rows.getString(1));
                }
            }
        }
        return sealed;
    }
}
