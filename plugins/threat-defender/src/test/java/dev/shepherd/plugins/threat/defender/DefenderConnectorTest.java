package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The connector's polls against {@link LocalDefender}: sweeps, paging, cursors, alert budgets and the level mapping. */
class DefenderConnectorTest {

    private static final String ENTRA_ID = "0b6f1c2d-0000-4000-8000-000000000001";
    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private LocalDefender defender;
    private DefenderConnection connection;
    private DefenderConnector connector;

    @BeforeEach
    void start() throws Exception {
        defender = LocalDefender.start(clock);
        connect(DefenderTestSettings.settings(defender, 1_000, 25));
    }

    private void connect(DefenderSettings settings) {
        connection = DefenderTestSettings.connection(settings, clock);
        connector = new DefenderConnector(connection, clock);
        connection.save(DefenderTestSettings.credentials(defender));
    }

    @AfterEach
    void stop() {
        defender.close();
    }

    @Test
    void aConnectorWithoutCredentialsSaysWhatTheAdminMustDo() {
        connection.remove();
        assertThat(connector.setupProblem()).get().asString().contains("client id and secret").contains("/api/v1/plugins/threat-defender/settings");
        assertThat(connector.id()).isEqualTo("defender");
        assertThat(connector.pollInterval()).contains(Duration.ofSeconds(5));
    }

