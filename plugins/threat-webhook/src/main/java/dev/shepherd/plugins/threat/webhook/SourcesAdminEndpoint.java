package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/threat-webhook/sources}: admins list the sources ({@code GET}, with the deliveries this node
 * refused unauthenticated), create one ({@code POST {"name", "displayName"?, "mapping"?, "secret"?}}: without a
 * secret the server generates one and answers it this once), read one with its last deliveries
 * ({@code GET /{name}}), change its display name or mapping ({@code PUT /{name}}), rotate its secret
 * ({@code POST /{name}/rotate-secret {"secret"?, "graceHours"?}}: the previous secret stays valid for the grace period,
 * 24 hours unless told), try its mapping on a sample payload without reporting anything
 * ({@code POST /{name}/try-mapping}) and remove it ({@code DELETE /{name}}). A source's secret lets its holder set
 * devices' threat levels, which drive compliance and conditional access, so every route needs {@code plugin_manage};
 * no answer ever carries a secret except the one just generated.
 */
@Extension
public final class SourcesAdminEndpoint implements AdminEndpoint {

    static final String PATH = "/sources";
    private static final Logger log = LoggerFactory.getLogger(SourcesAdminEndpoint.class);

    private final WebhookSources sources;
    private final DeliveryLedger ledger;
    private final ServerAddress address;
    private final Clock clock;

    @Inject
    public SourcesAdminEndpoint(WebhookSources sources, DeliveryLedger ledger, ServerAddress address, Clock clock) {
        this.sources = requireNonNull(sources, "sources is null");
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.address = requireNonNull(address, "address is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return WebhookDeliveryEndpoint.MAX_BODY;
    }

    @Override
    public String summary() {
        return "Signed webhook sources: GET lists, POST creates (secret shown once), GET/PUT/DELETE /{name}, POST /{name}/rotate-secret, POST /{name}/try-mapping";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        try {
            return route(request);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
    }

    private DeviceResponse route(AdminRequest request) {
        if (request.path().equals(PATH)) {
            return switch (request.method()) {
                case "GET" -> list();
                case "POST" -> create(request);
                default -> DeviceResponse.problem(405, "Method not allowed", "Use GET or POST.").withHeader("Allow", "GET, POST");
            };
        }
        String rest = request.path().startsWith(PATH + "/") ? request.path().substring(PATH.length() + 1) : "";
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        String action = slash < 0 ? "" : rest.substring(slash);
        Optional<WebhookSources.Source> source = sources.find(name);
        if (source.isEmpty()) {
            return DeviceResponse.problem(404, "Not found", "No webhook source is named '" + name + "'.");
        }
        return switch (request.method() + " " + action) {
            case "GET " -> json(200, detailed(source.get()));
            case "PUT " -> update(request, name);
            case "DELETE " -> delete(request, name);
            case "POST /rotate-secret" -> rotate(request, name);
            case "POST /try-mapping" -> tryMapping(request, source.get());
            default -> DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + " for " + request.method() + ".");
        };
    }

    private DeviceResponse list() {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode items = body.putArray("items");
        sources.all().forEach(source -> items.add(describe(source)));
        ArrayNode refused = body.putArray("refusedOnThisNode");
        for (DeliveryLedger.Refused delivery : ledger.refusedOnThisNode()) {
            ObjectNode item = refused.addObject();
            item.put("at", delivery.at().toString());
            item.put("source", delivery.source());
            item.put("status", delivery.status());
            item.put("reason", delivery.reason());
            item.put("remoteAddress", delivery.remoteAddress());
        }
        body.set("defaultMapping", PayloadMapping.shepherdDefault().definition());
        return json(200, body);
    }

    private DeviceResponse create(AdminRequest request) {
        JsonNode body = body(request);
        allowed(body, Set.of("name", "displayName", "mapping", "secret"));
        String name = body.path("name").asText("");
        WebhookSources.requireValidName(name);
        Optional<WebhookSources.WithSecret> created = sources.create(name, body.path("displayName").asText(""),
                Optional.ofNullable(body.get("mapping")).filter(node -> !node.isNull()), text(body, "secret"));
        if (created.isEmpty()) {
            return DeviceResponse.problem(409, "Conflict", "A webhook source is named '" + name + "' already.");
        }
        log.info("Webhook source {} created by {}", name, request.adminUsername());
        ObjectNode answer = detailed(created.get().source());
        created.get().shownOnce().ifPresent(secret -> answer.put("secret", secret));
        return json(201, answer);
    }

    private DeviceResponse update(AdminRequest request, String name) {
        JsonNode body = body(request);
        allowed(body, Set.of("displayName", "mapping"));
        Optional<WebhookSources.Source> updated = sources.update(name, text(body, "displayName"),
                Optional.ofNullable(body.get("mapping")).filter(node -> !node.isNull()));
        updated.ifPresent(source -> log.info("Webhook source {} changed by {}", name, request.adminUsername()));
        return updated.map(source -> json(200, detailed(source))).orElseGet(() -> unknown(name));
    }

    private DeviceResponse delete(AdminRequest request, String name) {
        if (!sources.delete(name)) {
            return unknown(name);
        }
        ledger.forget(name);
        log.info("Webhook source {} removed by {}", name, request.adminUsername());
        return DeviceResponse.empty(204);
    }

    private DeviceResponse rotate(AdminRequest request, String name) {
        JsonNode body = request.body().length == 0 ? JsonNodeFactory.instance.objectNode() : body(request);
        allowed(body, Set.of("secret", "graceHours"));
        Duration grace = WebhookSources.DEFAULT_GRACE;
        if (body.has("graceHours")) {
            if (!body.get("graceHours").canConvertToInt()) {
                throw new IllegalArgumentException("'graceHours' is a whole number of hours, 0 to " + WebhookSources.MAX_GRACE.toHours());
            }
            grace = Duration.ofHours(body.get("graceHours").intValue());
        }
        Optional<WebhookSources.WithSecret> rotated = sources.rotate(name, text(body, "secret"), grace);
        if (rotated.isEmpty()) {
            return unknown(name);
        }
        log.info("Webhook source {}: secret rotated by {}, previous secret valid for {} h", name, request.adminUsername(), grace.toHours());
        ObjectNode answer = detailed(rotated.get().source());
        rotated.get().shownOnce().ifPresent(secret -> answer.put("secret", secret));
        return json(200, answer);
    }

    private DeviceResponse tryMapping(AdminRequest request, WebhookSources.Source source) {
        JsonNode payload = body(request);
        Instant now = clock.instant();
        try {
            PayloadMapping.Mapped mapped = source.payloadMapping().map(source.name(), payload, now, now);
            ObjectNode answer = JsonNodeFactory.instance.objectNode();
            if (mapped instanceof PayloadMapping.Assessed assessed) {
                answer.put("kind", "assessment");
                answer.set("assessment", PayloadMapping.describe(assessed.assessment()));
            } else {
                answer.put("kind", "heartbeat");
            }
            return json(200, answer);
        } catch (DeliveryRefusedException e) {
            return e.problem();
        }
    }

    private ObjectNode describe(WebhookSources.Source source) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("name", source.name());
        out.put("displayName", source.displayName());
        out.put("deliveryUrl", address.publicUrl().replaceAll("/+$", "") + "/mdm/threat-webhook" + WebhookDeliveryEndpoint.PATH + source.name());
        out.put("created", source.created().toString());
        out.set("mapping", source.mapping());
        ArrayNode secrets = out.putArray("secrets");
        for (WebhookSources.SealedSecret secret : source.secrets()) {
            ObjectNode item = secrets.addObject();
            item.put("added", secret.added().toString());
            secret.retiresAt().ifPresent(end -> item.put("retiresAt", end.toString()));
        }
        return out;
    }

