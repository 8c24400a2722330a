package dev.shepherd.enrollment;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Enrollment links that ask for the user's sign-in, over the store (Derby, or PostgreSQL with
 * {@code -Dshepherd.test.store=postgresql}): such a link enrolls nothing itself; each sign-in spends one of its uses on
 * a one-time token of the signed-in person, with the link's platform, ownership and group, for an hour at most.
 */
class SignInEnrollmentLinksTest {

    @TempDir
    static Path home;
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private static TestKernel node;
    private static EnrollmentTokens tokens;
    private static String erin;

    @BeforeAll
    static void open() {
        node = TestKernel.open(home, CLOCK);
        tokens = node.kernel().enrollmentTokens();
        erin = node.kernel().directory().create(TestKernel.ADMIN, "local", "erin-" + UUID.randomUUID(), "Erin", "").id();
    }

    @AfterAll
    static void close() {
        node.close();
    }

    @Test
    void aSignInLinkEnrollsNothingItselfAndEachSignInSpendsAUseOnTheirOwnOneTimeToken() {
        IssuedEnrollmentToken link = tokens.create(TestKernel.ADMIN, new NewEnrollmentToken("Staff tablets", Ownership.PERSONAL,
                Optional.of(Platform.ANDROID), Optional.empty(), Optional.empty(), OptionalInt.of(2), CLOCK.instant().plus(Duration.ofDays(2)), true));

        assertThat(tokens.check(link.secret())).as("not a token a device can enroll with").isEmpty();
        assertThat(tokens.checkSignInLink(link.secret())).hasValueSatisfying(token -> assertThat(token.requireSignIn()).isTrue());

        IssuedEnrollmentToken own = tokens.issueForSignedInUser(link.secret(), erin, "erin").orElseThrow();
        assertThat(own.token().userId()).hasValue(erin);
        assertThat(own.token().ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(own.token().platform()).hasValue(Platform.ANDROID);
        assertThat(own.token().maxUses()).hasValue(1);
        assertThat(own.token().requireSignIn()).isFalse();
        assertThat(own.token().expiresAt()).isEqualTo(CLOCK.instant().plus(Duration.ofHours(1)));
        assertThat(tokens.check(own.secret())).hasValueSatisfying(grant -> assertThat(grant.userId()).hasValue(erin));

        assertThat(tokens.issueForSignedInUser(link.secret(), erin, "erin")).isPresent();
        assertThat(tokens.issueForSignedInUser(link.secret(), erin, "erin")).as("its two uses are spent").isEmpty();
        assertThat(tokens.checkSignInLink(link.secret())).isEmpty();
    }

    @Test
    void onlyALinkThatAsksForASignInHandsOutTokensAndNotOnceRevokedOrForAUserOfItsOwn() {
        IssuedEnrollmentToken plain = tokens.create(TestKernel.ADMIN, new NewEnrollmentToken("Kiosks", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), CLOCK.instant().plus(Duration.ofDays(1))));
        assertThat(tokens.issueForSignedInUser(plain.secret(), erin, "erin")).isEmpty();
        assertThat(tokens.checkSignInLink(plain.secret())).isEmpty();

        IssuedEnrollmentToken link = tokens.create(TestKernel.ADMIN, new NewEnrollmentToken("Staff", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), CLOCK.instant().plus(Duration.ofDays(1)), true));
        tokens.revoke(TestKernel.ADMIN, link.token().id());
        assertThat(tokens.issueForSignedInUser(link.secret(), erin, "erin")).isEmpty();

        assertThatThrownBy(() -> new NewEnrollmentToken("Erin's", Ownership.CORPORATE, Optional.empty(), Optional.empty(), Optional.of(erin),
                OptionalInt.empty(), CLOCK.instant().plus(Duration.ofDays(1)), true)).isInstanceOf(IllegalArgumentException.class);
    }
}
