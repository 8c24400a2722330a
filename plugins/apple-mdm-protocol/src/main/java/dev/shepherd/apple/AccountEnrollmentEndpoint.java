package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/account-enrollment}: the settings of account-driven enrollment
 * ({@link AccountDrivenEnrollment}). {@code PUT {"domains": ["example.com"], "link": "https://…/enroll/<secret>"}} turns
 * it on for Managed Apple Accounts in those domains, spending the given enrollment link (one that asks for the user's
 * sign-in, personal, for this platform); {@code GET} shows the domains, whether a link is set (never the link) and
 * the URLs to publish; {@code DELETE} turns it off. Each Apple platform plugin registers a subclass.
 */
public abstract class AccountEnrollmentEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(AccountEnrollmentEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AccountEnrollmentSettings settings;
    private final ServerAddress address;
    private final PluginIdentity identity;

    protected AccountEnrollmentEndpoint(PluginStorage storage, SecretSealer sealer, ServerAddress address, PluginIdentity identity) {
        this.settings = new AccountEnrollmentSettings(storage, sealer);
        this.address = requireNonNull(address, "address is null");
        this.identity = requireNonNull(identity, "identity is null");
    }

    @Override
    public String path() {
        return "/account-enrollment";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 16 * 1024;
    }

    @Override
    public String summary() {
        return "Account-driven user enrollment: PUT the Managed Apple Account domains and the sign-in enrollment link, GET them, DELETE to turn it off";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> status();
            case "PUT" -> put(request);
            case "DELETE" -> settings.clear() ? DeviceResponse.empty(204)
                    : DeviceResponse.problem(404, "Not found", "Account-driven enrollment is not set up");
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET, PUT or DELETE").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse put(AdminRequest request) {
        JsonNode body;
        try {
            body = JSON.readTree(request.body());
        } catch (IOException e) {
            return DeviceResponse.problem(400, "Malformed JSON", "The body is not JSON");
        }
        if (body == null || !body.path("domains").isArray() || !body.path("link").isTextual()) {
            return DeviceResponse.problem(400, "Bad request", "Send {\"domains\": [\"example.com\"], \"link\": \"https://…/enroll/<secret>\"}");
        }
        List<String> domains = new ArrayList<>();
        for (JsonNode domain : body.path("domains")) {
            if (!domain.isTextual()) {
                return DeviceResponse.problem(400, "Bad request", "domains lists domain names");
            }
            domains.add(domain.asText());
        }
        try {
            settings.set(domains, body.path("link").asText());
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        log.info("Account-driven enrollment set up by {} for {}", request.adminUsername(), settings.domains());
        return status();
    }

    private DeviceResponse status() {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean linkSet = settings.link().isPresent();
        body.put("enabled", linkSet && !settings.domains().isEmpty());
        body.put("domains", new TreeSet<>(settings.domains()));
        body.put("linkSet", linkSet);
        // Served here when the account's domain points at this server; else published there, or redirected here.
        body.put("wellKnownUrl", address.publicUrl() + AccountDrivenEnrollment.WELL_KNOWN);
        body.put("baseUrl", address.publicUrl() + identity.devicePath() + AccountDrivenEnrollment.PATH);
        try {
            return DeviceResponse.of(200, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
