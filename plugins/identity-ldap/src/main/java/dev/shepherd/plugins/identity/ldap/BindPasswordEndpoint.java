package dev.shepherd.plugins.identity.ldap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/identity-ldap/bind-password}: PUT {@code {"password": "..."}} seals and stores the service
 * account's password (the next search opens the pool with it), DELETE removes it, GET says only whether one is set.
 * The password is never answered or logged.
 */
@Extension
public final class BindPasswordEndpoint implements AdminEndpoint {

    private final BindPassword bindPassword;

    @Inject
    public BindPasswordEndpoint(BindPassword bindPassword) {
        this.bindPassword = requireNonNull(bindPassword, "bindPassword is null");
    }

    @Override
    public String path() {
        return "/bind-password";
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
        return "PUT: set the LDAP service account's password (stored sealed); DELETE: remove it; GET: whether it is set";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        if (!request.path().equals(path())) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + ".");
        }
        return switch (request.method()) {
            case "GET" -> JsonAnswers.json(200, Map.of("set", bindPassword.isSet()));
            case "PUT" -> put(request);
            case "DELETE" -> bindPassword.clear() ? DeviceResponse.empty(204)
                    : DeviceResponse.problem(404, "Not found", "No bind password is set.");
            default -> JsonAnswers.methodNotAllowed("GET, PUT, DELETE");
        };
    }

    private DeviceResponse put(AdminRequest request) {
        JsonNode body;
        try {
            body = JsonAnswers.mapper().readTree(request.body());
        } catch (JsonProcessingException e) {
            return DeviceResponse.problem(400, "Bad request", "The body is not JSON; send {\"password\": \"...\"}.");
        } catch (IOException e) {
            return DeviceResponse.problem(400, "Bad request", "The body cannot be read.");
        }
        if (body == null || !body.isObject() || !body.path("password").isTextual() || body.path("password").asText().isEmpty()) {
            return DeviceResponse.problem(400, "Bad request", "Send {\"password\": \"...\"} with a password that is not empty.");
        }
        byte[] password = body.path("password").asText().getBytes(StandardCharsets.UTF_8);
        try {
            bindPassword.set(password);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        } finally {
            BindPassword.wipe(password);
        }
        return DeviceResponse.empty(204);
    }
}
