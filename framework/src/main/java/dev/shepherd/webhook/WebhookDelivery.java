package dev.shepherd.webhook;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * One event's delivery to one webhook, with its attempts.
 *
 * @param id identifier, sent as the {@code Shepherd-Delivery} header
 * @param webhookId the webhook
 * @param eventId the event
 * @param eventType its type
 * @param state PENDING (will be tried, again), DELIVERED, or FAILED (gave up)
 * @param attempts how many times it was tried
 * @param nextAttemptAt when it will be tried next, while pending
 * @param lastStatus the endpoint's last HTTP status
 * @param lastError the last failure, in words
 * @param createdAt when the event was raised
 * @param deliveredAt when the endpoint accepted it
 */
public record WebhookDelivery(String id, String webhookId, String eventId, String eventType, String state, int attempts,
                              Instant nextAttemptAt, OptionalInt lastStatus, Optional<String> lastError, Instant createdAt,
                              Optional<Instant> deliveredAt) {
    public WebhookDelivery {
        requireNonNull(id, "id is null");
        requireNonNull(webhookId, "webhookId is null");
        requireNonNull(eventId, "eventId is null");
        requireNonNull(eventType, "eventType is null");
        requireNonNull(state, "state is null");
        requireNonNull(nextAttemptAt, "nextAttemptAt is null");
        requireNonNull(lastStatus, "lastStatus is null");
        requireNonNull(lastError, "lastError is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(deliveredAt, "deliveredAt is null");
    }
}
