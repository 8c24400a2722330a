package dev.shepherd.directory;

import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One-time sign-in codes over the store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): a code
 * stands for its user until it is redeemed once or expires, and only for its purpose; checking does not use it up.
 */
class SignInCodesTest {

    @TempDir
    static Path home;
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private static TestKernel node;
    private static SignInCodes codes;
    private final String user = UUID.randomUUID().toString();

    @BeforeAll
    static void open() {
        node = TestKernel.open(home, CLOCK);
        codes = new SignInCodes(node.kernel().transactions(), CLOCK);
    }

    @AfterAll
    static void close() {
        node.close();
    }

    @Test
    void aCodeIsCheckedAnyNumberOfTimesAndRedeemedOnce() {
        String code = codes.issue(user, "enrollment");

        assertThat(codes.check(code, "enrollment")).hasValue(user);
        assertThat(codes.check(code, "enrollment")).as("checking leaves it").hasValue(user);
        assertThat(codes.redeem(code, "enrollment")).hasValue(user);
        assertThat(codes.redeem(code, "enrollment")).as("used up").isEmpty();
        assertThat(codes.check(code, "enrollment")).isEmpty();
    }

    @Test
    void aCodeWorksOnlyForItsPurposeAndOnlyUntilItExpires() {
        String elsewhere = codes.issue(user, "enrollment");
        assertThat(codes.check(elsewhere, "portal")).isEmpty();
        assertThat(codes.redeem(elsewhere, "portal")).isEmpty();
        assertThat(codes.redeem(elsewhere, "enrollment")).as("a wrong use spent it too").isEmpty();

        String late = codes.issue(user, "enrollment");
        CLOCK.advance(SignInCodes.LIFETIME.plus(Duration.ofSeconds(1)));
        assertThat(codes.check(late, "enrollment")).isEmpty();
        assertThat(codes.redeem(late, "enrollment")).isEmpty();
    }

    @Test
    void unknownAndOverlongCodesStandForNobody() {
        assertThat(codes.check("not-a-code-anyone-was-given-0000000000000", "enrollment")).isEmpty();
        assertThat(codes.redeem("x".repeat(10_000), "enrollment")).isEmpty();
    }
}
