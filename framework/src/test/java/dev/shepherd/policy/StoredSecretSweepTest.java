package dev.shepherd.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.command.PluginCommandBus;
import dev.shepherd.group.Group;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Secrets that a server from before secret sealing stored in the clear (policies, their versions, queued setting
 * deliveries) are sealed when their setting type becomes known, once, and still reach the plugin opened.
 */
class StoredSecretSweepTest {

    private static final String CLEAR = "correct horse battery";

    @TempDir
    Path home;
    private TestKernel test;
    private PolicyService policies;
    private StoredSecretSweep sweep;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        policies = test.kernel().policies();
        sweep = new StoredSecretSweep(test.kernel().transactions(), policies, policies.secrets(), test.kernel().json(), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void clearSecretsLeftByAnOlderServerAreSealedOnceAndStillReachThePluginOpened() throws Exception {
        DeviceId device = test.enrollId(Platform.IOS, "SWEEP-1");
        Group staff = test.kernel().groups().create(ADMIN, "Staff", "", Optional.empty());
        test.kernel().groups().addMembers(ADMIN, staff.id(), List.of(device));
        Policy policy = policies.create(ADMIN, "Networks", "", List.of(new SettingInput("wifi",
                json.readTree("{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"" + CLEAR + "\"}"))));
        policies.assign(ADMIN, policy.id(), staff.id(), 0);
        policies.reconcile(device);
        String sealed = (String) policy.settings().get(0).value().get("password");
        // What an older server left: the same rows with the password in the clear.
        int cleared = replaceInEveryRow(sealed, CLEAR);
        assertThat(cleared).as("policy, its version, the queued delivery").isEqualTo(3);
        assertThat(stored()).contains(CLEAR);

        int swept = sweep.sweep(policies.settingTypes().get("wifi").orElseThrow());

        assertThat(swept).isEqualTo(3);
        assertThat(stored()).doesNotContain(CLEAR).contains("sealed:v1:");
        assertThat(new PluginPolicyService(policies).effectivePolicy(device).settings().get(0).value()).containsEntry("password", CLEAR);
        assertThat(new PluginCommandBus(test.kernel().commands(), policies.secrets()::openMap).take(device, 10))
                .anySatisfy(command -> assertThat(command.parameters().get("value")).asString().contains("password=" + CLEAR));

        // Done once for this type and its secret fields: a later start does not scan again.
        replaceInEveryRow(String.valueOf(policies.get(policy.id()).orElseThrow().settings().get(0).value().get("password")), "planted");
        assertThat(sweep.sweep(policies.settingTypes().get("wifi").orElseThrow())).isZero();
        assertThat(stored()).contains("planted");
    }

    @Test
    void typesWithoutSecretsAreNeverScanned() {
        assertThat(sweep.sweep(policies.settingTypes().get("passcode").orElseThrow())).isZero();
        assertThat(count("SELECT COUNT(*) FROM kernel_job")).isZero();
    }

    /** Rewrites every stored row holding one string (policies, versions, command parameters); returns how many. */
    private int replaceInEveryRow(String from, String to) {
        return test.kernel().transactions().inTransaction("plant", tx -> {
            int rows = 0;
            for (String[] table : new String[][] {{"policy", "settings", "id"}, {"policy_version", "settings", "policy_id"},
                    {"command", "parameters", "id"}}) {
                List<String[]> found = new ArrayList<>();
                try (var select = tx.connection().prepareStatement("SELECT " + table[2] + ", " + table[1] + " FROM " + table[0]);
                     var result = select.executeQuery()) {
                    while (result.next()) {
                        String text = result.getString(2);
                        if (text != null && text.contains(from)) {
                            found.add(new String[] {result.getString(1), text.replace(from, to)});
                        }
                    }
                }
                for (String[] row : found) {
                    try (var update = tx.connection().prepareStatement(
                            "UPDATE " + table[0] + " SET " + table[1] + " = ? WHERE " + table[2] + " = ?")) {
                        update.setString(1, row[1]);
                        update.setString(2, row[0]);
                        rows += update.executeUpdate();
                    }
                }
            }
            return rows;
        });
    }

    private String stored() {
        return test.kernel().transactions().inTransaction("read", tx -> {
            StringBuilder all = new StringBuilder();
            for (String query : List.of("SELECT settings FROM policy", "SELECT settings FROM policy_version", "SELECT parameters FROM command")) {
                try (var select = tx.connection().prepareStatement(query); var rows = select.executeQuery()) {
                    while (rows.next()) {
                        all.append(rows.getString(1)).append('\n');
                    }
                }
            }
            return all.toString();
        });
    }

    private long count(String query) {
        return test.kernel().transactions().inTransaction("count", tx -> {
            try (var select = tx.connection().prepareStatement(query); var rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }
}
