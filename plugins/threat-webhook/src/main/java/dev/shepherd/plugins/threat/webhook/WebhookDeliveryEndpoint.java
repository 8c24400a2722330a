package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.threat.ThreatSignals;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code POST /mdm/threat-webhook/sources/{source}}: where senders deliver. In order: the source must exist; the
 * delivery must carry a valid Standard Webhooks signature by one of the source's current secrets with a timestamp
 * within five minutes ({@link StandardWebhooks}); the body must be JSON within bounds and fit the source's mapping;
 * then its {@code webhook-id} is taken (a repeat is answered 200 {@code duplicate} and not reported again) and the
 * assessment, or the heartbeat, is reported to the kernel, which records it durably before this answers 200. Every
 * refusal is a 4xx {@code application/problem+json} the sender can read; nothing of a refused delivery reaches the
 * kernel.
 */
@Extension
public final class WebhookDeliveryEndpoint implements DeviceEndpoint {

    static final String PATH = "/sources/";
    /** Standard Webhooks recommends payloads under 20 kB; this leaves room for vendors that send whole alerts. */
    static final int MAX_BODY = 256 * 1024;
    private static final Logger log = LoggerFactory.getLogger(WebhookDeliveryEndpoint.class);

    private final WebhookSources sources;
    private final DeliveryLedger ledger;
    private final ThreatSignals signals;
    private final Clock clock;

    @Inject
    public WebhookDeliveryEndpoint(WebhookSources sources, DeliveryLedger ledger, ThreatSignals signals, Clock clock) {
        this.sources = requireNonNull(sources, "sources is null");
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.signals = requireNonNull(signals, "signals is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return MAX_BODY;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        String name = request.path().startsWith(PATH) ? request.path().substring(PATH.length()) : "";
        if (!request.method().equals("POST")) {
            return DeviceResponse.problem(405, "Method not allowed", "Deliveries are POSTed.").withHeader("Allow", "POST");
        }
        Optional<WebhookSources.Source> source = sources.find(name);
        if (source.isEmpty()) {
            return DeviceResponse.problem(404, "Unknown source", "No webhook source is named '" + abbreviated(name) + "'.");
        }
        byte[] body = request.body();
        Instant now = clock.instant();
        StandardWebhooks.Verified verified;
        try {
            verified = StandardWebhooks.verify(request.header(StandardWebhooks.ID_HEADER), request.header(StandardWebhooks.TIMESTAMP_HEADER),
                    request.header(StandardWebhooks.SIGNATURE_HEADER), body, sources.verificationSecrets(source.get()), now);
        } catch (DeliveryRefusedException e) {
            ledger.refused(name, e.status(), e.title(), request.remoteAddress());
            log.info("Webhook delivery for source {} from {} refused: {}", name, request.remoteAddress(), e.title());
            return e.problem();
        }
        try {
            JsonNode payload = WebhookJson.read(body).orElseThrow(() -> new DeliveryRefusedException(400, "Not JSON",
                    "The body is not " + WebhookJson.bounds() + "."));
            PayloadMapping.Mapped mapped = source.get().payloadMapping().map(name, payload, verified.timestamp(), now);
            if (!ledger.take(name, verified.webhookId())) {
                ledger.record(name, new DeliveryLedger.Delivery(now, verified.webhookId(), "duplicate", "already taken; not reported again"));
                return json(status("duplicate"));
            }
            return report(name, verified.webhookId(), mapped, now);
        } catch (DeliveryRefusedException e) {
            ledger.record(name, new DeliveryLedger.Delivery(now, verified.webhookId(), "refused " + e.status(), e.detail()));
            return e.problem();
        }
    }

    private DeviceResponse report(String name, String webhookId, PayloadMapping.Mapped mapped, Instant now) {
        ThreatSignals.ThreatReport report;
        try {
            report = signals.report(WebhookConnector.ID, mapped instanceof PayloadMapping.Assessed assessed
                    ? List.of(assessed.assessment()) : List.of());
        } catch (RuntimeException e) {
            // Not recorded, so not taken: the sender's retry must be processed.
            ledger.release(name, webhookId);
            throw e;
        }
        String outcome;
        String detail;
        if (mapped instanceof PayloadMapping.Assessed assessed) {
            outcome = "accepted";
            detail = assessed.assessment().device().vendorDeviceId() + " " + assessed.assessment().level() + " ("
                    + (report.matched() > 0 ? "matched" : "unmatched") + (report.changed() > 0 ? ", changed" : "") + ")";
        } else {
            outcome = "heartbeat";
            detail = ((PayloadMapping.Heartbeat) mapped).eventType();
        }
        ledger.record(name, new DeliveryLedger.Delivery(now, webhookId, outcome, detail));
        ObjectNode answer = status(outcome);
        answer.put("matched", report.matched());
        answer.put("unmatched", report.unmatched());
        answer.put("changed", report.changed());
        return json(answer);
    }

    private static ObjectNode status(String status) {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("status", status);
        return answer;
    }

    private static DeviceResponse json(ObjectNode body) {
        return DeviceResponse.of(200, "application/json", WebhookJson.write(body));
    }

    private static String abbreviated(String text) {
        String safe = text.replaceAll("[^A-Za-z0-9_-]", "?");
        return safe.length() <= 40 ? safe : safe.substring(0, 40) + "…";
    }
}
