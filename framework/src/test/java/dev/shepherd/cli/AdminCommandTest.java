package dev.shepherd.cli;

import dev.shepherd.audit.AuditFilter;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.PasswordHasher;
import dev.shepherd.security.SecretBox;
import dev.shepherd.security.Totp;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.Transactions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/shepherd admin reset-second-factor}: the way back in for the last admin who lost their phone and their
 * recovery codes, run by the operator against the installation's own store with the server stopped.
 */
class AdminCommandTest {

    @RegisterExtension
    final CliSession cli = new CliSession();

    @Test
    void theOperatorRemovesAnAdminsSecondFactorAndTheRemovalIsAudited() throws Exception {
        ShepherdConfig config = ShepherdCli.loadConfig();
        try (Database database = Database.open(config)) {
            new AdminUserStore(database.dataSource(), new PasswordHasher(4)).create("root", "root-Password-granite".toCharArray(), AdminRole.ADMIN);
            AdminTotp totp = totp(database, config);
            byte[] key = Totp.fromBase32(totp.start("root").secret());
            totp.confirm("root", Totp.AUTHENTICATOR_APPS.code(key, Totp.AUTHENTICATOR_APPS.stepAt(Instant.now()))).orElseThrow();
        }

        assertThat(cli.run("admin", "reset-second-factor", "--username", "nobody")).isEqualTo(2);
        assertThat(cli.err.toString()).contains("no admin is named 'nobody'");
        assertThat(cli.run("admin", "reset-second-factor", "--username", "root")).as(cli.err.toString()).isZero();
        assertThat(cli.out.toString()).contains("Removed the second factor of 'root'");

        try (Database database = Database.open(config)) {
            assertThat(totp(database, config).status("root")).isEqualTo(new AdminTotp.Status(false, false, 0));
            assertThat(new AuditLog(new Transactions(database.dataSource()), Clock.systemUTC()).read(new AuditFilter(Optional.empty(),
                    Optional.empty(), Optional.of("root"), Optional.of("admin.totp_reset"), Optional.empty(), Optional.empty()), 0, 10))
                    .hasSize(1);
        }
    }

    @Test
    void theOperatorCreatesAnAdminWhoseRoleIsGrantedOverSomeDeviceGroups() throws Exception {
        ShepherdConfig config = ShepherdCli.loadConfig();
        String paris = UUID.randomUUID().toString();
        try (Database database = Database.open(config);
             Connection connection = database.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO device_group (id, name, description, kind, created_by,"
                     + " created_at, updated_at, row_version) VALUES (?, 'Paris', '', 'STATIC', 'test', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)")) {
            insert.setString(1, paris);
            insert.executeUpdate();
        }
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("desk-Password-granite\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(cli.run("admin", "create", "--username", "desk", "--role", "HELPDESK", "--password-stdin",
                    "--scope-group", UUID.randomUUID().toString())).isEqualTo(2);
            assertThat(cli.err.toString()).contains("there is no device group");
            System.setIn(new ByteArrayInputStream("desk-Password-granite\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(cli.run("admin", "create", "--username", "desk", "--role", "HELPDESK", "--password-stdin", "--scope-group", paris))
                    .as(cli.err.toString()).isZero();
        } finally {
            System.setIn(stdin);
        }

        assertThat(cli.out.toString()).contains("over the devices of 1 group(s)");
        try (Database database = Database.open(config)) {
            assertThat(new AdminUserStore(database.dataSource(), new PasswordHasher(4)).find("desk").orElseThrow().scope())
                    .isEqualTo(DeviceScope.groups(List.of(paris)));
        }
    }

    private static AdminTotp totp(Database database, ShepherdConfig config) {
        return new AdminTotp(new Transactions(database.dataSource()), SecretBox.openKeyFile(config.security().secretsKey(config.dataDir())),
                Clock.systemUTC());
    }
}
