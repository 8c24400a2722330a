package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestClock;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a command's state change costs in index upkeep (V32): every index that holds the state gets a delete and an
 * insert per change, so only the index the take probe needs holds it everywhere; the expiry run finds commands by
 * their expiry alone and still ends exactly the waiting ones.
 */
class CommandIndexesTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
    private TestKernel test;
    private CommandService commands;

    @BeforeEach
    void open() {
        test = TestKernel.open(home, clock);
        commands = test.kernel().commands();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void onlyTheTakeProbesIndexHoldsEveryCommandsState() throws SQLException {
        Map<String, List<String>> indexes = indexesOfCommand();

        assertThat(indexes).containsEntry("ix_command_next", List.of("device_id", "state", "priority", "id"))
                .containsEntry("ix_command_expiry", List.of("expires_at"))
                .doesNotContainKey("ix_command_state");
        indexes.forEach((name, columns) -> {
            if (!name.equals("ix_command_next") && !name.equals("ix_command_waiting")) {
                assertThat(columns).as(name).doesNotContain("state");
            }
        });
        if (test.database().dialect() == Dialect.POSTGRESQL) {
            // Partial: an answered command's row version gets no entry in either.
            assertThat(postgresqlDefinition("ix_command_expiry")).contains("WHERE", "expires_at IS NOT NULL")
                    .contains("'QUEUED'", "'SENT'", "'NOT_NOW'");
            assertThat(postgresqlDefinition("ix_command_waiting")).contains("WHERE")
                    .contains("'QUEUED'", "'SENT'", "'NOT_NOW'").doesNotContain("ACKNOWLEDGED");
        } else {
            assertThat(indexes).doesNotContainKey("ix_command_waiting");
        }
    }

    @Test
    void theExpiryRunEndsTheQueuedSentAndDeferredCommandsPastTheirTimeToLiveAndNothingElse() {
        DeviceId device = test.enrollId(Platform.IOS, "EXPIRY-1");
        UUID sent = issue(device, Optional.of(Duration.ofHours(1)));
        UUID deferred = issue(device, Optional.of(Duration.ofHours(1)));
        UUID answered = issue(device, Optional.of(Duration.ofHours(1)));
        assertThat(commands.take(device, 3)).extracting(Command::id).containsExactly(sent, deferred, answered);
        commands.report(device, new CommandResult(deferred, CommandState.NOT_NOW, Map.of(), Optional.empty()));
        commands.report(device, new CommandResult(answered, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        UUID queued = issue(device, Optional.of(Duration.ofHours(1)));
        UUID later = issue(device, Optional.of(Duration.ofHours(3)));
        UUID never = issue(device, Optional.empty());

        clock.advance(Duration.ofHours(2));

        assertThat(commands.expireDue()).isEqualTo(3);
        assertThat(state(sent)).isEqualTo(CommandState.EXPIRED);
        assertThat(state(deferred)).isEqualTo(CommandState.EXPIRED);
        assertThat(state(queued)).isEqualTo(CommandState.EXPIRED);
        assertThat(state(answered)).as("answered before its expiry").isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(state(later)).isEqualTo(CommandState.QUEUED);
        assertThat(state(never)).isEqualTo(CommandState.QUEUED);
        assertThat(commands.expireDue()).as("nothing left to end").isZero();
    }

    private UUID issue(DeviceId device, Optional<Duration> timeToLive) {
        return commands.issue(ADMIN, device, new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of(), 0, timeToLive)).command().id();
    }

    private CommandState state(UUID id) {
        return commands.get(id).orElseThrow().command().state();
    }

    /** The named indexes of the command table with their columns in order (constraints' indexes left out). */
    private Map<String, List<String>> indexesOfCommand() throws SQLException {
        boolean derby = test.database().dialect() == Dialect.DERBY;
        Map<String, List<String>> indexes = new TreeMap<>();
        try (Connection connection = test.database().dataSource().getConnection();
             ResultSet rows = connection.getMetaData().getIndexInfo(null, null, derby ? "COMMAND" : "command", false, false)) {
            while (rows.next()) {
                String name = rows.getString("INDEX_NAME");
                if (name != null && name.toLowerCase(Locale.ROOT).startsWith("ix_")) {
                    List<String> columns = indexes.computeIfAbsent(name.toLowerCase(Locale.ROOT), ignored -> new ArrayList<>());
                    int position = rows.getInt("ORDINAL_POSITION");
                    while (columns.size() < position) {
                        columns.add(null);
                    }
                    columns.set(position - 1, rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
        }
        return indexes;
    }

    private String postgresqlDefinition(String index) {
        try (Connection connection = test.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT indexdef FROM pg_indexes WHERE tablename = 'command' AND indexname = ?")) {
            select.setString(1, index);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).as(index).isTrue();
                return rows.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
