package dev.shepherd.security;

import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sign-in limits and remembered password checks hold whichever node a request reaches: two authenticators over one
 * store, as on two nodes over one database.
 */
class SignInAcrossNodesTest {

    private static final String USER = "alice";
    private static final char[] PASSWORD = "correct horse battery staple".toCharArray();
    private static final String ADDRESS = "192.0.2.7";

    @TempDir
    Path home;
    private TestKernel nodeA;
    private TestKernel nodeB;
    private AdminUserStore users;
    private AdminAuthenticator authenticatorA;
    private AdminAuthenticator authenticatorB;

    @BeforeEach
    void open() throws Exception {
        nodeA = TestKernel.open(home);
        nodeB = TestKernel.open(home);
        users = new AdminUserStore(nodeA.database().dataSource(), new PasswordHasher(4));
        users.create(USER, PASSWORD, AdminRole.ADMIN);
        authenticatorA = authenticator(nodeA.kernel());
        authenticatorB = authenticator(nodeB.kernel());
        nodeA.kernel().changes().poll();
        nodeB.kernel().changes().poll();
    }

    @AfterEach
    void close() {
        nodeB.close();
        nodeA.close();
    }

    @Test
    void failuresOnEveryNodeCountTogetherAndLockTheUsernameOnAll() {
        for (int i = 0; i < 3; i++) {
            assertThat(authenticatorA.checkPassword(USER, "wrong".toCharArray(), ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Rejected.class);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(authenticatorB.checkPassword(USER, "wrong".toCharArray(), ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Rejected.class);
        }

        assertThat(authenticatorA.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Locked.class);
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Locked.class);
        assertThat(authenticatorB.locked(USER)).isTrue();

        assertThat(authenticatorA.unlock(USER)).isTrue();
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Authenticated.class);
    }

    @Test
    void aSuccessfulSignInOnOneNodeStartsTheCountAgainOnAll() {
        for (int i = 0; i < 4; i++) {
            authenticatorA.checkPassword(USER, "wrong".toCharArray(), ADDRESS);
        }
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Authenticated.class);

        authenticatorA.checkPassword(USER, "wrong".toCharArray(), ADDRESS);

        assertThat(authenticatorA.locked(USER)).isFalse();
    }

    @Test
    void anAddressTryingManyNamesAcrossNodesIsLimitedOnAll() {
        for (int i = 0; i < AdminAuthenticator.MAX_FAILURES_PER_ADDRESS; i++) {
            AdminAuthenticator node = i % 2 == 0 ? authenticatorA : authenticatorB;
            assertThat(node.checkPassword("guess-" + i, "wrong".toCharArray(), ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Rejected.class);
        }

        assertThat(authenticatorA.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Locked.class);
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Locked.class);
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, "192.0.2.8")).isInstanceOf(AdminAuthenticator.Outcome.Authenticated.class);
    }

    @Test
    void aPasswordChangedOnOneNodeNoLongerWorksOnTheOther() {
        // Node B remembers the check for a minute, so scripts signing in with every request do not pay bcrypt each time.
        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Authenticated.class);

        assertThat(users.changePassword(USER, "a new and different passphrase".toCharArray())).isTrue();
        authenticatorA.forget(USER);
        nodeB.kernel().changes().poll();

        assertThat(authenticatorB.checkPassword(USER, PASSWORD, ADDRESS)).isInstanceOf(AdminAuthenticator.Outcome.Rejected.class);
    }

    private static AdminAuthenticator authenticator(Kernel kernel) {
        AdminUserStore store = new AdminUserStore(kernel.transactions().dataSource(), new PasswordHasher(4));
        return new AdminAuthenticator(store, new AdminSessions(kernel.transactions(), kernel.clock()),
                new ApiTokens(kernel.transactions(), kernel.audit(), kernel.json(), kernel.clock()), true,
                AdminAuthenticator.SignInEvents.NONE, new SignInFailures(kernel.transactions(), kernel.clock()), kernel.changes());
    }
}
