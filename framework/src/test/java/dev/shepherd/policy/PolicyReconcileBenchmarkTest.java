package dev.shepherd.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupRule;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How much it costs to reconcile a fleet that a policy of 10 Wi-Fi settings was just assigned to: imported devices in
 * a smart group, the policy assigned, then {@link PolicyService#reconcilePending()} timed, wall clock and the CPU of the
 * thread running it (with embedded Derby that includes the database's own work; with PostgreSQL the server's is not
 * counted). Runs only when asked:
 *
 * <pre>
 * mvn -B verify -pl framework -Dtest=PolicyReconcileBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false -DskipITs \
 *     -Dshepherd.benchmark=true [-Dshepherd.benchmark.devices=5000] [-Dshepherd.test.store=postgresql]
 * </pre>
 *
 * The figures go to standard output and to {@code target/policy-reconcile-benchmark.txt}; nothing is asserted about them.
 */
class PolicyReconcileBenchmarkTest {

    private static final int SETTINGS = 10;

    @TempDir
    Path home;

    @Test
    void reconcilingAFleetAssignedAPolicyOfTenWifiSettings() throws IOException {
        assumeTrue(Boolean.getBoolean("shepherd.benchmark"), "a benchmark: run with -Dshepherd.benchmark=true");
        int size = Integer.getInteger("shepherd.benchmark.devices", 5000);
        try (TestKernel test = TestKernel.open(home)) {
            PolicyService policies = test.kernel().policies();
            for (int from = 0; from < size; from += 1000) {
                List<DeviceImport> imports = new ArrayList<>();
                for (int i = from; i < Math.min(size, from + 1000); i++) {
                    imports.add(new DeviceImport(Platform.IOS, "BENCH" + i, "iPhone15,2", "", Ownership.CORPORATE,
                            Map.of("serialNumber", "BENCH" + i), Set.of()));
                }
                test.kernel().devices().importDevices(ADMIN, imports);
            }
            Group everyIphone = test.kernel().groups().create(ADMIN, "Every iPhone", "",
                    Optional.of(new GroupRule.Condition("platform", GroupRule.Operator.EQ, List.of("ios"))));
            ObjectMapper json = new ObjectMapper();
            List<SettingInput> settings = new ArrayList<>();
            for (int p = 0; p < SETTINGS; p++) {
                settings.add(new SettingInput("wifi", json.valueToTree(Map.of("ssid", "Fleet network " + p, "security", "WPA2_PERSONAL",
                        "password", "benchmark-passphrase-" + p))));
            }
            Policy policy = policies.create(ADMIN, "Fleet networks", "", settings);
            policies.assign(ADMIN, policy.id(), everyIphone.id(), 10);

            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpuBefore = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            int reconciled = policies.reconcilePending();
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuBefore) / 1e9;

            assertThat(reconciled).isEqualTo(size);
            long commands = test.kernel().commands().pendingCount();
            assertThat(commands).isEqualTo((long) size * SETTINGS);
            String report = String.format("""
                    Policy reconciliation benchmark (%s): %d devices x %d Wi-Fi settings = %d install commands
                    reconcilePending(): %.2f s wall, %.2f s CPU of the reconciling thread
                    per device: %.2f ms wall, %.2f ms CPU; %.0f devices/s
                    """, System.getProperty(TestStore.ENGINE_PROPERTY, "derby"), size, SETTINGS, commands, seconds, cpuSeconds,
                    seconds * 1000 / size, cpuSeconds * 1000 / size, size / seconds);
            System.out.print(report);
            Files.writeString(Path.of("target", "policy-reconcile-benchmark.txt"), report);
        }
    }
}
