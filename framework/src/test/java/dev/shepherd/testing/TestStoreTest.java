package dev.shepherd.testing;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test kit's Derby stores: an installation without a store starts from a copy of the store the kernel migrations
 * were applied to once per JVM, a copy of its own, complete and owner-only. About Derby only, so it runs once (in the
 * default run), whatever engine the JVM's other tests use.
 */
@StoreFree
class TestStoreTest {

    @TempDir
    Path first;
    @TempDir
    Path second;

    @Test
    void aDerbyInstallationStartsFromACopyOfTheMigratedStoreWithNothingLeftToMigrate() throws IOException {
        ShepherdConfig config = derby(first);

        TestStore.seedDerbyStore(config);

        Path store = config.dataDir().resolve("db");
        assertThat(store.resolve("service.properties")).as("a Derby database before the kernel opens it").isRegularFile();
        try (Stream<Path> files = Files.walk(config.dataDir())) {
            for (Path file : files.toList()) {
                assertThat(Files.getPosixFilePermissions(file)).as(file.toString()).doesNotContain(
                        PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_WRITE,
                        PosixFilePermission.OTHERS_WRITE);
            }
        }
        try (TestKernel kernel = TestKernel.open(config, Clock.systemUTC())) {
            Flyway kernelMigrations = Flyway.configure(TestStoreTest.class.getClassLoader())
                    .locations("classpath:db/migration/kernel/derby").table("kernel_schema_history")
                    .dataSource(kernel.database().dataSource()).load();
            assertThat(kernelMigrations.info().pending()).as("migrations left to apply").isEmpty();
            assertThat(kernelMigrations.info().applied()).isNotEmpty();
        }
    }

    @Test
    void eachInstallationHasACopyOfItsOwnAndAnExistingStoreIsLeftAlone() {
        ShepherdConfig firstConfig = derby(first);
        try (TestKernel kernel = TestKernel.open(firstConfig, Clock.systemUTC())) {
            kernel.enroll(Platform.IOS, "UDID-OF-THE-FIRST", Ownership.CORPORATE);
        }

        try (TestKernel other = TestKernel.open(derby(second), Clock.systemUTC())) {
            assertThat(other.kernel().devices().idByHardwareId(Platform.IOS, "udid", "UDID-OF-THE-FIRST"))
                    .as("another installation's device").isEmpty();
        }
        TestStore.seedDerbyStore(firstConfig);
        try (TestKernel again = TestKernel.open(firstConfig, Clock.systemUTC())) {
            assertThat(again.kernel().devices().idByHardwareId(Platform.IOS, "udid", "UDID-OF-THE-FIRST"))
                    .as("the installation's own device, after it was opened again").isPresent();
        }
    }

    private static ShepherdConfig derby(Path home) {
        return new ConfigLoader(Map.of()).load(home, home.resolve("absent.yaml"));
    }
}
