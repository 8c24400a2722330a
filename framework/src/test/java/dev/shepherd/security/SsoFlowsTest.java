package dev.shepherd.security;

import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Single sign-on flows over the store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): an
 * enrollment sign-in's context is kept sealed beside the plugin's pending secret and comes back with it, once; only an
 * enrollment sign-in has one.
 */
class SsoFlowsTest {

    @TempDir
    static Path home;
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-05T09:00:00Z"));
    private static TestKernel node;
    private static SsoFlows flows;

    @BeforeAll
    static void open() {
        node = TestKernel.open(home, CLOCK);
        flows = new SsoFlows(node.kernel().transactions(), SecretBox.open(home.resolve("secrets")), CLOCK);
    }

    @AfterAll
    static void close() {
        node.close();
    }

    @Test
    void anEnrollmentSignInsContextIsSealedAndComesBackOnceWithItsPendingSecret() {
        String context = "appru=ms-app%3A%2F%2Fwindows.immersivecontrolpanel";
        flows.start("browser-1", "corp", SsoFlows.Audience.ENROLLMENT, "state-1", "verifier\nwith a line break", Optional.of(context));

        assertThat(storedPending("browser-1")).doesNotContain("ms-app", "verifier");
        SsoFlows.Flow flow = flows.take("browser-1").orElseThrow();
        assertThat(flow.audience()).isEqualTo(SsoFlows.Audience.ENROLLMENT);
        assertThat(flow.context()).hasValue(context);
        assertThat(flow.pending()).isEqualTo("verifier\nwith a line break");
        assertThat(flow.stateHash()).isEqualTo(Secrets.sha256("state-1"));
        assertThat(flows.take("browser-1")).isEmpty();
    }

    @Test
    void theConsolesAndPortalsFlowsHaveNoContextAndOnlyAnEnrollmentHasOne() {
        flows.start("browser-2", "corp", SsoFlows.Audience.PORTAL, "state-2", "verifier-2");
        assertThat(flows.take("browser-2")).hasValueSatisfying(flow -> {
            assertThat(flow.context()).isEmpty();
            assertThat(flow.pending()).isEqualTo("verifier-2");
        });

        assertThatThrownBy(() -> flows.start("browser-3", "corp", SsoFlows.Audience.CONSOLE, "s", "p", Optional.of("appru=x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> flows.start("browser-3", "corp", SsoFlows.Audience.ENROLLMENT, "s", "p", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> flows.start("browser-3", "corp", SsoFlows.Audience.ENROLLMENT, "s", "p", Optional.of("two\nlines")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(flows.take("browser-3")).isEmpty();
    }

    private static String storedPending(String browserId) {
        return node.kernel().transactions().inTransaction("read a flow", tx -> {
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT pending FROM sso_flow WHERE id_hash = ?")) {
                select.setString(1, Secrets.sha256(browserId));
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return rows.getString(1);
                }
            }
        });
    }
}
