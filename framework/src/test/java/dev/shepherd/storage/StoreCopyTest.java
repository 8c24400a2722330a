package dev.shepherd.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.config.ConfigLoader;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.Group;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.StoreFree;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code bin/shepherd db migrate}'s copy: a Derby store filled through the kernel's services is copied into an empty
 * database on a real PostgreSQL server, verified, and read back by a kernel on PostgreSQL. Uses both engines itself,
 * so it runs once (in the default run).
 */
@StoreFree
class StoreCopyTest {

    @TempDir
    Path home;

    @Test
    void aDerbyStoreIsCopiedToPostgresqlVerifiedAndServedFromThere() throws Exception {
        ShepherdConfig derby = derbyConfig(home.resolve("derby"));
        DeviceId first;
        DeviceId second;
        CommandRecord answered;
        CommandRecord queued;
        Policy policy;
        Group group;
        long lastEvent;
        AuditLog.Verification sourceAudit;
        try (TestKernel source = TestKernel.open(derby, Clock.systemUTC())) {
            Kernel kernel = source.kernel();
            first = source.enrollId(Platform.IOS, "COPY-1");
            second = source.enrollId(Platform.MACOS, "COPY-2");
            answered = kernel.commands().issue(ADMIN, first, CommandRequest.of(CommandType.LOCK));
            kernel.commands().take(first, 10);
            kernel.commands().report(first, new CommandResult(answered.command().id(), CommandState.ACKNOWLEDGED,
                    Map.of("locked", true), Optional.empty()));
            queued = kernel.commands().issue(ADMIN, second, CommandRequest.of(CommandType.RESTART));
            group = kernel.groups().create(ADMIN, "Copied", "", Optional.empty());
            kernel.groups().addMembers(ADMIN, group.id(), List.of(first, second));
            policy = kernel.policies().create(ADMIN, "Copied policy", "", List.of(
                    new SettingInput("passcode", new ObjectMapper().readTree("{\"minLength\": 8}"))));
            kernel.policies().assign(ADMIN, policy.id(), group.id(), 0);
            new JdbcPluginKeyValueStore(source.database().dataSource()).put("acme", "state", bytes("kept"));
            lastEvent = lastEventSeq(kernel.events());
            sourceAudit = kernel.audit().verify();
        }
        assertThat(sourceAudit.intact()).isTrue();

        TestPostgres postgres = TestPostgres.get();
        Path targetHome = home.resolve("postgresql");
        StoreCopy.Target target = new StoreCopy.Target(postgres.jdbcUrl(postgres.databaseOf(targetHome)), TestPostgres.USER,
                postgres.password());
        StringWriter progress = new StringWriter();
        StoreCopy.Report report = new StoreCopy(derby.dataDir().resolve("db"), target,
                () -> Database.open(postgresConfig(targetHome, target)), 2, new PrintWriter(progress)).run();

        assertThat(report.problems()).isEmpty();
        assertThat(report.verified()).isTrue();
        assertThat(report.auditVerification().verifiedEntries()).isEqualTo(sourceAudit.verifiedEntries());
        assertThat(report.targetAuditHead()).isEqualTo(report.sourceAuditHead()).hasSize(64);
        assertThat(report.tables()).extracting(StoreCopy.TableCount::table)
                .contains("device", "command", "audit_entry", "audit_head", "event_log", "plugin_kv", "policy", "device_group")
                .doesNotContain("kernel_schema_history");
        // Referenced tables come before the tables that refer to them.
        List<String> order = report.tables().stream().map(StoreCopy.TableCount::table).toList();
        assertThat(order.indexOf("device")).isLessThan(order.indexOf("device_tag"));
        assertThat(order.indexOf("policy")).isLessThan(order.indexOf("policy_assignment"));
        assertThat(progress.toString()).contains("device ").contains("audit_entry");

        // The same installation, its store now on PostgreSQL: its secrets key opens the sealed values it copied.
        try (TestKernel copy = TestKernel.open(postgresConfig(home.resolve("derby"), target), Clock.systemUTC())) {
            Kernel kernel = copy.kernel();
            assertThat(copy.database().dialect()).isEqualTo(Dialect.POSTGRESQL);
            assertThat(kernel.devices().get(first)).hasValueSatisfying(device -> assertThat(device.device().platform()).isEqualTo(Platform.IOS));
            assertThat(kernel.devices().get(second)).isPresent();
            assertThat(kernel.commands().get(answered.command().id())).hasValueSatisfying(record -> {
                assertThat(record.command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
                assertThat(record.result()).containsEntry("locked", true);
            });
            assertThat(kernel.commands().take(second, 10)).singleElement()
                    .satisfies(command -> assertThat(command.id()).isEqualTo(queued.command().id()));
            assertThat(kernel.policies().get(policy.id())).isPresent();
            assertThat(new JdbcPluginKeyValueStore(copy.database().dataSource()).get("acme", "state"))
                    .hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("kept")));
            assertThat(kernel.audit().verify().intact()).isTrue();

            // The identity counters continue after the copied rows, and the chain grows from the copied tip.
            kernel.commands().issue(ADMIN, first, CommandRequest.of(CommandType.RESTART));
            assertThat(lastEventSeq(kernel.events())).isGreaterThan(lastEvent);
            AuditLog.Verification grown = kernel.audit().verify();
            assertThat(grown.intact()).isTrue();
            assertThat(grown.verifiedEntries()).isGreaterThan(sourceAudit.verifiedEntries());
        }
    }

    @Test
    void aTargetThatHoldsATableIsRefusedUntouched() throws SQLException {
        ShepherdConfig derby = derbyConfig(home.resolve("derby"));
        try (TestKernel source = TestKernel.open(derby, Clock.systemUTC())) {
            source.enrollId(Platform.IOS, "COPY-1");
        }
        TestPostgres postgres = TestPostgres.get();
        Path targetHome = home.resolve("postgresql");
        StoreCopy.Target target = new StoreCopy.Target(postgres.jdbcUrl(postgres.databaseOf(targetHome)), TestPostgres.USER,
                postgres.password());
        try (Connection connection = DriverManager.getConnection(target.url(), target.username(), target.password());
             Statement create = connection.createStatement()) {
            create.execute("CREATE TABLE earlier_data (id INT)");
        }

        assertThatThrownBy(() -> new StoreCopy(derby.dataDir().resolve("db"), target,
                () -> Database.open(postgresConfig(targetHome, target)), 100, new PrintWriter(new StringWriter())).run())
                .isInstanceOf(StoreCopy.RefusedException.class)
                .hasMessageContaining("not empty").hasMessageContaining("earlier_data");
    }

    @Test
    void aStoreInUseByARunningServerIsRefused() throws Exception {
        ShepherdConfig derby = derbyConfig(home.resolve("derby"));
        try (TestKernel source = TestKernel.open(derby, Clock.systemUTC())) {
            source.enrollId(Platform.IOS, "BUSY");
        }
        // Another process holds the store, as a running server does.
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DerbyStoreHolder.class.getName(), home.resolve("derby").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            // Its log lines share the output; the store is held once it says so.
            BufferedReader output = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = output.readLine();
            } while (line != null && !line.equals("OPEN derby"));
            assertThat(line).isEqualTo("OPEN derby");
            StoreCopy.Target target = new StoreCopy.Target("jdbc:postgresql://127.0.0.1:1/unused", "nobody", "unused");

            assertThatThrownBy(() -> new StoreCopy(derby.dataDir().resolve("db"), target, () -> {
                throw new AssertionError("the target must not be opened");
            }, 100, new PrintWriter(new StringWriter())).run())
                    .isInstanceOf(StoreCopy.RefusedException.class)
                    .hasMessageContaining("in use").hasMessageContaining("stop the server");
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(30, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
    }

    @Test
    void aSourceAtAnotherSchemaVersionIsRefused() {
        ShepherdConfig derby = derbyConfig(home.resolve("derby"));
        Path store = derby.dataDir().resolve("db");
        Flyway.configure().dataSource("jdbc:derby:" + store + ";create=true", null, null)
                .locations("classpath:db/migration/kernel/derby").table("kernel_schema_history").target("22").load().migrate();
        StoreCopy.Target target = new StoreCopy.Target("jdbc:postgresql://127.0.0.1:1/unused", "nobody", "unused");

        assertThatThrownBy(() -> new StoreCopy(store, target, () -> {
            throw new AssertionError("the target must not be opened");
        }, 100, new PrintWriter(new StringWriter())).run())
                .isInstanceOf(StoreCopy.RefusedException.class)
                .hasMessageContaining("kernel schema version 22");
    }

    @Test
    void onlyAPostgresqlTargetAndAnExistingDerbyStoreAreAccepted() {
        StoreCopy.Target derbyTarget = new StoreCopy.Target("jdbc:derby:/tmp/elsewhere", "app", "");
        assertThatThrownBy(() -> new StoreCopy(home, derbyTarget, () -> null, 100, new PrintWriter(new StringWriter())).run())
                .isInstanceOf(StoreCopy.RefusedException.class).hasMessageContaining("must be a PostgreSQL database");
        StoreCopy.Target target = new StoreCopy.Target("jdbc:postgresql://127.0.0.1:1/unused", "nobody", "s3cret-pw");
        assertThatThrownBy(() -> new StoreCopy(home.resolve("no-store"), target, () -> null, 100,
                new PrintWriter(new StringWriter())).run())
                .isInstanceOf(StoreCopy.RefusedException.class).hasMessageContaining("no embedded Derby store");
        assertThat(target.toString()).doesNotContain("s3cret-pw");
    }

    private static ShepherdConfig derbyConfig(Path installation) {
        return new ConfigLoader(Map.of()).load(installation, installation.resolve("absent.yaml"));
    }

    private static ShepherdConfig postgresConfig(Path installation, StoreCopy.Target target) {
        return new ConfigLoader(Map.of("SHEPHERD_DATABASE_URL", target.url(), "SHEPHERD_DATABASE_USERNAME", target.username(),
                "SHEPHERD_DATABASE_PASSWORD", target.password())).load(installation, installation.resolve("absent.yaml"));
    }

    private static long lastEventSeq(EventLog events) {
        List<EventLog.Logged> newest = events.read(List.of(), 0, 1, true);
        return newest.isEmpty() ? 0 : newest.get(0).seq();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
