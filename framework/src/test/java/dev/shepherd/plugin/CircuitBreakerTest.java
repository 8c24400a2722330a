package dev.shepherd.plugin;

import dev.shepherd.testing.StoreFree;
import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static dev.shepherd.plugin.CircuitBreaker.Admission.CALL;
import static dev.shepherd.plugin.CircuitBreaker.Admission.REFUSED;
import static dev.shepherd.plugin.CircuitBreaker.Admission.TRIAL;
import static org.assertj.core.api.Assertions.assertThat;

/** The rules of a plugin's circuit breaker, on a clock the test moves. */
@StoreFree
class CircuitBreakerTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final CircuitBreaker breaker = new CircuitBreaker(new CircuitBreaker.Settings(3, Duration.ofSeconds(30)), clock);

    @Test
    void failuresInARowOpenItAndASuccessInBetweenStartsTheCountAgain() {
        fail(CALL);
        fail(CALL);
        breaker.succeeded(breaker.admit());
        fail(CALL);
        fail(CALL);
        assertThat(breaker.status().state()).isEqualTo(CircuitBreaker.State.CLOSED);

        assertThat(breaker.failed(breaker.admit(), "third in a row", false)).isTrue();

        CircuitBreaker.Status status = breaker.status();
        assertThat(status.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(status.reason()).hasValue("3 calls failed in a row, the last: third in a row");
        assertThat(status.retryAt()).hasValue(clock.instant().plusSeconds(30));
        assertThat(breaker.admit()).isEqualTo(REFUSED);
    }

    @Test
    void oneHangOpensItAtOnce() {
        assertThat(breaker.failed(breaker.admit(), "did not return within 3000 ms", true)).isTrue();
        assertThat(breaker.status().reason()).hasValue("did not return within 3000 ms");
    }

    @Test
    void afterTheCoolDownOneTrialGoesThroughAndItsSuccessClosesIt() {
        openIt();
        clock.advance(Duration.ofSeconds(29));
        assertThat(breaker.admit()).isEqualTo(REFUSED);
        clock.advance(Duration.ofSeconds(1));

        assertThat(breaker.admit()).isEqualTo(TRIAL);
        assertThat(breaker.admit()).as("others wait for the trial").isEqualTo(REFUSED);
        breaker.succeeded(TRIAL);

        assertThat(breaker.status().state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.status().failuresInARow()).isZero();
        assertThat(breaker.admit()).isEqualTo(CALL);
    }

    @Test
    void aFailedTrialOpensItForAnotherCoolDown() {
        openIt();
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.failed(breaker.admit(), "still broken", false)).isTrue();

        assertThat(breaker.status().state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.status().retryAt()).hasValue(clock.instant().plusSeconds(30));
        assertThat(breaker.admit()).isEqualTo(REFUSED);
    }

    @Test
    void aTrialThatCouldNotBeMadeLetsTheNextCallTry() {
        openIt();
        clock.advance(Duration.ofSeconds(30));
        breaker.abandoned(breaker.admit());

        assertThat(breaker.admit()).isEqualTo(TRIAL);
    }

    @Test
    void aLateSuccessOfACallAdmittedBeforeItOpenedDoesNotCloseIt() {
        CircuitBreaker.Admission early = breaker.admit();
        openIt();

        breaker.succeeded(early);

        assertThat(breaker.status().state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private void openIt() {
        for (int i = 0; i < 3; i++) {
            fail(breaker.admit());
        }
        assertThat(breaker.status().state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private void fail(CircuitBreaker.Admission admission) {
        breaker.failed(admission, "boom", false);
    }
}
