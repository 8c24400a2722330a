package dev.shepherd.webhook;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * One attempt to deliver an event to a webhook.
 *
 * @param attempt its number, from 1
 * @param attemptedAt when it ended
 * @param status the endpoint's HTTP status, when it answered
 * @param error why it did not count as delivered, in words; empty when the endpoint answered 2xx
 * @param durationMillis how long the attempt took
 */
public record WebhookAttempt(int attempt, Instant attemptedAt, OptionalInt status, Optional<String> error, long durationMillis) {
    public WebhookAttempt {
        requireNonNull(attemptedAt, "attemptedAt is null");
        requireNonNull(status, "status is null");
        requireNonNull(error, "error is null");
    }
}
