package dev.shepherd.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
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
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The reports over a real store (Derby, or PostgreSQL with -Dshepherd.test.store=postgresql). */
class FleetReportsTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T08:00:00Z"));
    private TestKernel test;
    private Kernel kernel;
    private FleetReports reports;

    @BeforeEach
    void open() {
        test = TestKernel.open(home, clock);
        kernel = test.kernel();
        reports = new FleetReports(kernel.transactions(), clock);
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void theFleetOverTimeHasOnePointPerRecordedDayAndTodayCountedLive() throws SQLException {
        test.enrollId(Platform.IOS, "FIRST");
        test.enrollId(Platform.IOS, "SECOND");
        test.enrollId(Platform.ANDROID, "THIRD");
        assertThat(reports.fleet(30)).as("before any snapshot: today, counted now").singleElement().satisfies(today -> {
            assertThat(today.live()).isTrue();
            assertThat(today.managed()).isEqualTo(3);
        });

        reports.recordToday();
        reports.recordToday(); // a second run the same day replaces the first
        clock.advance(Duration.ofDays(1));
        DeviceId retired = test.enrollId(Platform.IOS, "FOURTH");
        test.enrollId(Platform.IOS, "FIFTH");
        kernel.devices().changeStatus(ADMIN, retired, DeviceStatus.RETIRED, "left the company");

        List<FleetReports.FleetDay> fleet = reports.fleet(30);

        assertThat(fleet).extracting(FleetReports.FleetDay::day)
                .containsExactly(LocalDate.parse("2026-06-01"), LocalDate.parse("2026-06-02"));
        FleetReports.FleetDay yesterday = fleet.get(0);
        assertThat(yesterday.live()).isFalse();
        assertThat(yesterday.managed()).isEqualTo(3);
        assertThat(yesterday.platforms()).isEqualTo(Map.of("ios", 2, "android", 1));
        assertThat(yesterday.osVersions()).isEqualTo(Map.of("ios 17.4.1", 2, "android 17.4.1", 1));
        assertThat(yesterday.compliance().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3);
        assertThat(fleet.get(1).managed()).as("a retired device is no longer managed").isEqualTo(4);
        assertThat(reports.fleet(1)).as("only today").hasSize(1);
        assertThat(rows("SELECT COUNT(*) FROM fleet_snapshot WHERE dimension = 'managed'")).isEqualTo(1);

        clock.advance(Duration.ofDays(FleetReports.MAX_DAYS + 1));
        reports.recordToday();
        assertThat(rows("SELECT COUNT(*) FROM fleet_snapshot WHERE dimension = 'managed'")).as("old snapshots are forgotten").isEqualTo(1);
        assertThatThrownBy(() -> reports.fleet(FleetReports.MAX_DAYS + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void complianceByRuleCountsPassingFailingAndInGraceAmongTheDevicesEachRuleAppliesTo() throws Exception {
        DeviceId current = test.enrollId(Platform.IOS, "CURRENT");
        DeviceId older = test.enrollId(Platform.IOS, "OLDER");
        test.enrollId(Platform.IOS, "UNGROUPED");
        kernel.devices().recordInventory(Actor.plugin("test"), current, Map.of("os.version", "18.1"));
        Group staff = kernel.groups().create(ADMIN, "Staff", "", Optional.empty());
        kernel.groups().addMembers(ADMIN, staff.id(), List.of(current, older));
        ObjectMapper json = new ObjectMapper();
        kernel.compliance().create(ADMIN, "iOS 18 everywhere", ComplianceCheck.MIN_OS_VERSION, json.readTree("{\"version\":\"18.0\"}"),
                Optional.empty(), 24, List.of());
        kernel.compliance().create(ADMIN, "iOS 18 for staff", ComplianceCheck.MIN_OS_VERSION, json.readTree("{\"version\":\"18.0\"}"),
                Optional.of(staff.id()), 0, List.of());
        kernel.compliance().evaluatePending();

        List<FleetReports.RuleCompliance> report = reports.complianceByRule();

        assertThat(report).extracting(FleetReports.RuleCompliance::name).containsExactly("iOS 18 everywhere", "iOS 18 for staff");
        FleetReports.RuleCompliance everywhere = report.get(0);
        assertThat(everywhere.applicable()).isEqualTo(3);
        assertThat(everywhere.failing()).isEqualTo(2);
        assertThat(everywhere.inGracePeriod()).isEqualTo(2);
        assertThat(everywhere.passing()).isEqualTo(1);
        assertThat(everywhere.notYetEvaluated()).isZero();
        assertThat(everywhere.groupId()).isEmpty();
        FleetReports.RuleCompliance forStaff = report.get(1);
        assertThat(forStaff.groupId()).contains(staff.id());
        assertThat(forStaff.applicable()).isEqualTo(2);
        assertThat(forStaff.failing()).isEqualTo(1);
        assertThat(forStaff.inGracePeriod()).as("no grace period").isZero();
        assertThat(forStaff.passing()).isEqualTo(1);

        clock.advance(Duration.ofHours(25));
        assertThat(reports.complianceByRule().get(0).inGracePeriod()).as("the grace period ran out").isZero();
    }

    @Test
    void commandSuccessCountsHowEachTypeEndedWithinThePeriod() {
        DeviceId device = test.enrollId(Platform.IOS, "COMMANDED");
        answer(device, kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)), CommandState.ACKNOWLEDGED);
        answer(device, kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)), CommandState.ACKNOWLEDGED);
        answer(device, kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK)), CommandState.FAILED);
        kernel.commands().issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));

        List<FleetReports.CommandSuccess> report = reports.commandSuccess(7);

        assertThat(report).extracting(FleetReports.CommandSuccess::commandType).startsWith("LOCK");
        FleetReports.CommandSuccess lock = report.get(0);
        assertThat(lock.total()).isEqualTo(3);
        assertThat(lock.acknowledged()).isEqualTo(2);
        assertThat(lock.failed()).isEqualTo(1);
        assertThat(lock.successRate()).hasValueSatisfying(rate -> assertThat(rate).isCloseTo(2.0 / 3, within(1e-9)));
        FleetReports.CommandSuccess restart = report.stream().filter(success -> success.commandType().equals("RESTART")).findFirst().orElseThrow();
        assertThat(restart.pending()).isEqualTo(1);
        assertThat(restart.successRate()).as("none finished").isEmpty();

        clock.advance(Duration.ofDays(8));
        assertThat(reports.commandSuccess(7)).as("older than the period").isEmpty();
    }

    private void answer(DeviceId device, CommandRecord issued, CommandState state) {
        kernel.commands().take(device, 10);
        kernel.commands().report(device, new CommandResult(issued.command().id(), state, Map.of(),
                state == CommandState.FAILED ? Optional.of("refused") : Optional.empty()));
    }

    private long rows(String query) throws SQLException {
        try (Connection connection = test.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement(query);
             ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
