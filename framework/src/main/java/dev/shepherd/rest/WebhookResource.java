package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;
import dev.shepherd.webhook.Webhook;
import dev.shepherd.webhook.WebhookAttempt;
import dev.shepherd.webhook.WebhookDelivery;
import dev.shepherd.webhook.WebhookDeliveryDetail;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** Webhooks and their delivery history. */
final class WebhookResource {

    record NewWebhook(String name, String url, List<String> eventTypes) {
        NewWebhook {
            requireNonNull(name, "name is null");
            requireNonNull(url, "url is null");
            requireNonNull(eventTypes, "eventTypes is null");
        }
    }

    record CreatedWebhook(Webhook webhook, String secret) {
    }

    record WebhookSwitch(boolean enabled) {
    }

    /** A delivery as the API shows it: the body sent is JSON, so it is shown as JSON rather than as a string. */
    record DeliveryView(WebhookDelivery delivery, JsonNode payload, List<WebhookAttempt> attempts) {
    }

    private final Kernel kernel;

    WebhookResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/webhooks", Permission.WEBHOOK_READ).tag("webhooks").summary("All webhooks").returns(Webhook[].class)
                        .handle(request -> kernel.webhooks().list()),
                AdminRoute.post("/api/v1/webhooks", Permission.WEBHOOK_WRITE).tag("webhooks")
                        .summary("Register an endpoint for event types; the signing secret is in this answer only")
                        .body(NewWebhook.class).returns(CreatedWebhook.class).status(201).handle(request -> {
                            NewWebhook body = request.body(NewWebhook.class);
                            var created = kernel.webhooks().create(request.actor(), body.name(), body.url(), body.eventTypes());
                            return ApiResponse.created(new CreatedWebhook(created.webhook(), created.secret()));
                        }),
                AdminRoute.get("/api/v1/webhooks/{id}", Permission.WEBHOOK_READ).tag("webhooks").summary("One webhook")
                        .returns(Webhook.class).handle(request -> kernel.webhooks().get(request.path("id"))
                                .orElseThrow(() -> ApiException.notFound("No webhook has the id '" + request.path("id") + "'."))),
                AdminRoute.put("/api/v1/webhooks/{id}", Permission.WEBHOOK_WRITE).tag("webhooks")
                        .summary("Change a webhook's name, URL and event types; its secret and on/off state stay")
                        .body(NewWebhook.class).returns(Webhook.class).handle(request -> {
                            NewWebhook body = request.body(NewWebhook.class);
                            return kernel.webhooks().update(request.actor(), request.path("id"), body.name(), body.url(), body.eventTypes())
                                    .orElseThrow(() -> ApiException.notFound("No webhook has the id '" + request.path("id") + "'."));
                        }),
                AdminRoute.patch("/api/v1/webhooks/{id}", Permission.WEBHOOK_WRITE).tag("webhooks").summary("Turn delivery on or off")
                        .body(WebhookSwitch.class).returns(Webhook.class).handle(request -> kernel.webhooks()
                                .setEnabled(request.actor(), request.path("id"), request.body(WebhookSwitch.class).enabled())
                                .orElseThrow(() -> ApiException.notFound("No webhook has the id '" + request.path("id") + "'."))),
                AdminRoute.delete("/api/v1/webhooks/{id}", Permission.WEBHOOK_WRITE).tag("webhooks").summary("Delete a webhook")
                        .status(204).handle(request -> {
                            if (!kernel.webhooks().delete(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("No webhook has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/webhooks/{id}/deliveries", Permission.WEBHOOK_READ).tag("webhooks")
                        .summary("Deliveries, newest first, with every attempt's outcome").query("limit", "1 to 500, default 50")
                        .returns(WebhookDelivery[].class).handle(request -> {
                            kernel.webhooks().get(request.path("id"))
                                    .orElseThrow(() -> ApiException.notFound("No webhook has the id '" + request.path("id") + "'."));
                            return kernel.webhooks().deliveries(request.path("id"), request.queryInt("limit", 50, 1, 500));
                        }),
                AdminRoute.get("/api/v1/webhook-deliveries/{id}", Permission.WEBHOOK_READ).tag("webhooks")
                        .summary("One delivery with the JSON body sent and every attempt (time, HTTP status, error, duration)")
                        .returns(DeliveryView.class).handle(request -> {
                            WebhookDeliveryDetail detail = kernel.webhooks().delivery(request.path("id"))
                                    .orElseThrow(() -> ApiException.notFound("No delivery has the id '" + request.path("id") + "'."));
                            return new DeliveryView(detail.delivery(), kernel.json().mapper().readTree(detail.payload()), detail.attempts());
                        }),
                AdminRoute.post("/api/v1/webhook-deliveries/{id}/redeliver", Permission.WEBHOOK_WRITE).tag("webhooks")
                        .summary("Send a delivery again").status(204).handle(request -> {
                            if (!kernel.webhooks().redeliver(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("No delivery has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }));
    }
}
