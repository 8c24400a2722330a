package dev.shepherd.testing;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.security.SecretBox;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.Database;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The kernel's services over a real store, without HTTP: embedded Derby in a temporary directory, or a database of
 * its own on the test PostgreSQL when this JVM's tests run on PostgreSQL ({@link TestStore}).
 */
public final class TestKernel implements AutoCloseable {

    public static final Actor ADMIN = Actor.admin("test-admin");

    private final Database database;
    private final Kernel kernel;
    private final StoreUse storeUse;

    private TestKernel(Database database, Kernel kernel, StoreUse storeUse) {
        this.database = database;
        this.kernel = kernel;
        this.storeUse = storeUse;
    }

    public static TestKernel open(Path home) {
        return open(home, Clock.systemUTC());
    }

    public static TestKernel open(Path home, Clock clock) {
        return open(TestStore.config(home), clock);
    }

    /** The kernel over the store a configuration names, its secrets key in the configuration's data directory. */
    public static TestKernel open(ShepherdConfig config, Clock clock) {
        TestStore.seedDerbyStore(config);
        StoreUse storeUse = new StoreUse();
        Database database = Database.open(config, storeUse::around);
        return new TestKernel(database, Kernel.over(database, SecretBox.open(config.dataDir()), clock), storeUse);
    }

    /** What the kernel's callers have asked of its store: statements, commits and connections, by thread. */
    public StoreUse storeUse() {
        return storeUse;
    }

    public Kernel kernel() {
        return kernel;
    }

    public Database database() {
        return database;
    }

    /** Creates a multi-use token and enrolls one device with it. */
    public DeviceRecord enroll(Platform platform, String udid, Ownership ownership) {
        String secret = kernel.enrollmentTokens().create(ADMIN, new NewEnrollmentToken("test", ownership, Optional.empty(),
                Optional.empty(), Optional.empty(), OptionalInt.empty(), kernel.clock().instant().plus(Duration.ofDays(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), claim(secret, platform, udid));
    }

    public static EnrollmentClaim claim(String secret, Platform platform, String udid) {
        return new EnrollmentClaim(Optional.of(secret), platform, EnrollmentMethod.LINK, Map.of("udid", udid),
                "SER-" + udid, "iPhone15,2", "17.4.1", "");
    }

    public DeviceId enrollId(Platform platform, String udid) {
        return enroll(platform, udid, Ownership.CORPORATE).device().id();
    }

    @Override
    public void close() {
        database.close();
    }
}
