package dev.shepherd.google;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {

    @Test
    void theBackoffDoublesFromTheFirstUpToAMinute() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofMinutes(2), Duration.ofSeconds(30));
        assertThat(policy.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.backoff(6)).isEqualTo(Duration.ofSeconds(32));
        assertThat(policy.backoff(7)).isEqualTo(RetryPolicy.MAX_BACKOFF);
        assertThat(policy.backoff(1000)).isEqualTo(RetryPolicy.MAX_BACKOFF);
    }

    @Test
    void onceIsASingleTry() {
        RetryPolicy once = RetryPolicy.once(Duration.ofSeconds(10));
        assertThat(once.maxAttempts()).isEqualTo(1);
        assertThat(once.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(-1), Duration.ZERO, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.once(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.once(null)).isInstanceOf(NullPointerException.class);
    }
}
