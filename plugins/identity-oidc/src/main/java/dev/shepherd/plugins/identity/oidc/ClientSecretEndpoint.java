package dev.shepherd.plugins.identity.oidc;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/identity-oidc/client-secret}: sets ({@code PUT {"clientSecret": "…"}}), removes
 * ({@code DELETE}) or tells whether there is ({@code GET}) the client secret of a confidential client. The secret is
 * sealed at rest and never returned. Needs {@code admin_manage}: whoever holds the secret can pose as the server to the
 * identity provider.
 */
@Extension
public final class ClientSecretEndpoint implements AdminEndpoint {

    private final ClientSecrets secrets;

    @Inject
    public ClientSecretEndpoint(ClientSecrets secrets) {
        this.secrets = requireNonNull(secrets, "secrets is null");
    }

    @Override
    public String path() {
        return "/client-secret";
    }

    @Override
    public String permission() {
        return "admin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 4096;
    }

    @Override
    public String summary() {
        return "The OpenID Connect client secret: PUT {\"clientSecret\": …} sets it (sealed, never returned), DELETE removes it, GET tells whether one is set";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> status();
            case "PUT" -> put(request);
            case "DELETE" -> {
                secrets.clear();
                yield new DeviceResponse(204, Map.of(), new byte[0]);
            }
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET, PUT or DELETE.");
        };
    }

    private DeviceResponse status() {
        return DeviceResponse.of(200, "application/json",
                ("{\"clientSecretSet\":" + secrets.secret().isPresent() + "}").getBytes(StandardCharsets.UTF_8));
    }

    private DeviceResponse put(AdminRequest request) {
        Object secret;
        try {
            Map<String, Object> body = JSONObjectUtils.parse(new String(request.body(), StandardCharsets.UTF_8));
            secret = body.get("clientSecret");
        } catch (ParseException e) {
            return DeviceResponse.problem(400, "Bad request", "The body must be a JSON object: {\"clientSecret\": \"…\"}.");
        }
        if (!(secret instanceof String text)) {
            return DeviceResponse.problem(400, "Bad request", "clientSecret must be a string.");
        }
        try {
            secrets.set(text);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        return status();
    }
}
