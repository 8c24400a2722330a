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
import dev.shepherd.apple.AccountEnrollmentSettings.Choice;
import dev.shepherd.apple.AccountEnrollmentSettings.Mode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/account-enrollment}: the settings of account-driven enrollment
 * ({@link AccountDrivenEnrollment}). {@code PUT {"domains": ["example.com"], "link": "https://…/enroll/<secret>"}} turns
 * on user enrollment for Managed Apple Accounts in those domains, spending the given enrollment link (one that asks
 * for the user's sign-in, personal, for this platform); {@code "deviceEnrollment": {"domains": [...], "link": ...}}
 * turns on device enrollment likewise (a corporate link); either or both, each domain in one mode, and a mode left
 * out is turned off. {@code GET} shows the domains, whether links are set (never the links) and the URLs to publish;
 * {@code DELETE} turns both off. Each Apple platform plugin registers a subclass, so each platform has its own.
 */
public abstract class AccountEnrollmentEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(AccountEnrollmentEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USAGE = "Send {\"domains\": [\"example.com\"], \"link\": \"https://…/enroll/<secret>\"} for user enrollment,"
            + " {\"deviceEnrollment\": {\"domains\": [...], \"link\": ...}} for device enrollment, or both";

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
        return "Account-driven enrollment: PUT the Managed Apple Account domains and sign-in enrollment link of user enrollment"
                + " (personal) and of device enrollment (deviceEnrollment, corporate), GET them, DELETE to turn both off";
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
        if (body == null || !body.isObject()) {
            return DeviceResponse.problem(400, "Bad request", USAGE);
        }
        Map<Mode, Choice> choices = new EnumMap<>(Mode.class);
        try {
            if (body.has("domains") || body.has("link")) {
                choices.put(Mode.USER, choice(body));
            }
            if (body.has("deviceEnrollment")) {
                choices.put(Mode.DEVICE, choice(body.path("deviceEnrollment")));
            }
            settings.set(choices);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        log.info("Account-driven enrollment set up by {}: user enrollment for {}, device enrollment for {}", request.adminUsername(),
                settings.domains(Mode.USER), settings.domains(Mode.DEVICE));
        return status();
    }

    /** One mode's {@code {"domains": [...], "link": "..."}}. */
    private static Choice choice(JsonNode node) {
        if (!node.path("domains").isArray() || !node.path("link").isTextual()) {
            throw new IllegalArgumentException(USAGE);
        }
        List<String> domains = new ArrayList<>();
        for (JsonNode domain : node.path("domains")) {
            if (!domain.isTextual()) {
                throw new IllegalArgumentException("domains lists domain names");
            }
            domains.add(domain.asText());
        }
        return new Choice(domains, node.path("link").asText());
    }

    private DeviceResponse status() {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean linkSet = settings.link(Mode.USER).isPresent();
        boolean deviceLinkSet = settings.link(Mode.DEVICE).isPresent();
        body.put("enabled", linkSet && !settings.domains(Mode.USER).isEmpty());
        body.put("domains", new TreeSet<>(settings.domains(Mode.USER)));
        body.put("linkSet", linkSet);
        Map<String, Object> device = new LinkedHashMap<>();
        device.put("enabled", deviceLinkSet && !settings.domains(Mode.DEVICE).isEmpty());
        device.put("domains", new TreeSet<>(settings.domains(Mode.DEVICE)));
        device.put("linkSet", deviceLinkSet);
        body.put("deviceEnrollment", device);
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
