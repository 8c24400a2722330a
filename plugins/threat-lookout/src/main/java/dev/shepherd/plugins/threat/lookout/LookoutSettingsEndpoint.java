package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.threat.ThreatDefenseException;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/threat-lookout/settings}: GET tells the API's base URL, whether an application key is set and
 * the poll interval; PUT {@code {"applicationKey": "…", "apiBaseUrl": "…"}} (either or both) checks the key with
 * Lookout (a token exchange) and stores it sealed, never to be returned; DELETE removes the key, which stops the
 * polls. The connector's health (last poll, errors, matched and unmatched devices) is the kernel's, on its threat
 * pages.
 */
@Extension
public final class LookoutSettingsEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(LookoutSettingsEndpoint.class);

    private final LookoutSettings settings;
    private final LookoutClient client;

    @Inject
    public LookoutSettingsEndpoint(LookoutSettings settings, LookoutClient client) {
        this.settings = requireNonNull(settings, "settings is null");
        this.client = requireNonNull(client, "client is null");
    }

    @Override
    public String path() {
        return "/settings";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 32 * 1024;
    }

    @Override
    public String summary() {
        return "Lookout connector settings: GET them, PUT {\"applicationKey\", \"apiBaseUrl\"} (the key is checked with Lookout, "
                + "sealed and never returned), DELETE the key";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        if (!request.path().equals(path())) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + "; the settings are at " + path() + ".");
        }
        return switch (request.method()) {
            case "GET" -> status();
            case "PUT" -> put(request);
            case "DELETE" -> {
                if (!settings.removeApplicationKey()) {
                    yield DeviceResponse.problem(404, "Not found", "No Lookout application key is set.");
                }
                log.info("Lookout application key removed by {}", request.adminUsername());
                yield DeviceResponse.empty(204);
            }
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse put(AdminRequest request) {
        JsonNode body;
        try {
            body = LookoutJson.MAPPER.readTree(request.body());
        } catch (IOException e) {
            return DeviceResponse.problem(400, "Bad request", "The body must be a JSON object: {\"applicationKey\": \"…\", \"apiBaseUrl\": \"…\"}.");
        }
        if (body == null || !body.isObject()) {
            return DeviceResponse.problem(400, "Bad request", "The body must be a JSON object: {\"applicationKey\": \"…\", \"apiBaseUrl\": \"…\"}.");
        }
        JsonNode keyNode = body.path("applicationKey");
        JsonNode urlNode = body.path("apiBaseUrl");
        if (!keyNode.isMissingNode() && !keyNode.isTextual() || !urlNode.isMissingNode() && !urlNode.isTextual()) {
            return DeviceResponse.problem(400, "Bad request", "applicationKey and apiBaseUrl must be strings.");
        }
        if (keyNode.isMissingNode() && urlNode.isMissingNode()) {
            return DeviceResponse.problem(400, "Bad request", "Give applicationKey, apiBaseUrl or both.");
        }
        URI baseUrl;
        Optional<String> key;
        try {
            baseUrl = urlNode.isTextual() ? LookoutSettings.checkedBaseUrl(urlNode.asText()) : settings.baseUrl();
            key = keyNode.isTextual() ? Optional.of(LookoutSettings.checkedApplicationKey(keyNode.asText())) : settings.applicationKey();
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        if (key.isPresent()) {
            try {
                client.checkApplicationKey(baseUrl, key.get());
            } catch (ThreatDefenseException e) {
                boolean refused = e.getMessage().startsWith("Lookout refused the application key");
                log.warn("Checking the Lookout settings given by {} failed: {}", request.adminUsername(), e.getMessage());
                return DeviceResponse.problem(refused ? 400 : 502, refused ? "Bad request" : "Bad gateway",
                        e.getMessage() + (refused ? "" : "; nothing was stored"));
            }
        }
        if (urlNode.isTextual()) {
            settings.setBaseUrl(urlNode.asText());
        }
        key.filter(value -> keyNode.isTextual()).ifPresent(settings::setApplicationKey);
        log.info("Lookout settings changed by {} (API {}, application key {})", request.adminUsername(), settings.baseUrl(),
                keyNode.isTextual() ? "replaced" : "kept");
        return status();
    }

    private DeviceResponse status() {
        ObjectNode body = LookoutJson.MAPPER.createObjectNode();
        body.put("connectorId", "lookout");
        body.put("apiBaseUrl", settings.baseUrl().toString());
        body.put("applicationKeySet", settings.applicationKeySet());
        body.put("pollInterval", settings.pollInterval().toString());
        return DeviceResponse.of(200, "application/json", LookoutJson.bytes(body));
    }
}
