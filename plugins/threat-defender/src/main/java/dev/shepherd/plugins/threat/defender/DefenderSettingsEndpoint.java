package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/threat-defender/settings}: admins read ({@code GET}), set ({@code PUT}, JSON
 * {@code tenantId}, {@code clientId}, {@code clientSecret}, {@code apiBaseUrl}, optional {@code machineTag}) and remove
 * ({@code DELETE}) the Entra app registration that reads Defender. A {@code PUT} is checked with Entra (a token is
 * fetched) before it is stored; {@code clientSecret} may be left out to keep the stored one. The secret is never
 * returned or logged. Connecting a threat feed changes which devices are quarantined, so it needs
 * {@code plugin_manage}.
 */
@Extension
public final class DefenderSettingsEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(DefenderSettingsEndpoint.class);
    private static final String PATH = "/settings";
    private static final Set<String> FIELDS = Set.of("tenantId", "clientId", "clientSecret", "apiBaseUrl", "machineTag");

    private final DefenderConnection connection;
    private final ObjectMapper mapper = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build()).build()).build();

    /**
     * @param connection the plugin's link to Defender
     */
    @Inject
    public DefenderSettingsEndpoint(DefenderConnection connection) {
        this.connection = requireNonNull(connection, "connection is null");
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
        return 8 * 1024;
    }

    @Override
    public String summary() {
        return "Microsoft Defender for Endpoint connection: GET it, PUT the Entra app's tenant, client id and secret and the API region, DELETE it";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws InterruptedException {
        if (!request.path().equals(PATH)) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + "; the Defender settings are at " + PATH + ".");
        }
        return switch (request.method()) {
            case "GET" -> json(200, describe(connection.credentials()));
            case "PUT" -> put(request);
            case "DELETE" -> {
                if (!connection.remove()) {
                    yield DeviceResponse.problem(404, "Not found", "No Defender connection is set.");
                }
                log.info("Defender connection removed by {}", request.adminUsername());
                yield DeviceResponse.empty(204);
            }
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse put(AdminRequest request) throws InterruptedException {
        DefenderCredentials credentials;
        try {
            credentials = read(request.body());
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        try {
            connection.clientFor(credentials).checkCredentials();
        } catch (ThreatDefenseException e) {
            boolean refused = e instanceof DefenderClient.CredentialsRefusedException;
            log.warn("Defender connection set by {} not stored: {}", request.adminUsername(), e.getMessage());
            return DeviceResponse.problem(refused ? 400 : 502, refused ? "Bad request" : "Bad gateway",
                    (refused ? "" : "The credentials could not be checked, so they were not stored: ") + e.getMessage());
        }
        connection.save(credentials);
        log.info("Defender connection set by {}: {}", request.adminUsername(), credentials);
        return json(200, describe(Optional.of(credentials)));
    }

    private DefenderCredentials read(byte[] body) {
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("The body must be a JSON object with tenantId, clientId, clientSecret, apiBaseUrl and optionally machineTag.");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("The body must be a JSON object with tenantId, clientId, clientSecret, apiBaseUrl and optionally machineTag.");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!FIELDS.contains(field.getKey())) {
                throw new IllegalArgumentException("Unknown field " + field.getKey() + "; the fields are " + String.join(", ", FIELDS.stream().sorted().toList()) + ".");
            }
            if (!field.getValue().isTextual() && !field.getValue().isNull()) {
                throw new IllegalArgumentException("The field " + field.getKey() + " must be a string.");
            }
        }
        Optional<String> secret = text(node, "clientSecret");
        if (secret.isEmpty()) {
            // Leaving the secret out keeps the stored one, so an admin can change the region without retyping it.
            secret = connection.credentials().map(DefenderCredentials::clientSecret);
        }
        String apiBaseUrl = text(node, "apiBaseUrl").orElse(DefenderCredentials.API_BASE_URLS.get(0));
        URI api;
        try {
            api = URI.create(apiBaseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("apiBaseUrl is not a URL.");
        }
        return new DefenderCredentials(text(node, "tenantId").orElseThrow(() -> new IllegalArgumentException("tenantId is missing.")),
                text(node, "clientId").orElseThrow(() -> new IllegalArgumentException("clientId is missing.")),
                secret.orElseThrow(() -> new IllegalArgumentException("clientSecret is missing.")), api, text(node, "machineTag"));
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static Map<String, Object> describe(Optional<DefenderCredentials> credentials) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("configured", credentials.isPresent());
        credentials.ifPresent(set -> {
            body.put("tenantId", set.tenantId());
            body.put("clientId", set.clientId());
            body.put("clientSecretSet", true);
            body.put("apiBaseUrl", set.apiBaseUrl().toString());
            set.machineTag().ifPresent(tag -> body.put("machineTag", tag));
        });
        body.put("apiBaseUrls", DefenderCredentials.API_BASE_URLS);
        return body;
    }

    private DeviceResponse json(int status, Object body) {
        try {
            return DeviceResponse.of(status, "application/json", mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
