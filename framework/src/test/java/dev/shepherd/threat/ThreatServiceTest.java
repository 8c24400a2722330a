package dev.shepherd.threat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.api.threat.ThreatSignals.ThreatReport;
import dev.shepherd.api.threat.VendorDevice;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.group.Group;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.compliance.ThreatStanding;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The threat state over the store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): matching in the
 * order {@link VendorDevice} fixes, the vendor-id link recorded at the first match, unmatched signals, stale and older
 * verdicts, the bounds, and freshness as compliance's threat rule reads it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreatServiceTest {

    private static final Instant START = Instant.parse("2026-12-01T08:00:00Z");

    @TempDir
    static Path home;
    private TestKernel test;
    private Kernel kernel;
    private ThreatService threats;
    private final TestClock clock = new TestClock(START);

    /** One store for the class: each test has its own devices, and the clock moves only past the quiet connector's age. */
    @BeforeAll
    void open() {
        test = TestKernel.open(home, clock);
        kernel = test.kernel();
        threats = kernel.threats();
        threats.register("acme", "acme-mtd", "Acme MTD", Optional.of(Duration.ofDays(30)));
        threats.register("quiet", "quiet-mtd", "Quiet MTD", Optional.of(Duration.ofMinutes(30)));
    }

    @AfterAll
    void close() {
        test.close();
    }

    @Test
    void vendorDevicesAreMatchedInTheContractsOrderAndTheVendorIdIsRecordedAtTheFirstMatch() {
        DeviceId byServerId = test.enrollId(Platform.IOS, "U-1");
        DeviceId bySerial = test.enrollId(Platform.IOS, "U-2");
        DeviceId byUdid = test.enrollId(Platform.IOS, "U-3");
        DeviceId byImei = test.enrollId(Platform.IOS, "U-4");
        DeviceId byMac = test.enrollId(Platform.IOS, "U-5");
        DeviceId byName = test.enrollId(Platform.IOS, "U-6");
        kernel.devices().recordInventory(TestKernel.ADMIN, byImei, Map.of("apple.IMEI", "35 209900 176148 1"));
        kernel.devices().recordInventory(TestKernel.ADMIN, byMac, Map.of("apple.WiFiMAC", "00:1a:2b:3c:4d:5e"));
        kernel.devices().recordInventory(TestKernel.ADMIN, byName, Map.of("device.name", "Kiosk 7"));

        ThreatReport report = threats.report("acme", List.of(
                assessment(new VendorDevice("v-1", Optional.of(byServerId), Optional.of("SER-U-2"), Map.of(), Optional.empty()), ThreatLevel.LOW),
                assessment(new VendorDevice("v-2", Optional.empty(), Optional.of("SER-U-2"), Map.of("udid", "U-3"), Optional.empty()),
                        ThreatLevel.LOW),
                assessment(new VendorDevice("v-3", Optional.empty(), Optional.empty(), Map.of("udid", "U-3"), Optional.empty()), ThreatLevel.LOW),
                assessment(new VendorDevice("v-4", Optional.empty(), Optional.empty(), Map.of("imei", "352099001761481"), Optional.empty()),
                        ThreatLevel.LOW),
                assessment(new VendorDevice("v-5", Optional.empty(), Optional.empty(), Map.of("wifiMac", "00-1A-2B-3C-4D-5E"), Optional.empty()),
                        ThreatLevel.LOW),
                assessment(new VendorDevice("v-6", Optional.empty(), Optional.empty(), Map.of(), Optional.of("kiosk 7")), ThreatLevel.LOW)));

        assertThat(report).isEqualTo(new ThreatReport(6, 0, 6));
        assertThat(vendorIdOf(byServerId)).as("the server's id before the serial").isEqualTo("v-1");
        assertThat(vendorIdOf(bySerial)).as("the serial before the identifiers").isEqualTo("v-2");
        assertThat(vendorIdOf(byUdid)).isEqualTo("v-3");
        assertThat(vendorIdOf(byImei)).as("an IMEI in digits finds Apple's spaced form").isEqualTo("v-4");
        assertThat(vendorIdOf(byMac)).as("a MAC address whatever its separators and case").isEqualTo("v-5");
        assertThat(vendorIdOf(byName)).as("a unique name, in any case").isEqualTo("v-6");

        clock.advance(Duration.ofMinutes(1));
        ThreatReport later = threats.report("acme", List.of(assessment(new VendorDevice("v-2", Optional.empty(), Optional.of("REPLACED-BOARD"),
                Map.of(), Optional.empty()), ThreatLevel.HIGH)));
        assertThat(later).as("the recorded vendor id finds the device when its other identifiers changed")
                .isEqualTo(new ThreatReport(1, 0, 1));
        assertThat(threats.device(bySerial).effective().level()).isEqualTo("HIGH");
    }

    @Test
    void anAmbiguousNameOrARetiredDeviceIsNotMatchedAndTheSignalWaitsForAnAdminToLinkIt() {
        DeviceId first = test.enrollId(Platform.IOS, "N-1");
        DeviceId second = test.enrollId(Platform.IOS, "N-2");
        DeviceId retired = test.enrollId(Platform.IOS, "N-3");
        kernel.devices().recordInventory(TestKernel.ADMIN, first, Map.of("device.name", "Shared"));
        kernel.devices().recordInventory(TestKernel.ADMIN, second, Map.of("device.name", "Shared"));
        kernel.devices().changeStatus(TestKernel.ADMIN, retired, DeviceStatus.RETIRED, "left the company");

        ThreatReport report = threats.report("acme", List.of(
                assessment(new VendorDevice("v-shared", Optional.empty(), Optional.empty(), Map.of(), Optional.of("Shared")), ThreatLevel.HIGH),
                assessment(new VendorDevice("v-retired", Optional.empty(), Optional.of("SER-N-3"), Map.of(), Optional.empty()), ThreatLevel.HIGH)));

        assertThat(report).isEqualTo(new ThreatReport(0, 2, 0));
        assertThat(threats.unmatched(Optional.of("acme"), 10)).extracting(UnmatchedSignal::vendorDeviceId, UnmatchedSignal::reason)
                .containsExactlyInAnyOrder(tuple("v-shared", "matches more than one managed device by name"),
                        tuple("v-retired", "matches no managed device"));
        assertThatThrownBy(() -> threats.link(TestKernel.ADMIN, "acme", "v-retired", retired))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not managed");

        DeviceThreatState linked = threats.link(TestKernel.ADMIN, "acme", "v-shared", second).orElseThrow();
        assertThat(linked.effective().level()).isEqualTo("HIGH");
        assertThat(threats.unmatched(Optional.of("acme"), 10)).extracting(UnmatchedSignal::vendorDeviceId).containsExactly("v-retired");
        assertThat(threats.health()).filteredOn(health -> health.state().connectorId().equals("acme")).singleElement().satisfies(health -> {
            assertThat(health.matched()).isGreaterThanOrEqualTo(1);
            assertThat(health.unmatched()).isEqualTo(1);
            assertThat(health.stale()).isFalse();
        });
    }

    @Test
    void aSignalKeptUnmatchedIsMatchedAgainWhenItChangesOrHourlySoADeviceEnrolledSinceIsFound() {
        ThreatAssessment early = assessment(new VendorDevice("v-late", Optional.empty(), Optional.of("SER-L-1"), Map.of(), Optional.empty()),
                ThreatLevel.MEDIUM);
        assertThat(threats.report("acme", List.of(early))).isEqualTo(new ThreatReport(0, 1, 0));
        DeviceId enrolledSince = test.enrollId(Platform.IOS, "L-1");

        assertThat(threats.report("acme", List.of(early))).as("the same assessment again, within the hour").isEqualTo(new ThreatReport(0, 1, 0));
        clock.advance(Duration.ofMinutes(61));
        assertThat(threats.report("acme", List.of(early))).isEqualTo(new ThreatReport(1, 0, 1));
        assertThat(threats.device(enrolledSince).effective().level()).isEqualTo("MEDIUM");
        assertThat(threats.unmatched(Optional.of("acme"), 100)).extracting(UnmatchedSignal::vendorDeviceId).doesNotContain("v-late");
    }

    @Test
    void anOlderOrUnchangedAssessmentWritesNothingAndAChangedOneIsAnEventAnAuditEntryAndAComplianceEvaluation() {
        DeviceId device = test.enrollId(Platform.IOS, "C-1");
        VendorDevice vendorDevice = new VendorDevice("v-c", Optional.empty(), Optional.of("SER-C-1"), Map.of(), Optional.empty());
        Instant assessed = START.minusSeconds(60);
        assertThat(threats.report("acme", List.of(new ThreatAssessment(vendorDevice, ThreatLevel.MEDIUM, "score=60", List.of(), assessed))))
                .isEqualTo(new ThreatReport(1, 0, 1));
        long events = threatEvents();

        assertThat(threats.report("acme", List.of(new ThreatAssessment(vendorDevice, ThreatLevel.MEDIUM, "score=60", List.of(),
                assessed.plusSeconds(30))))).as("unchanged").isEqualTo(new ThreatReport(1, 0, 0));
        assertThat(threats.report("acme", List.of(new ThreatAssessment(vendorDevice, ThreatLevel.NONE, "score=0", List.of(),
                assessed.minusSeconds(30))))).as("older").isEqualTo(new ThreatReport(1, 0, 0));
        assertThat(threatEvents()).isEqualTo(events);
        assertThat(threats.device(device).effective().level()).isEqualTo("MEDIUM");

        assertThat(threats.report("acme", List.of(new ThreatAssessment(vendorDevice, ThreatLevel.CRITICAL, "score=99", List.of(),
                assessed.plusSeconds(60))))).isEqualTo(new ThreatReport(1, 0, 1));
        assertThat(threatEvents()).isEqualTo(events + 1);
        assertThat(kernel.audit().read(new AuditFilter(Optional.empty(), Optional.of("device"), Optional.of(device.toString()),
                Optional.of("threat.change"), Optional.empty(), Optional.empty()), 0, 10)).hasSize(2);
        String rule = kernel.compliance().create(TestKernel.ADMIN, "No critical threats", ComplianceCheck.MAX_THREAT_LEVEL,
                new ObjectMapper().createObjectNode().put("level", "HIGH"), Optional.empty(), 0, List.of()).id();
        kernel.compliance().evaluatePending();
        assertThat(kernel.devices().get(device).orElseThrow().device().compliance()).isEqualTo(ComplianceState.NON_COMPLIANT);
        kernel.compliance().delete(TestKernel.ADMIN, rule);
    }

    @Test
    void aReportBeyondTheBoundsIsRefusedWholeWithTheBoundNamed() {
        test.enrollId(Platform.IOS, "B-1");
        VendorDevice device = new VendorDevice("v-b", Optional.empty(), Optional.of("SER-B-1"), Map.of(), Optional.empty());
        Threat threat = new Threat("t", "MALWARE", "Trojan", ThreatLevel.HIGH, START, START, Optional.of(URI.create("https://vendor.example/t")));
        assertThatThrownBy(() -> threats.report("acme", List.of(new ThreatAssessment(device, ThreatLevel.HIGH, "x",
                Collections.nCopies(101, threat), START)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100");
        assertThatThrownBy(() -> threats.report("acme", List.of(new ThreatAssessment(device, ThreatLevel.HIGH, "x".repeat(1_001),
                List.of(), START)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vendorVerdict");
        Threat script = new Threat("t", "MALWARE", "Trojan", ThreatLevel.HIGH, START, START, Optional.of(URI.create("javascript:alert(1)")));
        assertThatThrownBy(() -> threats.report("acme", List.of(new ThreatAssessment(device, ThreatLevel.HIGH, "x", List.of(script), START))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http(s)");
        assertThatThrownBy(() -> threats.report("nobody", List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no threat-defense connector nobody");
        assertThat(threats.device(test.enrollId(Platform.IOS, "B-2")).verdicts()).isEmpty();
    }

    @Test
    void aSilentConnectorsVerdictGoesStaleAndTheThreatRuleFailsOrDoesNotJudgeAsItsParameterSays() throws Exception {
        DeviceId failing = test.enrollId(Platform.IOS, "S-1");
        DeviceId unjudged = test.enrollId(Platform.IOS, "S-2");
        Group groupOfUnjudged = kernel.groups().create(TestKernel.ADMIN, "Lenient", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, groupOfUnjudged.id(), List.of(unjudged));
        Instant polled = clock.instant();
        threats.applyPoll("quiet", new ThreatPoll(List.of(
                assessment(new VendorDevice("v-s1", Optional.empty(), Optional.of("SER-S-1"), Map.of(), Optional.empty()), ThreatLevel.NONE),
                assessment(new VendorDevice("v-s2", Optional.empty(), Optional.of("SER-S-2"), Map.of(), Optional.empty()), ThreatLevel.NONE)),
                Optional.of("cursor-1"), false), START.plusSeconds(300));
        ObjectMapper json = new ObjectMapper();
        kernel.compliance().create(TestKernel.ADMIN, "Threats, strict", ComplianceCheck.MAX_THREAT_LEVEL,
                json.createObjectNode().put("level", "LOW"), Optional.empty(), 0, List.of());
        kernel.compliance().create(TestKernel.ADMIN, "Threats, lenient", ComplianceCheck.MAX_THREAT_LEVEL,
                json.createObjectNode().put("level", "LOW").put("whenStale", "UNKNOWN"), Optional.of(groupOfUnjudged.id()), 0, List.of());
        kernel.compliance().evaluatePending();
        assertThat(kernel.devices().get(failing).orElseThrow().device().compliance()).isEqualTo(ComplianceState.COMPLIANT);
        assertThat(threats.connector("quiet").orElseThrow().cursor()).hasValue("cursor-1");

        clock.advance(Duration.ofMinutes(31));
        assertThat(threats.judgeFreshness()).isEqualTo(1);
        assertThat(threats.judgeFreshness()).as("judged once").isZero();
        DeviceThreatState state = threats.device(failing);
        assertThat(state.effective().level()).isEqualTo(ThreatService.UNKNOWN);
        assertThat(state.effective().staleConnectors()).containsExactly("Quiet MTD");
        assertThat(threats.fleet(Optional.of(ThreatService.UNKNOWN), Optional.empty(), 50, ids -> ids))
                .extracting(DeviceThreatState::device).contains(failing, unjudged);
        assertThat(threats.fleet(Optional.of(ThreatService.UNKNOWN), Optional.empty(), 50, ids -> ids.stream()
                .filter(id -> !id.equals(unjudged)).toList())).as("outside the caller's scope").extracting(DeviceThreatState::device)
                .contains(failing).doesNotContain(unjudged);
        assertThat(threats.fleet(Optional.of("NONE"), Optional.empty(), 50, ids -> ids)).extracting(DeviceThreatState::device)
                .doesNotContain(failing);
        ThreatStanding standing = kernel.transactions().inTransaction("read", tx -> threats.standing(tx, failing, clock.instant()));
        assertThat(standing.stale()).containsExactly(new ThreatStanding.StaleVerdict("Quiet MTD", polled.plus(Duration.ofMinutes(30))));
        kernel.compliance().evaluatePending();
        assertThat(kernel.compliance().accessDecision(failing).orElseThrow().failing()).singleElement()
                .satisfies(rule -> assertThat(rule.detail()).isEqualTo("threat verdict from Quiet MTD stale since " + polled.plus(Duration.ofMinutes(30))));
        assertThat(kernel.compliance().accessDecision(unjudged).orElseThrow().failing())
                .as("the lenient rule does not judge, the strict one fails").hasSize(1);

        threats.setStaleAfter(TestKernel.ADMIN, "quiet", Optional.of(Duration.ofHours(2)));
        assertThat(threats.device(failing).effective().level()).as("an admin's longer stale age").isEqualTo("NONE");
        kernel.compliance().evaluatePending();
        assertThat(kernel.devices().get(failing).orElseThrow().device().compliance()).isEqualTo(ComplianceState.COMPLIANT);
    }

    private static ThreatAssessment assessment(VendorDevice device, ThreatLevel level) {
        return new ThreatAssessment(device, level, "level=" + level, List.of(), START);
    }

    private String vendorIdOf(DeviceId device) {
        return threats.device(device).verdicts().get(0).verdict().vendorDeviceId();
    }

    private long threatEvents() {
        return kernel.events().read(Optional.of("threat.changed"), 0, 1000).size();
    }
}
