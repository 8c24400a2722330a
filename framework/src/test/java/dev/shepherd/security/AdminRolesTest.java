package dev.shepherd.security;

import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Custom roles in the store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): made from the
 * permissions, listed after the four read-only built-ins, held by accounts by id, never deleted while held, and an
 * edit reaches a holder's next check on another node with no cache to go stale.
 */
class AdminRolesTest {

    private static final char[] PASSWORD = "reader-Password-granite".toCharArray();

    @TempDir
    Path home;
    private TestKernel nodeA;
    private TestKernel nodeB;
    private AdminUserStore users;
    private AdminRoles roles;

    @BeforeEach
    void open() {
        nodeA = TestKernel.open(home);
        nodeB = TestKernel.open(home);
        users = new AdminUserStore(nodeA.database().dataSource(), new PasswordHasher(4));
        roles = users.roles();
    }

    @AfterEach
    void close() {
        nodeB.close();
        nodeA.close();
    }

    @Test
    void theBuiltInsArePresetsAndCustomRolesFollowThemByName() throws Exception {
        CustomRole reader = roles.create("  Device reader ", "Looks devices up", Set.of(Permission.DEVICE_READ, Permission.GROUP_READ));
        roles.create("Auditor light", "", Set.of(Permission.AUDIT_READ));

        assertThat(roles.list()).extracting(Role::name)
                .containsExactly("ADMIN", "OPERATOR", "HELPDESK", "AUDITOR", "Auditor light", "Device reader");
        assertThat(reader.id()).startsWith("role-");
        assertThat(roles.find(reader.id())).contains(reader);
        assertThat(roles.find("OPERATOR")).contains(AdminRole.OPERATOR);
        assertThat(AdminRole.OPERATOR.permissions()).as("built-ins keep their permissions")
                .contains(Permission.DEVICE_WIPE, Permission.COMMAND_RAW).doesNotContain(Permission.ADMIN_MANAGE);
        assertThat(roles.update("OPERATOR", "Operator", "", Set.of(Permission.DEVICE_READ))).as("built-ins are read-only").isEmpty();
        assertThat(roles.delete("HELPDESK")).isFalse();
    }

    @Test
    void namesAreUniqueAmongAllRolesAndARoleNeedsAPermission() throws Exception {
        roles.create("Device reader", "", Set.of(Permission.DEVICE_READ));

        assertThatThrownBy(() -> roles.create("Device reader", "", Set.of(Permission.APP_READ)))
                .isInstanceOf(AdminRoles.DuplicateRoleException.class);
        assertThatThrownBy(() -> roles.create("Help desk", "", Set.of(Permission.APP_READ)))
                .as("a built-in's name is taken too").isInstanceOf(AdminRoles.DuplicateRoleException.class);
        assertThatThrownBy(() -> roles.create("Nothing", "", Set.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> roles.create(" ", "", Set.of(Permission.APP_READ))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> roles.create("x".repeat(65), "", Set.of(Permission.APP_READ))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAccountHoldsACustomRoleByIdAndItCannotBeDeletedWhileHeld() throws Exception {
        CustomRole reader = roles.create("Device reader", "", Set.of(Permission.DEVICE_READ));
        users.create("rhea", PASSWORD, reader);

        assertThat(users.find("rhea").orElseThrow().role()).isEqualTo(reader);
        assertThatThrownBy(() -> roles.delete(reader.id())).isInstanceOf(AdminRoles.RoleInUseException.class);

        users.update("rhea", Optional.of(AdminRole.AUDITOR), Optional.empty());

        assertThat(roles.delete(reader.id())).isTrue();
        assertThat(roles.find(reader.id())).isEmpty();
        assertThat(roles.delete(reader.id())).isFalse();
    }

    @Test
    void anEditedRoleIsInForceAtItsHoldersNextCheckOnAnotherNode() throws Exception {
        CustomRole reader = roles.create("Device reader", "", Set.of(Permission.DEVICE_READ));
        users.create("rhea", PASSWORD, reader);
        AdminAuthenticator nodeBAuthenticator = authenticator(nodeB.kernel());
        // Node B remembers the password check; the role must be read afresh all the same.
        assertThat(principal(nodeBAuthenticator).role().permissions()).containsExactly(Permission.DEVICE_READ);

        roles.update(reader.id(), "Device reader", "now with apps", EnumSet.of(Permission.DEVICE_READ, Permission.APP_READ));

        Role after = principal(nodeBAuthenticator).role();
        assertThat(after.permissions()).containsExactlyInAnyOrder(Permission.DEVICE_READ, Permission.APP_READ);
        assertThat(after.description()).isEqualTo("now with apps");
    }

    private static Principal principal(AdminAuthenticator authenticator) {
        AdminAuthenticator.Outcome outcome = authenticator.checkPassword("rhea", PASSWORD, "192.0.2.9");
        assertThat(outcome).isInstanceOf(AdminAuthenticator.Outcome.Authenticated.class);
        return ((AdminAuthenticator.Outcome.Authenticated) outcome).principal();
    }

    private static AdminAuthenticator authenticator(Kernel kernel) {
        AdminUserStore store = new AdminUserStore(kernel.transactions().dataSource(), new PasswordHasher(4));
        return new AdminAuthenticator(store, new AdminSessions(kernel.transactions(), kernel.clock()),
                new ApiTokens(kernel.transactions(), kernel.audit(), kernel.json(), kernel.clock()), true,
                AdminAuthenticator.SignInEvents.NONE, new SignInFailures(kernel.transactions(), kernel.clock()), kernel.changes());
    }
}