    @Test
    void riskScoresMapToTheCommonScaleWithTheActiveAlertsAsThreats() throws Exception {
        defender.machine("m-high", "alice-iphone", "High", Optional.of(ENTRA_ID));
        defender.machine("m-medium", "bob-ipad", "Medium", Optional.empty());
        defender.machine("m-info", "carol-mac", "Informational", Optional.empty());
        defender.machine("m-none", "dave-pc", "None", Optional.empty());
        defender.machine("m-unassessed", "eve-pc", null, Optional.empty());
        Instant first = clock.instant().minus(Duration.ofHours(2));
        defender.addAlert("m-high", new LocalDefender.Alert("da6374_1", "Malicious profile installed", "High", "Malware", "New", first,
                first.plus(Duration.ofHours(1))));
        defender.addAlert("m-high", new LocalDefender.Alert("da6374_2", "Old phishing link", "Low", "InitialAccess", "Resolved", first, first));

        ThreatPoll poll = connector.poll(Optional.empty());

        Map<String, ThreatAssessment> byMachine = byMachine(poll.assessments());
        assertThat(byMachine).containsOnlyKeys("m-high", "m-medium", "m-info", "m-none"); // no risk score: no verdict, not "secure"
        ThreatAssessment high = byMachine.get("m-high");
        assertThat(high.level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(high.vendorVerdict()).isEqualTo("riskScore=High, exposureLevel=Low, healthStatus=Active");
        assertThat(high.device().name()).contains("alice-iphone");
        assertThat(high.device().identifiers()).containsEntry("entraDeviceId", ENTRA_ID);
        assertThat(high.device().serialNumber()).isEmpty();
        assertThat(high.threats()).singleElement().satisfies(threat -> {
            assertThat(threat).isEqualTo(new Threat("da6374_1", "Malware", "Malicious profile installed", ThreatLevel.HIGH, first,
                    first.plus(Duration.ofHours(1)), Optional.of(URI.create("https://security.microsoft.com/alerts/da6374_1"))));
        });
        assertThat(byMachine.get("m-medium").level()).isEqualTo(ThreatLevel.MEDIUM);
        assertThat(byMachine.get("m-info").level()).isEqualTo(ThreatLevel.LOW);
        assertThat(byMachine.get("m-none").level()).isEqualTo(ThreatLevel.NONE);
        // Alerts are read only for machines at risk: None and unassessed ones cost no call.
        assertThat(defender.requests()).filteredOn(request -> request.endsWith("/alerts"))
                .containsExactlyInAnyOrder("GET /api/machines/m-high/alerts", "GET /api/machines/m-medium/alerts", "GET /api/machines/m-info/alerts");
        assertThat(poll.more()).isFalse();
    }

    @Test
    void theFirstSweepReadsEveryPageAndLaterSweepsOnlyMachinesSeenSinceWithAnOverlap() throws Exception {
        connect(DefenderTestSettings.settings(defender, 2, 25));
        for (int i = 1; i <= 5; i++) {
            defender.machine("m" + i, "device-" + i, "None", Optional.empty());
        }
        clock.advance(Duration.ofHours(1)); // their last full reports are an hour old
        Instant sweepStart = clock.instant();
        List<ThreatAssessment> seen = new ArrayList<>();
        ThreatPoll poll = connector.poll(Optional.empty());
        int polls = 1;
        seen.addAll(poll.assessments());
        while (poll.more()) {
            poll = connector.poll(poll.nextCursor());
            seen.addAll(poll.assessments());
            polls++;
        }
        assertThat(seen).extracting(assessment -> assessment.device().vendorDeviceId()).containsExactly("m1", "m2", "m3", "m4", "m5");
        assertThat(polls).isEqualTo(3);

        clock.advance(Duration.ofMinutes(5));
        defender.setRisk("m2", "High");
        defender.report("m2");
        defender.clearRequests();
        ThreatPoll changed = connector.poll(poll.nextCursor());

        assertThat(changed.assessments()).singleElement().satisfies(assessment -> {
            assertThat(assessment.device().vendorDeviceId()).isEqualTo("m2");
            assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
        });
        assertThat(defender.requests()).first().asString()
                .contains("$filter=lastSeen gt " + sweepStart.minus(Duration.ofMinutes(10)));
    }

    @Test
    void aRiskChangeWithoutAFullReportIsCaughtByThePeriodicFullSweep() throws Exception {
        defender.machine("m1", "device-1", "None", Optional.empty());
        clock.advance(Duration.ofHours(1)); // its last full report is an hour old
        ThreatPoll first = connector.poll(Optional.empty());
        defender.setRisk("m1", "Medium"); // Defender did not stamp lastSeen: a changed-since sweep cannot see it

        clock.advance(Duration.ofMinutes(5));
        ThreatPoll changedSince = connector.poll(first.nextCursor());
        assertThat(changedSince.assessments()).isEmpty();

        clock.advance(Duration.ofMinutes(55)); // an hour after the last full sweep
        ThreatPoll full = connector.poll(changedSince.nextCursor());
        assertThat(full.assessments()).singleElement().extracting(ThreatAssessment::level).isEqualTo(ThreatLevel.MEDIUM);
    }

    @Test
    void aPageWithMoreRiskyMachinesThanTheLookUpBudgetIsFinishedByTheNextPolls() throws Exception {
        connect(DefenderTestSettings.settings(defender, 1_000, 2));
        for (int i = 1; i <= 5; i++) {
            defender.machine("m" + i, "device-" + i, "High", Optional.empty());
        }
        ThreatPoll first = connector.poll(Optional.empty());
        assertThat(first.assessments()).extracting(assessment -> assessment.device().vendorDeviceId()).containsExactly("m1", "m2");
        assertThat(first.more()).as("the rest waits for the interval, within the rate limits").isFalse();

        ThreatPoll second = connector.poll(first.nextCursor());
        ThreatPoll third = connector.poll(second.nextCursor());
        assertThat(List.of(second, third)).flatExtracting(ThreatPoll::assessments).extracting(assessment -> assessment.device().vendorDeviceId())
                .containsExactly("m3", "m4", "m5");
        assertThat(DefenderCursor.parse(third.nextCursor().orElseThrow()).orElseThrow().inSweep()).isFalse();
    }

    @Test
    void aThrottledPollFailsWithRetryAfterAndTheSameCursorThenSucceeds() throws Exception {
        defender.machine("m1", "device-1", "High", Optional.empty());
        defender.throttle(1, 30);
        assertThatThrownBy(() -> connector.poll(Optional.empty())).isInstanceOf(ThreatDefenseException.class)
                .satisfies(e -> assertThat(((ThreatDefenseException) e).retryAfter()).contains(Duration.ofSeconds(30)));

        assertThat(connector.poll(Optional.empty()).assessments()).hasSize(1);
    }

    @Test
    void aCursorFromAnotherRegionOrVersionStartsAFreshSweep() throws Exception {
        defender.machine("m1", "device-1", "Low", Optional.empty());
        String foreign = new DefenderCursor(Optional.empty(), Optional.of(clock.instant()), Optional.of(clock.instant()),
                Optional.of(URI.create("https://eu.api.security.microsoft.com/api/machines?$skip=5")), 0).format();

        assertThat(connector.poll(Optional.of(foreign)).assessments()).hasSize(1);
        assertThat(connector.poll(Optional.of("not a cursor")).assessments()).hasSize(1);
        assertThat(defender.requests()).noneMatch(request -> request.contains("eu.api"));
    }

    private static Map<String, ThreatAssessment> byMachine(List<ThreatAssessment> assessments) {
        Map<String, ThreatAssessment> byMachine = new LinkedHashMap<>();
        assessments.forEach(assessment -> byMachine.put(assessment.device().vendorDeviceId(), assessment));
        return byMachine;
    }
}
