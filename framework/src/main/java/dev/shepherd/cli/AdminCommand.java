package dev.shepherd.cli;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.PasswordHasher;
import dev.shepherd.security.SecretBox;
import dev.shepherd.security.SignInFailures;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code shepherd admin create}: makes an admin account directly in the store (the server need not run);
 * {@code shepherd admin reset-second-factor}: removes an account's TOTP second factor, for the last admin who lost
 * their phone and recovery codes (no one is left to reset it through the API).
 */
@Command(name = "admin", description = "Manage admin accounts.", mixinStandardHelpOptions = true,
        subcommands = {AdminCommand.Create.class, AdminCommand.ResetSecondFactor.class})
final class AdminCommand {

    @Command(name = "reset-second-factor", mixinStandardHelpOptions = true,
            description = "Remove an admin's TOTP second factor and recovery codes (audited); they sign in with their password alone."
                    + " With embedded Derby, stop the server first: the database has one owner.")
    static final class ResetSecondFactor implements Callable<Integer> {

        @Option(names = "--username", required = true, description = "Login name.")
        String username;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ShepherdConfig config = ShepherdCli.loadConfig();
            try (Database database = Database.open(config)) {
                if (new AdminUserStore(database.dataSource(), new PasswordHasher(12)).find(username).isEmpty()) {
                    throw new ShepherdCli.CliException("no admin is named '" + username + "'");
                }
                Transactions transactions = new Transactions(database.dataSource());
                AdminTotp totp = new AdminTotp(transactions, SecretBox.openKeyFile(config.security().secretsKey(config.dataDir())),
                        Clock.systemUTC());
                if (!totp.remove(username)) {
                    spec.commandLine().getOut().println("'" + username + "' has no second factor.");
                    return 0;
                }
                new SignInFailures(transactions, Clock.systemUTC()).clear(AdminAuthenticator.secondFactorSubject(username));
                new AuditLog(transactions, Clock.systemUTC()).append(new AuditRecord(Actor.SYSTEM, "admin.totp_reset", "admin", username,
                        Optional.empty(), Optional.of("{\"by\":\"command line\"}")));
                spec.commandLine().getOut().println("Removed the second factor of '" + username + "'; they sign in with their password alone.");
                return 0;
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an admin account. With embedded Derby, stop the server first: the database has one owner.")
    static final class Create implements Callable<Integer> {

        @Option(names = "--username", required = true, description = "Login name.")
        String username;

        @Option(names = "--role", defaultValue = "ADMIN", description = "One of ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
        AdminRole role;

        @Option(names = "--password-stdin", description = "Read the password from standard input instead of prompting.")
        boolean passwordFromStdin;

        @Option(names = "--scope-group", paramLabel = "GROUP_ID",
                description = "Grant the role over this device group's members only; repeat for several groups (default: the whole fleet).")
        List<String> scopeGroups = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            char[] password = readPassword();
            try {
                PasswordHasher.checkLength(password);
            } catch (IllegalArgumentException e) {
                throw new ShepherdCli.CliException(e.getMessage());
            }
            ShepherdConfig config = ShepherdCli.loadConfig();
            try (Database database = Database.open(config)) {
                DeviceScope scope = scopeGroups.isEmpty() ? DeviceScope.FLEET : DeviceScope.groups(scopeGroups);
                requireGroupsExist(database, scopeGroups);
                new AdminUserStore(database.dataSource(), new PasswordHasher(12)).create(username, password, role, scope);
                spec.commandLine().getOut().println("Created " + role.name().toLowerCase() + " '" + username + "'"
                        + (scope.isFleet() ? "." : " over the devices of " + scopeGroups.size() + " group(s)."));
                return 0;
            } catch (AdminUserStore.DuplicateUserException | IllegalArgumentException e) {
                throw new ShepherdCli.CliException(e.getMessage());
            } finally {
                Arrays.fill(password, '\0');
            }
        }

        /** A scope naming a group nobody made is a mistake: refused, as the admin API refuses it. */
        private static void requireGroupsExist(Database database, List<String> groupIds) {
            try (Connection connection = database.dataSource().getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT id FROM device_group WHERE id = ?")) {
                for (String groupId : groupIds) {
                    select.setString(1, groupId);
                    try (ResultSet rows = select.executeQuery()) {
                        if (!rows.next()) {
                            throw new ShepherdCli.CliException("there is no device group '" + groupId + "'");
                        }
                    }
                }
            } catch (SQLException e) {
                throw new StorageException("Cannot read device groups", e);
            }
        }

        private char[] readPassword() throws IOException {
            if (!passwordFromStdin && System.console() != null) {
                char[] first = System.console().readPassword("Password for %s: ", username);
                char[] second = System.console().readPassword("Repeat the password: ");
                if (first == null || !Arrays.equals(first, second)) {
                    throw new ShepherdCli.CliException("the passwords do not match");
                }
                return first;
            }
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new ShepherdCli.CliException("no password on standard input");
            }
            return line.toCharArray();
        }
    }
}
