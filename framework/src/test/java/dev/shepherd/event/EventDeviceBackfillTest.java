package dev.shepherd.event;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events recorded before {@code event_log.device_id} existed get the device their data names, so an upgraded server's
 * device pages show the activity from before the upgrade; once through, no node reads the log for it again.
 */
class EventDeviceBackfillTest {

    @TempDir
    Path home;
    private TestKernel test;
    private Kernel kernel;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kernel = test.kernel();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void olderEventsGetTheDeviceTheirDataNamesChunkByChunkAndOthersAreLeftAlone() throws SQLException {
        DeviceId device = test.enrollId(Platform.IOS, "BACKFILL");
        DeviceId other = test.enrollId(Platform.IOS, "OTHER");
        // As a server from before V58 left its log: every event without its device.
        execute("UPDATE event_log SET device_id = NULL");
        int older = EventDeviceBackfill.CHUNK + 500;
        String[] data = new String[older];
        for (int n = 0; n < older; n++) {
            data[n] = "{\"deviceId\":\"" + (n % 2 == 0 ? device : other) + "\",\"n\":" + n + "}";
        }
        insertOld("command.state_changed", data);
        insertOld("admin.signed_in", "{\"admin\":\"alice\"}");
        insertOld("device.odd", "{\"deviceId\":\"not-a-device-id\"}");
        insertOld("device.odd", "not JSON at all");
        long namingDevice = count("data LIKE '%\"" + device + "\"%'");
        assertThat(kernel.events().readOfDevice(device, 0, 1000)).isEmpty();

        EventDeviceBackfill backfill = new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock());
        assertThat(backfill.runOnce()).as("a chunk read, more of the log left").isTrue();
        while (backfill.runOnce()) {
            // chunk after chunk until the log's end when it started
        }

        assertThat(count("device_id = '" + device + "'")).isEqualTo(namingDevice);
        assertThat(kernel.events().readOfDevice(device, 0, 1000)).hasSize((int) namingDevice)
                .allSatisfy(logged -> assertThat(logged.event().data().get("deviceId")).isEqualTo(device.toString()));
        assertThat(kernel.events().readOfDevice(other, 0, 1000)).isNotEmpty();
        assertThat(count("device_id IS NULL")).as("the events that name no device, or no valid one").isEqualTo(3);
    }

    @Test
    void onceThroughTheCompletedJobIsRememberedSoNoNodeReadsTheLogAgain() throws SQLException {
        DeviceId device = test.enrollId(Platform.IOS, "ONCE");
        execute("UPDATE event_log SET device_id = NULL");
        EventDeviceBackfill first = new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock());
        assertThat(first.run(Duration.ofSeconds(30))).as("nothing left").isFalse();
        assertThat(kernel.events().readOfDevice(device, 0, 100)).isNotEmpty();
        assertThat(count("device_id IS NOT NULL")).isPositive();

        // A later start (or another node): the job is done, so even a row left without its device is not looked at.
        insertOld("command.state_changed", "{\"deviceId\":\"" + device + "\"}");
        EventDeviceBackfill later = new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock());
        assertThat(later.runOnce()).isFalse();
        assertThat(count("device_id IS NULL")).isEqualTo(1);
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT COUNT(*) FROM kernel_job WHERE name = ?")) {
            select.setString(1, EventDeviceBackfill.JOB);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void anEmptyLogIsDoneAtOnce() throws SQLException {
        execute("DELETE FROM event_log");
        EventDeviceBackfill backfill = new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock());

        assertThat(backfill.runOnce()).isFalse();
        assertThat(new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock()).runOnce()).isFalse();
    }

    /** Events as a server from before V58 wrote them: without device_id. */
    private void insertOld(String type, String... data) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO event_log (id, event_type, occurred_at, source, data) VALUES (?, ?, ?, ?, ?)")) {
            for (String one : data) {
                insert.setString(1, UUID.randomUUID().toString());
                insert.setString(2, type);
                insert.setTimestamp(3, Timestamp.from(Instant.now()));
                insert.setString(4, "test");
                insert.setString(5, one);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    private long count(String condition) throws SQLException {
        try (Connection connection = kernel.transactions().dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM event_log WHERE " + condition)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
