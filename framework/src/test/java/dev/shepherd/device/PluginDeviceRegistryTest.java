package dev.shepherd.device;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Devices a plugin pre-registers (a platform program's list) through the real kernel store: PENDING and corporate,
 * attributed to the plugin, claimed by the program's enrollment; all or none when one is already known.
 */
class PluginDeviceRegistryTest {

    @TempDir
    Path home;
    private TestKernel test;
    private PluginDeviceRegistry registry;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        registry = new PluginDeviceRegistry("apple-ios", test.kernel().devices(), test.kernel().enrollmentTokens(),
                test.kernel().recoveryKeys());
    }

    @AfterEach
    void close() {
        test.close();
    }

    private static PreRegistration iphone(String serial) {
        return new PreRegistration(Platform.IOS, serial, "iPhone 15", "", Map.of("serial", serial), Set.of());
    }

    @Test
    void preRegisteredDevicesArePendingCorporateAttributedToThePluginAndClaimedByTheProgramsEnrollment() {
        List<DeviceId> ids = registry.preRegister(List.of(iphone("DMQ1"), iphone("DMQ2")));

        assertThat(ids).hasSize(2);
        assertThat(registry.find(ids.get(0))).hasValueSatisfying(device -> {
            assertThat(device.status()).isEqualTo(DeviceStatus.PENDING);
            assertThat(device.ownership()).isEqualTo(Ownership.CORPORATE);
            assertThat(device.serialNumber()).isEqualTo("DMQ1");
            assertThat(device.name()).isEqualTo("iPhone 15 DMQ1");
        });
        List<AuditEntry> audited = test.kernel().audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()), 0, 100);
        assertThat(audited).filteredOn(entry -> entry.action().equals("device.import"))
                .singleElement().satisfies(entry -> assertThat(entry.actorId()).isEqualTo("apple-ios"));

        DeviceId enrolled = registry.enroll(new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.PROGRAM,
                Map.of("serial", "DMQ1"), "DMQ1", "iPhone 15", "18.1", "Dana's iPhone")).id();
        assertThat(enrolled).isEqualTo(ids.get(0));
        assertThat(registry.status(enrolled)).hasValue(DeviceStatus.ENROLLED);
    }

    @Test
    void aKnownIdentifierRefusesTheWholeListAndLongListsAreRefused() {
        registry.preRegister(List.of(iphone("DMQ1")));

        assertThatThrownBy(() -> registry.preRegister(List.of(iphone("DMQ3"), iphone("DMQ1"))))
                .isInstanceOf(IllegalStateException.class);
        assertThat(registry.findByHardwareId(Platform.IOS, "serial", "DMQ3")).as("all or none").isEmpty();
        assertThatThrownBy(() -> registry.preRegister(Collections.nCopies(1001, iphone("DMQ4"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
