package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/identity-scim/tokens}: admins issue the bearer tokens provisioning clients use
 * ({@code POST}, optional body {@code {"label": "Entra ID"}}; the answer carries the token, shown this once), list
 * them without their secrets ({@code GET}), rotate one ({@code POST /tokens/{id}/rotate}: a new secret, the old one
 * stops working) and revoke one ({@code DELETE /tokens/{id}}). A token lets its holder create, change and deactivate
 * users and groups, so these routes need {@code user_write}.
 */
@Extension
public final class TokenAdminEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(TokenAdminEndpoint.class);
    private static final String PATH = "/tokens";
    private static final int MAX_LABEL = 100;

    private final BearerTokens tokens;

    @Inject
    public TokenAdminEndpoint(BearerTokens tokens) {
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public String permission() {
        return "user_write";
    }

    @Override
    public int maxBodyBytes() {
        return 4096;
    }

    @Override
    public String summary() {
        return "SCIM bearer tokens: POST issues one (shown once), GET lists them, POST /{id}/rotate renews one, DELETE /{id} revokes one";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        if (request.path().equals(PATH)) {
            return switch (request.method()) {
                case "GET" -> {
                    ArrayNode items = JsonNodeFactory.instance.arrayNode();
                    tokens.all().forEach(token -> items.add(describe(token)));
                    ObjectNode body = JsonNodeFactory.instance.objectNode();
                    body.set("items", items);
                    yield json(200, body);
                }
                case "POST" -> issue(request);
                default -> DeviceResponse.problem(405, "Method not allowed", "Use GET or POST.").withHeader("Allow", "GET, POST");
            };
        }
        String rest = request.path().startsWith(PATH + "/") ? request.path().substring(PATH.length() + 1) : "";
        if (rest.endsWith("/rotate") && request.method().equals("POST")) {
            String id = rest.substring(0, rest.length() - "/rotate".length());
            Optional<BearerTokens.IssuedToken> rotated = tokens.rotate(id, request.adminUsername());
            rotated.ifPresent(token -> log.info("SCIM token {} ({}) rotated by {}", id, token.info().label(), request.adminUsername()));
            return rotated.map(token -> json(200, issued(token))).orElseGet(() -> unknown(id));
        }
        if (!rest.isEmpty() && !rest.contains("/") && request.method().equals("DELETE")) {
            boolean revoked = tokens.revoke(rest);
            if (revoked) {
                log.info("SCIM token {} revoked by {}", rest, request.adminUsername());
            }
            return revoked ? DeviceResponse.empty(204) : unknown(rest);
        }
        return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + " for " + request.method() + ".");
    }

    private DeviceResponse issue(AdminRequest request) {
        String label = "SCIM client";
        if (request.body().length > 0) {
            JsonNode body;
            try {
                body = ScimJson.read(request.body());
            } catch (ScimException e) {
                return DeviceResponse.problem(400, "Bad request", e.detail());
            }
            JsonNode given = body.path("label");
            if (!given.isMissingNode() && (!given.isTextual() || given.textValue().isBlank() || given.textValue().length() > MAX_LABEL)) {
                return DeviceResponse.problem(400, "Bad request", "'label' is text of 1 to " + MAX_LABEL + " characters.");
            }
            label = given.isTextual() ? given.textValue() : label;
        }
        BearerTokens.IssuedToken token = tokens.issue(label, request.adminUsername());
        log.info("SCIM token {} ({}) issued by {}", token.info().id(), label, request.adminUsername());
        return json(201, issued(token));
    }

    private static ObjectNode issued(BearerTokens.IssuedToken token) {
        ObjectNode body = describe(token.info());
        body.put("token", token.secret());
        return body;
    }

    private static ObjectNode describe(BearerTokens.TokenInfo token) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("id", token.id());
        body.put("label", token.label());
        body.put("created", token.created().toString());
        body.put("createdBy", token.createdBy());
        return body;
    }

    private static DeviceResponse unknown(String id) {
        return DeviceResponse.problem(404, "Not found", "No SCIM token has the id " + id + ".");
    }

    private static DeviceResponse json(int status, ObjectNode body) {
        return DeviceResponse.of(status, "application/json", ScimJson.write(body)).withHeader("Cache-Control", "no-store");
    }
}
