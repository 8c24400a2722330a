package dev.shepherd.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.command.CommandService;
import dev.shepherd.command.PluginCommandBus;
import dev.shepherd.group.Group;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Policies, the conflict rules and desired versus actual, through a real Derby store. */
class PolicyServiceTest {

    @TempDir
    Path home;
    private TestKernel test;
    private PolicyService policies;
    private CommandService commands;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        policies = test.kernel().policies();
        commands = test.kernel().commands();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void settingsAreValidatedAgainstTheirSchemasWithEveryProblemNamed() {
        InvalidSettingsException invalid = (InvalidSettingsException) catchInvalid(List.of(
                setting("passcode", "{\"minLength\": 200}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\"}"),
                setting("teleport", "{}"),
                setting("restrictions", "{\"allowCamera\": \"no\"}")));

        assertThat(invalid.problems()).hasSize(4);
        assertThat(invalid.problems().get(0)).startsWith("settings[0] (passcode) /minLength:");
        assertThat(invalid.problems().get(1)).startsWith("settings[1] (wifi)").contains("password");
        assertThat(invalid.problems().get(2)).startsWith("settings[2] (teleport): unknown setting type");
        assertThat(invalid.problems().get(3)).startsWith("settings[3] (restrictions) /allowCamera:");
        assertThat(policies.list()).isEmpty();
    }

    @Test
    void aWifiOrVpnMayNameOnlyCertificateSettingsThatExistAndAreOfTheKindItsFieldTakes() {
        String root = "{\"name\": \"RADIUS CA\", \"kind\": \"TRUSTED_ROOT\", \"data\": \"MIIB\"}";
        String identity = "{\"name\": \"Device identity\", \"kind\": \"SCEP_IDENTITY\", \"scepUrl\": \"https://ca.example.com/scep\", "
                + "\"subject\": \"CN=device\"}";
        InvalidSettingsException invalid = (InvalidSettingsException) catchInvalid(List.of(
                setting("certificate", root),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"TLS\", \"certificate\": \"RADIUS CA\"}"),
                setting("wifi", "{\"ssid\": \"Lab\", \"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"TLS\", \"certificate\": \"Nobody\"}"),
                setting("vpn", "{\"name\": \"Corp\", \"type\": \"IKEV2\", \"server\": \"vpn.example.com\", \"certificate\": \"RADIUS CA\"}")));
        assertThat(invalid.problems()).containsExactly(
                "settings[1] (wifi) /certificate: \"RADIUS CA\" is a TRUSTED_ROOT certificate setting; this field takes a client identity "
                        + "(PKCS12_IDENTITY or SCEP_IDENTITY)",
                "settings[2] (wifi) /certificate: no certificate setting is named \"Nobody\" in this or any other policy",
                "settings[3] (vpn) /certificate: \"RADIUS CA\" is a TRUSTED_ROOT certificate setting; this field takes a client identity "
                        + "(PKCS12_IDENTITY or SCEP_IDENTITY)");
        assertThat(catchInvalid(List.of(setting("certificate", identity), setting("wifi", "{\"ssid\": \"Corp\", "
                + "\"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"PEAP\", \"serverCertificates\": [\"Device identity\"]}"))).getMessage())
                .contains("settings[1] (wifi) /serverCertificates: \"Device identity\" is a SCEP_IDENTITY certificate setting; "
                        + "this field takes a trusted root (TRUSTED_ROOT)");

