package dev.shepherd.compliance;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupService;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Compliance rules, grace periods, remediation and conditional access, through a real Derby store. */
class ComplianceServiceTest {

    private static final Actor PLUGIN = Actor.plugin("apple-ios");

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-06-01T08:00:00Z"));
    private TestKernel test;
    private ComplianceService compliance;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home, clock);
        compliance = test.kernel().compliance();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aDeviceMeetingEveryRuleIsCompliantAndAllowed() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "GOOD");
        rule("Encrypted", ComplianceCheck.STORAGE_ENCRYPTED, "{}", 0, List.of());
        rule("iOS 17", ComplianceCheck.MIN_OS_VERSION, "{\"version\":\"17.0\"}", 0, List.of());
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("storage.encrypted", "true", "os.version", "17.4"));

        compliance.evaluatePending();

        assertThat(test.kernel().devices().get(device).orElseThrow().device().compliance()).isEqualTo(ComplianceState.COMPLIANT);
        AccessDecision decision = compliance.accessDecision(device).orElseThrow();
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.failing()).isEmpty();
    }

    @Test
    void withoutTheFactsARuleCannotJudgeAndTheDeviceIsUnknown() throws IOException {
        DeviceId device = test.enrollId(Platform.ANDROID, "SILENT");
        rule("Not rooted", ComplianceCheck.NOT_JAILBROKEN, "{}", 0, List.of());

        compliance.evaluatePending();

        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.UNKNOWN);
        assertThat(compliance.accessDecision(device).orElseThrow().allowed()).isFalse();
    }

    @Test
    void aFailingDeviceGetsItsGracePeriodThenIsRemediatedStepByStepOnce() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "BAD");
        rule("Passcode", ComplianceCheck.PASSCODE_COMPLIANT, "{}", 24, List.of(
                new RemediationStep(0, Remediation.NOTIFY), new RemediationStep(0, Remediation.QUARANTINE),
                new RemediationStep(48, Remediation.LOCK)));
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("passcode.present", "false"));
        compliance.evaluatePending();

        AccessDecision inGrace = compliance.accessDecision(device).orElseThrow();
        assertThat(inGrace.state()).isEqualTo(ComplianceState.IN_GRACE_PERIOD);
        assertThat(inGrace.allowed()).isTrue();
        assertThat(inGrace.failing()).singleElement().satisfies(failing -> assertThat(failing.detail()).isEqualTo("no passcode is set"));

        clock.advance(Duration.ofHours(25));
        compliance.sweep();
        compliance.evaluatePending();

        AccessDecision blocked = compliance.accessDecision(device).orElseThrow();
        assertThat(blocked.state()).isEqualTo(ComplianceState.NON_COMPLIANT);
        assertThat(blocked.allowed()).isFalse();
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.QUARANTINED);
        assertThat(test.kernel().events().read(Optional.of("compliance.notify"), 0, 10)).hasSize(1);
        assertThat(test.kernel().commands().take(device, 10)).isEmpty();

        clock.advance(Duration.ofHours(49));
        compliance.sweep();
        compliance.evaluatePending();
        compliance.sweep();
        compliance.evaluatePending();

        assertThat(test.kernel().commands().take(device, 10)).extracting(Command::type).containsExactly(CommandType.LOCK);
        assertThat(test.kernel().events().read(Optional.of("compliance.notify"), 0, 10)).hasSize(1);
    }

    @Test
    void anEnterpriseWipeRemediationRetiresTheDeviceLikeTheRetireAction() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "LOST-CAUSE");
        rule("Passcode", ComplianceCheck.PASSCODE_COMPLIANT, "{}", 0, List.of(
                new RemediationStep(0, Remediation.LOCK), new RemediationStep(0, Remediation.ENTERPRISE_WIPE)));
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("passcode.present", "false"));

        compliance.evaluatePending();

        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        // The lock issued by the step before is cancelled; the retired device is handed only its final command.
        assertThat(test.kernel().commands().history(device, Optional.empty(), 10))
                .filteredOn(record -> record.command().type() == CommandType.LOCK)
                .singleElement().satisfies(lock -> assertThat(lock.command().state()).isEqualTo(CommandState.CANCELLED));
        assertThat(test.kernel().commands().take(device, 10)).extracting(Command::type).containsExactly(CommandType.ENTERPRISE_WIPE);
        assertThat(test.kernel().audit().read(AuditFilter.ALL, 0, 1000)).filteredOn(entry -> entry.action().equals("device.retire"))
                .singleElement().satisfies(entry -> assertThat(entry.after().orElseThrow()).contains("non-compliant: Passcode"));

        compliance.sweep();
        compliance.evaluatePending();
        assertThat(test.kernel().commands().take(device, 10)).extracting(Command::type).containsExactly(CommandType.ENTERPRISE_WIPE);
    }

    @Test
    void aDeviceThatComplyAgainLeavesQuarantineAndItsFailuresAreForgotten() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "FIXED");
        rule("Encrypted", ComplianceCheck.STORAGE_ENCRYPTED, "{}", 0, List.of(new RemediationStep(0, Remediation.QUARANTINE)));
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("storage.encrypted", "false"));
        compliance.evaluatePending();
        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.QUARANTINED);
        assertThat(test.kernel().groups().memberIds(GroupService.QUARANTINE_GROUP_ID)).containsExactly(device);

        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("storage.encrypted", "true"));
        compliance.evaluatePending();

        assertThat(test.kernel().devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(test.kernel().groups().memberIds(GroupService.QUARANTINE_GROUP_ID)).isEmpty();
        assertThat(compliance.accessDecision(device).orElseThrow()).satisfies(decision -> {
            assertThat(decision.state()).isEqualTo(ComplianceState.COMPLIANT);
            assertThat(decision.failing()).isEmpty();
            assertThat(decision.allowed()).isTrue();
        });
    }

    @Test
    void aChangedRuleJudgesItsDevicesAgainAndAnOutdatedChangeIsRefused() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "OLDER");
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("os.version", "17.2"));
        ComplianceRule rule = rule("Recent iOS", ComplianceCheck.MIN_OS_VERSION, "{\"version\":\"17.4\"}", 0, List.of());
        compliance.evaluatePending();
        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.NON_COMPLIANT);

        ComplianceRule changed = compliance.update(TestKernel.ADMIN, rule.id(), "Recent enough iOS", ComplianceCheck.MIN_OS_VERSION,
                json.readTree("{\"version\":\"17.0\"}"), Optional.empty(), 24, List.of(new RemediationStep(0, Remediation.NOTIFY)),
                OptionalLong.of(rule.version())).orElseThrow();
        compliance.evaluatePending();

        assertThat(changed.name()).isEqualTo("Recent enough iOS");
        assertThat(changed.graceHours()).isEqualTo(24);
        assertThat(changed.version()).isEqualTo(rule.version() + 1);
        assertThat(changed.enabled()).as("its on/off state is kept").isTrue();
        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.COMPLIANT);
        assertThatThrownBy(() -> compliance.update(TestKernel.ADMIN, rule.id(), "Stale", ComplianceCheck.MIN_OS_VERSION,
                json.readTree("{\"version\":\"18.0\"}"), Optional.empty(), 0, List.of(), OptionalLong.of(rule.version())))
                .isInstanceOf(ComplianceConflictException.class).hasMessageContaining("reload it");
        rule("Encrypted", ComplianceCheck.STORAGE_ENCRYPTED, "{}", 0, List.of());
        assertThatThrownBy(() -> compliance.update(TestKernel.ADMIN, rule.id(), "Encrypted", ComplianceCheck.STORAGE_ENCRYPTED,
                json.readTree("{}"), Optional.empty(), 0, List.of(), OptionalLong.empty()))
                .isInstanceOf(ComplianceConflictException.class).hasMessageContaining("exists already");
        assertThatThrownBy(() -> compliance.update(TestKernel.ADMIN, rule.id(), "Broken", ComplianceCheck.MIN_OS_VERSION,
                json.readTree("{}"), Optional.empty(), 0, List.of(), OptionalLong.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThat(compliance.rule(rule.id()).orElseThrow().name()).as("refused changes leave it as it was").isEqualTo("Recent enough iOS");
        assertThat(compliance.update(TestKernel.ADMIN, "no-such-rule", "X", ComplianceCheck.STORAGE_ENCRYPTED, json.readTree("{}"),
                Optional.empty(), 0, List.of(), OptionalLong.empty())).isEmpty();
    }

    @Test
    void aStaleCheckInIsCaughtByTheSweep() throws IOException {
        DeviceId device = test.enrollId(Platform.WINDOWS, "STALE");
        test.kernel().devices().recordCheckIn(device, clock.instant());
        rule("Seen this week", ComplianceCheck.CHECKED_IN_WITHIN, "{\"days\":7}", 0, List.of());
        compliance.evaluatePending();
        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.COMPLIANT);

        clock.advance(Duration.ofDays(8));
        assertThat(compliance.sweep()).isEqualTo(1);
        compliance.evaluatePending();

        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.NON_COMPLIANT);
    }

    @Test
    void aRuleScopedToAGroupJudgesOnlyItsMembersAndAppRulesReadTheAppInventory() throws IOException {
        DeviceId kiosk = test.enrollId(Platform.ANDROID, "KIOSK");
        DeviceId other = test.enrollId(Platform.ANDROID, "OTHER");
        Group kiosks = test.kernel().groups().create(ADMIN, "Kiosks", "", Optional.empty());
        test.kernel().groups().addMembers(ADMIN, kiosks.id(), List.of(kiosk));
        compliance.create(ADMIN, "Kiosk app", ComplianceCheck.REQUIRED_APPS, json.readTree("{\"apps\":[\"com.acme.kiosk\"]}"),
                Optional.of(kiosks.id()), 0, List.of());
        compliance.create(ADMIN, "No games", ComplianceCheck.FORBIDDEN_APPS, json.readTree("{\"apps\":[\"com.games.fun\"]}"),
                Optional.empty(), 0, List.of());
        test.kernel().devices().recordInventory(PLUGIN, kiosk, Map.of("apps.reported", "true", "app.com.games.fun", "1.0"));
        test.kernel().devices().recordInventory(PLUGIN, other, Map.of("apps.reported", "true"));

        compliance.evaluatePending();

        assertThat(compliance.accessDecision(kiosk).orElseThrow().failing()).extracting(AccessDecision.FailingRule::name)
                .containsExactlyInAnyOrder("Kiosk app", "No games");
        assertThat(compliance.accessDecision(other).orElseThrow().state()).isEqualTo(ComplianceState.COMPLIANT);
    }

    @Test
    void appRulesWithVersionBoundsCompareNumberByNumberAndNameTheAppAndVersion() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "BOUNDS");
        compliance.create(ADMIN, "Mail 3.2 or later", ComplianceCheck.REQUIRED_APPS,
                json.readTree("{\"apps\":[{\"identifier\":\"com.acme.mail\",\"minimumVersion\":\"3.2\"}]}"), Optional.empty(), 0, List.of());
        compliance.create(ADMIN, "No old chat", ComplianceCheck.FORBIDDEN_APPS,
                json.readTree("{\"apps\":[{\"identifier\":\"com.acme.chat\",\"versionBelow\":\"2.4\"}]}"), Optional.empty(), 0, List.of());
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("apps.reported", "true", "app.com.acme.mail", "3.1",
                "app.com.acme.chat", "2.3.9"));
        compliance.evaluatePending();

        assertThat(compliance.accessDecision(device).orElseThrow().failing()).extracting(AccessDecision.FailingRule::detail)
                .containsExactlyInAnyOrder("required apps missing: com.acme.mail 3.1 (at least 3.2 is required)",
                        "forbidden apps installed: com.acme.chat 2.3.9 (below 2.4)");

        // 3.10 is not below 3.2, nor 2.10 below 2.4: compared number by number, not as text.
        test.kernel().devices().replaceInventory(PLUGIN, device, "app.", Map.of("app.com.acme.mail", "3.10", "app.com.acme.chat", "2.10"));
        compliance.evaluatePending();
        assertThat(compliance.accessDecision(device).orElseThrow().state()).isEqualTo(ComplianceState.COMPLIANT);
    }

    @Test
    void anAppRuleNamingAnUnknownFieldOrABoundThatIsNoVersionIsRefusedSayingWhy() {
        assertThatThrownBy(() -> compliance.create(ADMIN, "Chat", ComplianceCheck.FORBIDDEN_APPS,
                json.readTree("{\"apps\":[{\"identifier\":\"com.acme.chat\",\"minimumVersion\":\"2.4\"}]}"), Optional.empty(), 0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown field \"minimumVersion\"");
        assertThatThrownBy(() -> compliance.create(ADMIN, "Chat", ComplianceCheck.FORBIDDEN_APPS,
                json.readTree("{\"apps\":[{\"versionBelow\":\"2.4\"}]}"), Optional.empty(), 0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every app needs an identifier");
        assertThatThrownBy(() -> compliance.create(ADMIN, "Chat", ComplianceCheck.REQUIRED_APPS,
                json.readTree("{\"apps\":[{\"identifier\":\"com.acme.mail\",\"minimumVersion\":\"newest\"}]}"), Optional.empty(), 0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimumVersion of com.acme.mail must be a version");
    }

    @Test
    void groupMembershipQueuesEvaluationsOnlyWhenSomeRuleIsScopedToAGroup() throws IOException {
        DeviceId first = test.enrollId(Platform.ANDROID, "MEMBER-1");
        DeviceId second = test.enrollId(Platform.ANDROID, "MEMBER-2");
        rule("Recent OS", ComplianceCheck.MIN_OS_VERSION, "{\"version\":\"13.0\"}", 0, List.of());
        compliance.evaluatePending();
        Group everyone = test.kernel().groups().create(ADMIN, "Everyone", "", Optional.empty());

        test.kernel().groups().addMembers(ADMIN, everyone.id(), List.of(first, second));
        assertThat(compliance.evaluatePending()).as("no rule reads group membership").isZero();

        compliance.create(ADMIN, "Kiosk app", ComplianceCheck.REQUIRED_APPS, json.readTree("{\"apps\":[\"com.acme.kiosk\"]}"),
                Optional.of(everyone.id()), 0, List.of());
        compliance.evaluatePending();
        test.kernel().groups().removeMembers(ADMIN, everyone.id(), List.of(second));
        assertThat(compliance.evaluatePending()).as("the device that left is judged again").isEqualTo(1);
        assertThat(compliance.accessDecision(second).orElseThrow().failing()).extracting(AccessDecision.FailingRule::name)
                .doesNotContain("Kiosk app");
    }

    @Test
    void badRuleParametersAreRefusedWithTheirName() {
        assertThatThrownBy(() -> rule("Old", ComplianceCheck.MIN_OS_VERSION, "{}", 0, List.of()))
                .hasMessageStartingWith("parameters.version");
        assertThatThrownBy(() -> rule("Threat", ComplianceCheck.MAX_THREAT_LEVEL, "{\"level\":\"SEVERE\"}", 0, List.of()))
                .hasMessageStartingWith("parameters.level");
        assertThatThrownBy(() -> rule("Days", ComplianceCheck.CHECKED_IN_WITHIN, "{\"days\":0}", 0, List.of()))
                .hasMessageStartingWith("parameters.days");
    }

    @Test
    void complianceChangesRaiseEvents() throws IOException {
        DeviceId device = test.enrollId(Platform.IOS, "EVENTS");
        rule("Encrypted", ComplianceCheck.STORAGE_ENCRYPTED, "{}", 0, List.of());
        test.kernel().devices().recordInventory(PLUGIN, device, Map.of("storage.encrypted", "false"));
        compliance.evaluatePending();

        List<EventLog.Logged> changes = test.kernel().events().read(Optional.of("compliance.changed"), 0, 10);
        assertThat(changes).singleElement().satisfies(logged ->
                assertThat(logged.event().data()).containsEntry("compliance", "NON_COMPLIANT").containsEntry("from", "UNKNOWN"));
    }

    private ComplianceRule rule(String name, ComplianceCheck check, String parameters, int graceHours, List<RemediationStep> steps)
            throws IOException {
        return compliance.create(ADMIN, name, check, json.readTree(parameters), Optional.empty(), graceHours, steps);
    }
}