    private ObjectNode detailed(WebhookSources.Source source) {
        ObjectNode out = describe(source);
        ArrayNode deliveries = out.putArray("recentDeliveries");
        for (DeliveryLedger.Delivery delivery : ledger.recent(source.name())) {
            ObjectNode item = deliveries.addObject();
            item.put("at", delivery.at().toString());
            item.put("webhookId", delivery.webhookId());
            item.put("outcome", delivery.outcome());
            item.put("detail", delivery.detail());
        }
        return out;
    }

    private static JsonNode body(AdminRequest request) {
        JsonNode body = WebhookJson.read(request.body())
                .orElseThrow(() -> new IllegalArgumentException("the body is not " + WebhookJson.bounds()));
        if (!body.isObject()) {
            throw new IllegalArgumentException("the body is a JSON object");
        }
        return body;
    }

    private static void allowed(JsonNode body, Set<String> names) {
        body.fieldNames().forEachRemaining(name -> {
            if (!names.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is not a setting here; the settings are " + String.join(", ", new TreeSet<>(names)));
            }
        });
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is text");
        }
        return Optional.of(node.textValue());
    }

    private static DeviceResponse unknown(String name) {
        return DeviceResponse.problem(404, "Not found", "No webhook source is named '" + name + "'.");
    }

    private static DeviceResponse json(int status, ObjectNode body) {
        return DeviceResponse.of(status, "application/json", WebhookJson.write(body)).withHeader("Cache-Control", "no-store");
    }
}