        // A certificate defined by another policy serves as well as one of the same policy.
        policies.create(ADMIN, "Certificates", "", List.of(setting("certificate", root), setting("certificate", identity)));
        Policy wifi = policies.create(ADMIN, "Wi-Fi", "", List.of(setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA3_ENTERPRISE\", "
                + "\"eapMethod\": \"TLS\", \"certificate\": \"Device identity\", \"serverCertificates\": [\"RADIUS CA\"], "
                + "\"serverNames\": [\"radius.example.com\"]}")));
        assertThat(wifi.settings()).extracting(Setting::key).containsExactly("wifi/Corp");
    }

    @Test
    void repeatableSettingsAreKeyedAndKeysAreUnique() {
        Policy policy = policies.create(ADMIN, "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA3_PERSONAL\", \"password\": \"correct-horse\"}"),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")));

        assertThat(policy.settings()).extracting(Setting::key).containsExactly("wifi/Corp", "wifi/Guest");
        assertThat(catchInvalid(List.of(setting("wifi", "{\"ssid\": \"A\", \"security\": \"NONE\"}"),
                setting("wifi", "{\"ssid\": \"A\", \"security\": \"NONE\"}"))).getMessage()).contains("another setting has the key wifi/A");
    }

    @Test
    void secretsInSettingsAreSealedAtRestOpenedOnlyForPluginsAndKeptWhenAnEditLeavesThemOut() throws Exception {
        DeviceId device = test.enrollId(Platform.IOS, "SECRET");
        Group staff = staticGroup("Staff", device);
        Policy policy = policies.create(ADMIN, "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse battery\"}")));
        policies.assign(ADMIN, policy.id(), staff.id(), 0);
        PluginPolicyService plugins = new PluginPolicyService(policies);

        assertThat(stored("SELECT settings FROM policy")).doesNotContain("correct horse battery");
        assertThat(stored("SELECT settings FROM policy_version")).doesNotContain("correct horse battery");
        assertThat(policies.get(policy.id()).orElseThrow().settings().get(0).value().get("password")).asString().startsWith("sealed:v1:");
        assertThat(plugins.effectivePolicy(device).settings().get(0).value()).containsEntry("password", "correct horse battery");

        // An edit that leaves the password out keeps it; one that gives a new one replaces it.
        Policy hidden = policies.update(ADMIN, policy.id(), "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"hidden\": true}")), OptionalLong.empty()).orElseThrow();
        assertThat(hidden.settings().get(0).value()).containsEntry("hidden", true);
        assertThat(hidden.settings().get(0).value().get("password")).as("an unchanged secret keeps its sealed form")
                .isEqualTo(policy.settings().get(0).value().get("password"));
        assertThat(plugins.effectivePolicy(device).settings().get(0).value()).containsEntry("password", "correct horse battery");
        policies.update(ADMIN, policy.id(), "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"staple-battery\"}")), OptionalLong.empty());
        assertThat(plugins.effectivePolicy(device).settings().get(0).value()).containsEntry("password", "staple-battery");

        // The install command carries it sealed; only the plugin taking it sees it opened.
        policies.reconcile(device);
        assertThat(stored("SELECT parameters FROM command")).doesNotContain("staple-battery");
        List<Command> taken = new PluginCommandBus(commands, policies.secrets()::openMap)
                .take(device, 10);
        assertThat(taken).anySatisfy(command -> assertThat(command.parameters().get("value")).asString().contains("password=staple-battery"));
    }

    private String stored(String query) {
        return test.kernel().transactions().inTransaction("read", tx -> {
            StringBuilder all = new StringBuilder();
            try (var select = tx.connection().prepareStatement(query); var rows = select.executeQuery()) {
                while (rows.next()) {
                    all.append(rows.getString(1)).append('\n');
                }
            }
            return all.toString();
        });
    }

    @Test
    void anUpdateAgainstAnOldVersionIsAConflictAndEveryVersionIsKept() {
        Policy created = policies.create(ADMIN, "Baseline", "v1", List.of(setting("passcode", "{\"minLength\": 6}")));

        Policy updated = policies.update(ADMIN, created.id(), "Baseline", "v2", List.of(setting("passcode", "{\"minLength\": 8}")),
                OptionalLong.of(created.version())).orElseThrow();

        assertThat(updated.version()).isEqualTo(2);
        assertThatThrownBy(() -> policies.update(ADMIN, created.id(), "Baseline", "v3", List.of(), OptionalLong.of(1)))
                .isInstanceOf(PolicyConflictException.class);
        assertThat(policies.versions(created.id())).extracting(Policy::version).containsExactly(2L, 1L);
        assertThat(policies.get(created.id()).orElseThrow().description()).isEqualTo("v2");
    }

    @Test
    void aDiffNamesEachChangedFieldWithItsFormLabelAndSaysOnlyThatASecretChanged() {
        Policy first = policies.create(ADMIN, "Office", "", List.of(setting("passcode", "{\"minLength\": 6}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse battery\"}")));
        policies.update(ADMIN, first.id(), "Head office", "", List.of(setting("passcode", "{\"minLength\": 8, \"requireAlphanumeric\": true}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"staple-battery\"}"),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")), OptionalLong.of(1));

        PolicyDiff diff = policies.diff(first.id(), 1, 2).orElseThrow();

        assertThat(diff.name()).hasValueSatisfying(name -> assertThat(name.before()).contains("Office"));
        assertThat(diff.settings()).extracting(PolicyDiff.SettingChange::key, PolicyDiff.SettingChange::change)
                .containsExactly(tuple("passcode", PolicyDiff.Change.CHANGED), tuple("wifi/Corp", PolicyDiff.Change.CHANGED),
                        tuple("wifi/Guest", PolicyDiff.Change.ADDED));
        assertThat(diff.settings().get(0).fields()).extracting(PolicyDiff.FieldChange::label, PolicyDiff.FieldChange::before,
                PolicyDiff.FieldChange::after).containsExactly(tuple("Minimum length", Optional.of(6), Optional.of(8)),
                tuple("Require letters and digits", Optional.empty(), Optional.of(true)));
        assertThat(diff.settings().get(1).fields()).singleElement().satisfies(password -> {
            assertThat(password.label()).isEqualTo("Password");
            assertThat(password.secret()).isTrue();
            assertThat(password.before()).isEmpty();
            assertThat(password.after()).isEmpty();
        });
        assertThat(diff.toString()).doesNotContain("staple-battery", "correct horse", "sealed:");
        assertThat(policies.diff(first.id(), 1, 3)).as("no version 3").isEmpty();
        assertThat(policies.diff(first.id(), 2, 2).orElseThrow().settings()).isEmpty();
    }

    @Test
    void aRollbackSavesANewVersionEqualToTheOldOneWithItsSecretAuditedAndGuardedByTheVersion() {
        DeviceId device = test.enrollId(Platform.IOS, "ROLLBACK");
        Group staff = staticGroup("Staff", device);
        Policy first = policies.create(ADMIN, "Office", "kept", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse battery\"}")));
        policies.assign(ADMIN, first.id(), staff.id(), 0);
        policies.update(ADMIN, first.id(), "Office 2", "kept", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"staple-battery\"}"),
                setting("passcode", "{\"minLength\": 10}")), OptionalLong.of(1));

        assertThatThrownBy(() -> policies.rollback(ADMIN, first.id(), 1, OptionalLong.of(1)))
                .as("someone saved version 2 meanwhile").isInstanceOf(PolicyConflictException.class).hasMessageContaining("is at version 2");
        Policy rolledBack = policies.rollback(ADMIN, first.id(), 1, OptionalLong.of(2)).orElseThrow();

        assertThat(rolledBack.version()).isEqualTo(3);
        assertThat(rolledBack.name()).isEqualTo("Office");
        assertThat(rolledBack.description()).isEqualTo("kept");
        assertThat(rolledBack.settings()).extracting(Setting::key).containsExactly("wifi/Corp");
        assertThat(new PluginPolicyService(policies).effectivePolicy(device).settings()).singleElement()
                .satisfies(wifi -> assertThat(wifi.value()).containsEntry("password", "correct horse battery"));
        assertThat(policies.diff(first.id(), 1, 3).orElseThrow().settings()).as("version 3 is version 1 again").isEmpty();
        assertThat(policies.versions(first.id())).extracting(Policy::version).containsExactly(3L, 2L, 1L);
        assertThat(test.kernel().audit().read(AuditFilter.ALL, 0, 100)).filteredOn(entry -> entry.action().equals("policy.rollback"))
                .singleElement().satisfies(entry -> assertThat(entry.after().orElseThrow())
                        .contains("\"rolledBackTo\":1").doesNotContain("correct horse battery"));
        assertThat(policies.rollback(ADMIN, first.id(), 9, OptionalLong.of(3))).as("no version 9").isEmpty();
    }

    @Test
    void theEffectivePolicyFollowsTheDocumentedConflictRules() {
        DeviceId device = test.enrollId(Platform.IOS, "MERGE");
        Group everyone = staticGroup("Everyone", device);
        Group finance = staticGroup("Finance", device);
        Policy baseline = policies.create(ADMIN, "Baseline", "", List.of(
                setting("passcode", "{\"required\": true, \"minLength\": 6, \"maxInactivityMinutes\": 10, \"maxAgeDays\": 0}"),
                setting("restrictions", "{\"allowCamera\": true, \"allowUsbStorage\": false}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"baseline-pass\"}"),
                setting("os_update", "{\"deferralDays\": 30}")));
        Policy strict = policies.create(ADMIN, "Finance", "", List.of(
                setting("passcode", "{\"minLength\": 10, \"maxInactivityMinutes\": 15, \"maxAgeDays\": 90}"),
                setting("restrictions", "{\"allowCamera\": false, \"allowUsbStorage\": true}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA3_PERSONAL\", \"password\": \"finance-pass\"}"),
                setting("os_update", "{\"deferralDays\": 7}")));
        policies.assign(ADMIN, baseline.id(), everyone.id(), 10);
        policies.assign(ADMIN, strict.id(), finance.id(), 50);

        Map<String, EffectiveSetting> effective = byKey(policies.effectiveSettings(device));

        assertThat(effective.get("passcode").setting().value())
                .containsEntry("required", true).containsEntry("minLength", 10)
                .containsEntry("maxInactivityMinutes", 10).containsEntry("maxAgeDays", 90);
        assertThat(effective.get("passcode").policyIds()).containsExactly(strict.id(), baseline.id());
        assertThat(effective.get("restrictions").setting().value())
                .containsEntry("allowCamera", false).containsEntry("allowUsbStorage", false);
        assertThat(effective.get("wifi/Corp").setting().value()).containsEntry("security", "WPA3_PERSONAL");
        assertThat(effective.get("wifi/Corp").policyIds()).containsExactly(strict.id());
        assertThat(effective.get("os_update").setting().value()).containsEntry("deferralDays", 7);
    }

    @Test
    void reconcilingQueuesOnlyWhatChangedAndTracksDesiredVersusActual() {
        DeviceId device = test.enrollId(Platform.IOS, "RECONCILE");
        Group group = staticGroup("Staff", device);
        Policy policy = policies.create(ADMIN, "Staff", "", List.of(
                setting("passcode", "{\"minLength\": 6}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"NONE\"}")));
        policies.assign(ADMIN, policy.id(), group.id(), 0);

        assertThat(policies.reconcilePending()).isEqualTo(1);
        List<Command> installs = commands.take(device, 10);
        assertThat(installs).extracting(Command::type).containsOnly(CommandType.INSTALL_PROFILE);
        assertThat(installs).extracting(command -> command.parameters().get("settingKey")).containsExactlyInAnyOrder("passcode", "wifi/Corp");
        assertThat(states(device)).containsEntry("passcode", SettingState.PENDING).containsEntry("wifi/Corp", SettingState.PENDING);

        Command passcode = installs.stream().filter(command -> command.parameters().get("settingKey").equals("passcode")).findFirst().orElseThrow();
        Command wifi = installs.stream().filter(command -> command.parameters().get("settingKey").equals("wifi/Corp")).findFirst().orElseThrow();
        commands.report(device, new CommandResult(passcode.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        commands.report(device, new CommandResult(wifi.id(), CommandState.FAILED, Map.of(), Optional.of("The Wi-Fi payload is malformed")));
        assertThat(states(device)).containsEntry("passcode", SettingState.INSTALLED).containsEntry("wifi/Corp", SettingState.FAILED);
        assertThat(policies.settingStates(device)).filteredOn(state -> state.settingKey().equals("wifi/Corp"))
                .singleElement().satisfies(state -> assertThat(state.reason()).hasValue("The Wi-Fi payload is malformed"));

        policies.update(ADMIN, policy.id(), "Staff", "", List.of(
                setting("passcode", "{\"minLength\": 6}"),
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA3_PERSONAL\", \"password\": \"new-password\"}")), OptionalLong.empty());
        policies.reconcilePending();

        assertThat(commands.take(device, 10)).singleElement().satisfies(command -> {
            assertThat(command.type()).isEqualTo(CommandType.INSTALL_PROFILE);
            assertThat(command.parameters()).containsEntry("settingKey", "wifi/Corp");
        });
        assertThat(states(device)).containsEntry("passcode", SettingState.INSTALLED).containsEntry("wifi/Corp", SettingState.PENDING);

        test.kernel().groups().removeMembers(ADMIN, group.id(), List.of(device));
        policies.reconcilePending();

        assertThat(commands.take(device, 10)).extracting(Command::type).containsOnly(CommandType.REMOVE_PROFILE).hasSize(2);
        assertThat(policies.settingStates(device)).isEmpty();
        assertThat(policies.effectivePolicy(device).settings()).isEmpty();
    }

    @Test
    void aNewCertificateUnderTheSameNameReinstallsTheNetworksThatCarryIt() {
        DeviceId device = test.enrollId(Platform.IOS, "ROTATE");
        Group group = staticGroup("Office", device);
        String wifi = "{\"ssid\": \"Corp\", \"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"PEAP\", "
                + "\"serverCertificates\": [\"RADIUS CA\"], \"serverNames\": [\"radius.example.com\"]}";
        Policy policy = policies.create(ADMIN, "Office", "", List.of(
                setting("certificate", "{\"name\": \"RADIUS CA\", \"kind\": \"TRUSTED_ROOT\", \"data\": \"MIIBold\"}"),
                setting("wifi", wifi),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")));
        policies.assign(ADMIN, policy.id(), group.id(), 0);
        policies.reconcilePending();
        for (Command install : commands.take(device, 10)) {
            commands.report(device, new CommandResult(install.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        }
        assertThat(states(device)).containsOnlyKeys("certificate/RADIUS CA", "wifi/Corp", "wifi/Guest")
                .containsValues(SettingState.INSTALLED);

        // The RADIUS server's CA is replaced; the Wi-Fi setting itself is unchanged.
        policies.update(ADMIN, policy.id(), "Office", "", List.of(
                setting("certificate", "{\"name\": \"RADIUS CA\", \"kind\": \"TRUSTED_ROOT\", \"data\": \"MIIBnew\"}"),
                setting("wifi", wifi),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")), OptionalLong.empty());
        policies.reconcilePending();

        assertThat(commands.take(device, 10)).extracting(command -> command.parameters().get("settingKey"))
                .as("the network that pins the CA goes again, the one that does not stays")
                .containsExactlyInAnyOrder("certificate/RADIUS CA", "wifi/Corp");
    }

    @Test
    void aSettingThePlatformCannotApplyIsRecordedAsNotSupportedWithoutACommand() {
        policies.setPlatformSupport(platform -> Optional.of(Set.of("passcode")));
        DeviceId device = test.enrollId(Platform.CHROMEOS, "CHROME");
        Group group = staticGroup("Chromebooks", device);
        Policy policy = policies.create(ADMIN, "Chromebooks", "", List.of(
                setting("passcode", "{\"minLength\": 6}"), setting("dlp", "{\"allowPrinting\": false}")));
        policies.assign(ADMIN, policy.id(), group.id(), 0);

        policies.reconcilePending();

        assertThat(commands.take(device, 10)).extracting(command -> command.parameters().get("settingKey")).containsExactly("passcode");
        assertThat(states(device)).containsEntry("dlp", SettingState.NOT_SUPPORTED);
    }

    @Test
    void aFleetIsReconciledSeveralDevicesPerTransactionWithOneAuditEntryPerDeviceAndTheChainIntact() {
        int fleet = PolicyService.DEVICES_PER_TRANSACTION + 7;
        List<DeviceId> devices = new ArrayList<>();
        for (int i = 0; i < fleet; i++) {
            devices.add(test.enrollId(Platform.IOS, "FLEET-" + i));
        }
        Group group = staticGroup("Fleet", devices.toArray(DeviceId[]::new));
        Policy policy = policies.create(ADMIN, "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse\"}"),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")));
        policies.assign(ADMIN, policy.id(), group.id(), 0);

        assertThat(policies.reconcilePending()).isEqualTo(fleet);

        for (DeviceId device : devices) {
            List<Command> installs = commands.take(device, 10);
            assertThat(installs).extracting(command -> command.parameters().get("settingKey"))
                    .containsExactlyInAnyOrder("wifi/Corp", "wifi/Guest");
            assertThat(states(device)).containsOnlyKeys("wifi/Corp", "wifi/Guest").containsValues(SettingState.PENDING);
            assertThat(policies.settingStates(device)).allSatisfy(state -> assertThat(installs).extracting(command -> command.id().toString())
                    .contains(state.commandId().orElseThrow()));
            for (Command install : installs) {
                commands.report(device, new CommandResult(install.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
            }
        }
        List<AuditEntry> reconciled = test.kernel().audit().read(AuditFilter.ALL, 0, 1000).stream()
                .filter(entry -> entry.action().equals("policy.reconcile")).toList();
        assertThat(reconciled).extracting(AuditEntry::targetId)
                .containsExactlyInAnyOrderElementsOf(devices.stream().map(DeviceId::toString).toList());
        assertThat(test.kernel().audit().verify().intact()).isTrue();
        assertThat(policies.reconcilePending()).as("nothing left queued").isZero();

        // A changed setting goes to every device again, and only that one.
        policies.update(ADMIN, policy.id(), "Networks", "", List.of(
                setting("wifi", "{\"ssid\": \"Corp\", \"security\": \"WPA3_PERSONAL\", \"password\": \"battery staple\"}"),
                setting("wifi", "{\"ssid\": \"Guest\", \"security\": \"NONE\"}")), OptionalLong.empty());
        assertThat(policies.reconcilePending()).isEqualTo(fleet);
        for (DeviceId device : devices) {
            assertThat(commands.take(device, 10)).extracting(command -> command.parameters().get("settingKey")).containsExactly("wifi/Corp");
        }
    }

    @Test
    void aDeviceWhoseReconcileKeepsFailingDoesNotHoldBackTheOthersAndIsReconciledOnceItCanBe() {
        DeviceId first = test.enrollId(Platform.IOS, "FIRST");
        DeviceId broken = test.enrollId(Platform.IOS, "BROKEN");
        DeviceId last = test.enrollId(Platform.IOS, "LAST");
        Group group = staticGroup("Staff", first, broken, last);
        Policy policy = policies.create(ADMIN, "Staff", "", List.of(setting("passcode", "{\"minLength\": 6}")));
        // A platform plugin failing on one device (a bug in it), every time.
        AtomicBoolean pluginBroken = new AtomicBoolean(true);
        commands.setPlatformCheck((device, command) -> {
            if (pluginBroken.get() && device.id().equals(broken)) {
                throw new IllegalStateException("the plugin fails on this device");
            }
            return Optional.empty();
        });
        policies.assign(ADMIN, policy.id(), group.id(), 0);

        assertThat(policies.reconcilePending()).as("the others are reconciled").isEqualTo(2);
        assertThat(commands.take(first, 10)).hasSize(1);
        assertThat(commands.take(last, 10)).hasSize(1);
        assertThat(commands.take(broken, 10)).isEmpty();
        assertThat(states(broken)).isEmpty();

        // It stays queued, behind devices queued after it.
        DeviceId later = test.enrollId(Platform.IOS, "LATER");
        test.kernel().groups().addMembers(ADMIN, group.id(), List.of(later));
        assertThat(policies.reconcilePending()).isEqualTo(1);
        assertThat(commands.take(later, 10)).hasSize(1);

        pluginBroken.set(false);
        assertThat(policies.reconcilePending()).isEqualTo(1);
        assertThat(commands.take(broken, 10)).extracting(command -> command.parameters().get("settingKey")).containsExactly("passcode");
        assertThat(policies.reconcilePending()).isZero();
    }

    @Test
    void secretsInSettingsStayOutOfTheAuditLog() {
        policies.create(ADMIN, "Secrets", "", List.of(setting("wifi",
                "{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"super-secret-pw\"}")));

        assertThat(test.kernel().audit().read(AuditFilter.ALL, 0, 100))
                .allSatisfy(entry -> assertThat(entry.after().orElse("")).doesNotContain("super-secret-pw"));
    }

    private Group staticGroup(String name, DeviceId... members) {
        Group group = test.kernel().groups().create(ADMIN, name, "", Optional.empty());
        test.kernel().groups().addMembers(ADMIN, group.id(), List.of(members));
        return group;
    }

    private Map<String, SettingState> states(DeviceId device) {
        Map<String, SettingState> states = new HashMap<>();
        policies.settingStates(device).forEach(state -> states.put(state.settingKey(), state.state()));
        return states;
    }

    private static Map<String, EffectiveSetting> byKey(List<EffectiveSetting> settings) {
        Map<String, EffectiveSetting> byKey = new HashMap<>();
        settings.forEach(setting -> byKey.put(setting.setting().key(), setting));
        return byKey;
    }

    private SettingInput setting(String type, String value) {
        try {
            return new SettingInput(type, json.readTree(value));
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private RuntimeException catchInvalid(List<SettingInput> settings) {
        try {
            policies.create(ADMIN, "Invalid " + System.nanoTime(), "", settings);
        } catch (InvalidSettingsException e) {
            return e;
        }
        throw new AssertionError("expected the settings to be refused");
    }
}
