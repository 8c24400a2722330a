package dev.shepherd.directory;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deprovisioning policy, on a clock the tests move: with {@code retire}, the devices of a person deactivated for
 * longer than the grace period are retired, once; a reactivation within it cancels; {@code flag} retires nothing.
 */
class DeprovisioningTest {

    private static final Duration GRACE = Duration.ofHours(24);

    @TempDir
    static Path home;
    private static final TestClock clock = new TestClock(Instant.parse("2026-03-02T09:00:00Z"));
    private static TestKernel test;
    private static UserDirectory scim;
    private static Deprovisioning retire;

    @BeforeAll
    static void open() {
        test = TestKernel.open(home, clock);
        scim = test.kernel().userDirectory().forPlugin("identity-scim");
        retire = deprovisioning(new DeprovisioningPolicy(DeprovisioningPolicy.Action.RETIRE, GRACE));
    }

    @AfterAll
    static void close() {
        test.close();
    }

    @Test
    void aPersonDeactivatedLongerThanTheGracePeriodHasTheirDevicesRetiredOnce() {
        String ida = person("ida", true);
        DeviceId phone = deviceOf("IDA-1", ida);
        DeviceId laptop = deviceOf("IDA-2", ida);
        person("ida", false);

        clock.advance(GRACE.minusMinutes(1));
        retire.runOnce();
        assertThat(status(phone)).isEqualTo(DeviceStatus.ENROLLED);

        clock.advance(Duration.ofMinutes(2));
        assertThat(retire.runOnce()).isEqualTo(1);
        assertThat(status(phone)).isEqualTo(DeviceStatus.RETIRED);
        assertThat(status(laptop)).isEqualTo(DeviceStatus.RETIRED);
        assertThat(actions(ida)).containsExactly("user.create", "user.deactivate", "user.deprovision");

        clock.advance(GRACE);
        assertThat(retire.runOnce()).isZero();
        assertThat(actions(ida)).containsOnlyOnce("user.deprovision");
    }

    @Test
    void aReactivationWithinTheGracePeriodCancelsTheRetirement() {
        String jon = person("jon", true);
        DeviceId phone = deviceOf("JON-1", jon);
        person("jon", false);
        clock.advance(GRACE.dividedBy(2));
        person("jon", true);

        clock.advance(GRACE.multipliedBy(2));
        retire.runOnce();

        assertThat(status(phone)).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(test.kernel().directory().get(jon).orElseThrow().active()).isTrue();

        // deactivated again, the grace period counts from the new deactivation
        person("jon", false);
        clock.advance(GRACE.plusMinutes(1));
        retire.runOnce();
        assertThat(status(phone)).isEqualTo(DeviceStatus.RETIRED);
    }

    @Test
    void theFlagPolicyRetiresNothing() {
        String kai = person("kai", true);
        DeviceId phone = deviceOf("KAI-1", kai);
        person("kai", false);
        clock.advance(GRACE.multipliedBy(3));

        assertThat(deprovisioning(DeprovisioningPolicy.FLAG_ONLY).runOnce()).isZero();

        assertThat(status(phone)).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(test.kernel().directory().get(kai).orElseThrow().active()).isFalse();
    }

    private static Deprovisioning deprovisioning(DeprovisioningPolicy policy) {
        return new Deprovisioning(test.kernel().transactions(), test.kernel().commands(), test.kernel().audit(), test.kernel().json(),
                test.kernel().clock(), policy);
    }

    private static String person(String username, boolean active) {
        return scim.putUser("okta", new ProvidedUser("e-" + username, username, username, username + "@okta.example", active));
    }

    private static DeviceId deviceOf(String udid, String userId) {
        DeviceId device = test.enrollId(Platform.IOS, udid);
        test.kernel().devices().update(ADMIN, device, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(userId),
                Optional.empty(), Optional.empty()), OptionalLong.empty());
        return device;
    }

    private static DeviceStatus status(DeviceId device) {
        return test.kernel().devices().get(device).orElseThrow().device().status();
    }

    private static List<String> actions(String userId) {
        return test.kernel().audit().read(AuditFilter.ALL.withTarget("user", userId), 0, 100).stream().map(AuditEntry::action).toList();
    }
}
