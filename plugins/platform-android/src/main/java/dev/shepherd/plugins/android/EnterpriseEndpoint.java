package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleClient;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;
import dev.shepherd.google.ServiceAccount;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/android/enterprise}: the Android Enterprise binding and how talking to Google goes.
 * <ul>
 *   <li>{@code GET}: the bound enterprise, the Pub/Sub push endpoint to configure (it carries this installation's
 *       push secret, so only admins who manage plugins see it), the service account, and Google's last error.</li>
 *   <li>{@code POST /enterprise/signup}: a signup URL from Google for the admin to open; Google's page comes back to
 *       {@code /mdm/android/signup-callback}, which binds the new enterprise.</li>
 *   <li>{@code PUT} {@code {"name": "enterprises/…"}}: binds an enterprise made before, with this service account.</li>
 *   <li>{@code DELETE}: forgets the binding.</li>
 * </ul>
 */
@Extension
public final class EnterpriseEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(EnterpriseEndpoint.class);

    private final Enterprises enterprises;
    private final AndroidServiceAccountKeys keys;
    private final Amapi amapi;
    private final AndroidPluginContext context;
    private final ServerAddress address;
    private final PluginIdentity identity;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public EnterpriseEndpoint(Enterprises enterprises, AndroidServiceAccountKeys keys, Amapi amapi, AndroidPluginContext context,
                              ServerAddress address, PluginIdentity identity) {
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.amapi = requireNonNull(amapi, "amapi is null");
        this.context = requireNonNull(context, "context is null");
        this.address = requireNonNull(address, "address is null");
        this.identity = requireNonNull(identity, "identity is null");
    }

    @Override
    public String path() {
        return "/enterprise";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public String summary() {
        return "The Android Enterprise: GET its binding and Google's status, POST /signup for a signup URL, PUT an existing one, DELETE the binding";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        boolean signup = request.path().equals("/enterprise/signup");
        if (!signup && !request.path().equals("/enterprise")) {
            return JsonResponses.problem(404, "Not found", "No such resource: " + request.path());
        }
        try {
            if (signup) {
                if (!request.method().equals("POST")) {
                    return JsonResponses.problem(405, "Method not allowed", "Use POST.").withHeader("Allow", "POST");
                }
                String url = enterprises.startSignup(devicesUrl());
                log.info("{} started an Android Enterprise signup", request.adminUsername());
                return JsonResponses.json(200, Map.of("signupUrl", url));
            }
            return switch (request.method()) {
                case "GET" -> JsonResponses.json(200, status());
                case "PUT" -> bind(request);
                case "DELETE" -> enterprises.unbind() ? DeviceResponse.empty(204) : JsonResponses.problem(404, "Not found", "No enterprise is bound.");
                default -> JsonResponses.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
            };
        } catch (GoogleException e) {
            return Problems.google(e);
        }
    }

    private DeviceResponse bind(AdminRequest request) {
        String name;
        try {
            JsonNode body = json.readTree(request.body());
            name = body == null ? "" : body.path("name").asText("");
        } catch (IOException e) {
            return JsonResponses.problem(400, "Bad request", "The body is JSON: {\"name\": \"enterprises/...\"}.");
        }
        if (!name.matches("enterprises/[A-Za-z0-9_-]+")) {
            return JsonResponses.problem(400, "Bad request", "name: an enterprise's resource name, such as enterprises/LC01abcd.");
        }
        try {
            enterprises.bind(name);
        } catch (GoogleException e) {
            if (e.status() == 404) {
                return JsonResponses.problem(404, "Not found", "Google knows no enterprise " + name + ": check its ID in the "
                        + "Google Admin console or the Play EMM console; nothing was bound.");
            }
            return Problems.google(e);
        }
        log.info("{} bound Android Enterprise {}", request.adminUsername(), name);
        return JsonResponses.json(200, status());
    }

    private Map<String, Object> status() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("enterprise", enterprises.bound().orElse(null));
        body.put("pubsubPushEndpoint", devicesUrl() + PubSubEndpoint.PATH + "?token=" + enterprises.pushSecret());
        body.put("pubsubTopic", context.settings().pubsubTopic().orElse(null));
        body.put("serviceAccount", keys.current().map(ServiceAccount::clientEmail).orElse(null));
        GoogleClient.Statistics google = amapi.statistics();
        Map<String, Object> calls = new LinkedHashMap<>();
        calls.put("calls", google.calls());
        calls.put("retried", google.retried());
        calls.put("failed", google.failed());
        google.lastError().ifPresent(error -> calls.put("lastError", error));
        google.lastErrorAt().ifPresent(at -> calls.put("lastErrorAt", at.toString()));
        body.put("google", calls);
        return body;
    }

    private String devicesUrl() {
        return address.publicUrl() + identity.devicePath();
    }
}
