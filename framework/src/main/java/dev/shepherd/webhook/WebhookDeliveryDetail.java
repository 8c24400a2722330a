package dev.shepherd.webhook;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A delivery with the body that is POSTed (the same on every attempt) and each attempt's outcome.
 *
 * @param delivery the delivery
 * @param payload the JSON body sent to the endpoint
 * @param attempts every attempt, oldest first
 */
public record WebhookDeliveryDetail(WebhookDelivery delivery, String payload, List<WebhookAttempt> attempts) {
    public WebhookDeliveryDetail {
        requireNonNull(delivery, "delivery is null");
        requireNonNull(payload, "payload is null");
        attempts = List.copyOf(attempts);
    }
}
