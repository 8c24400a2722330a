package dev.shepherd.rest;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.Problem;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginCallException;
import dev.shepherd.security.Permission;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plugins' admin endpoints, mounted under {@code /api/v1/plugins/{pluginId}/...} while their plugin runs, behind the
 * admin API's authentication, the permission each declares, and CSRF protection.
 */
public final class PluginAdminEndpoints implements ExtensionRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(PluginAdminEndpoints.class);
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> RESERVED = Set.of("/enable", "/disable");

    private final Map<ExtensionRegistry.Registration<?>, List<AdminRoute>> routes = new ConcurrentHashMap<>();

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != AdminEndpoint.class) {
            return;
        }
        AdminEndpoint endpoint = (AdminEndpoint) registration.extension();
        String pluginId = registration.owner().id();
        try {
            String path = registration.owner().call("AdminEndpoint.path", endpoint::path);
            String permissionName = registration.owner().call("AdminEndpoint.permission", endpoint::permission);
            String summary = registration.owner().call("AdminEndpoint.summary", endpoint::summary);
            int maxBody = registration.owner().call("AdminEndpoint.maxBodyBytes", endpoint::maxBodyBytes);
            Permission permission;
            try {
                permission = Permission.valueOf(permissionName.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                log.warn("Admin endpoint of plugin {} names an unknown permission '{}'; not mounted", pluginId, permissionName);
                return;
            }
            String prefix = path == null || path.isBlank() || path.equals("/") ? "" : (path.startsWith("/") ? path : "/" + path);
            if (prefix.isEmpty() || RESERVED.contains(prefix) || prefix.contains("{") || prefix.contains("*")) {
                log.warn("Admin endpoint of plugin {} has an unusable path '{}'; not mounted", pluginId, path);
                return;
            }
            String template = "/api/v1/plugins/" + pluginId + prefix + "/**";
            List<AdminRoute> mounted = new ArrayList<>();
            for (String method : METHODS) {
                mounted.add(AdminRoute.route(method, template, permission).tag("plugin " + pluginId)
                        .summary(summary.isBlank() ? "Admin endpoint of plugin " + pluginId : summary)
                        .handle(request -> call(registration, endpoint, prefix, maxBody, request)));
            }
            routes.put(registration, List.copyOf(mounted));
            log.info("Mounted admin endpoint of plugin {} at {} (needs {})", pluginId, template, permission.name().toLowerCase(Locale.ROOT));
        } catch (PluginCallException e) {
            log.warn("Admin endpoint of plugin {} not mounted: {}", pluginId, e.getMessage());
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        routes.remove(registration);
    }

    public List<AdminRoute> routes() {
        List<AdminRoute> all = new ArrayList<>();
        routes.values().forEach(all::addAll);
        return all;
    }

    private static Object call(ExtensionRegistry.Registration<?> registration, AdminEndpoint endpoint, String prefix, int maxBody,
                               ApiRequest request) throws Exception {
        byte[] body = request.bytes(Math.max(0, maxBody));
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (Map.Entry<String, Deque<String>> parameter : request.exchange().getQueryParameters().entrySet()) {
            query.put(parameter.getKey(), List.copyOf(parameter.getValue()));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HeaderValues values : request.exchange().getRequestHeaders()) {
            String name = values.getHeaderName().toString();
            if (!name.equalsIgnoreCase("Authorization") && !name.equalsIgnoreCase("Cookie") && !name.equalsIgnoreCase("X-CSRF-Token")) {
                headers.put(name, List.copyOf(values));
            }
        }
        String rest = request.rest();
        AdminRequest adminRequest = new AdminRequest(request.exchange().getRequestMethod().toString(), prefix + (rest.equals("/") ? "" : rest),
                query, headers, body, request.principal().username(), request.principal().role().name());
        DeviceResponse response;
        try {
            response = registration.owner().call("AdminEndpoint.handle", () -> endpoint.handle(adminRequest));
        } catch (PluginCallException e) {
            throw new ApiException(switch (e.kind()) {
                case REFUSED -> Problem.of(e.status(), "request-refused", "Request refused", e.getMessage());
                case FAILED -> Problem.of(500, "plugin-failed", "Plugin failed",
                        "The plugin failed while handling this request; the failure is logged on the server.");
                case BUSY -> Problem.of(503, "plugin-unavailable", "Plugin unavailable", "The plugin cannot take this request now; retry later.");
                case OUT_OF_SERVICE -> Problem.of(503, "plugin-unavailable", "Plugin unavailable",
                        "The plugin is out of service after repeated failures; retry later.");
            });
        }
        request.exchange().setStatusCode(response.status());
        response.headers().forEach((name, value) -> request.exchange().getResponseHeaders().put(new HttpString(name), value));
        request.exchange().getResponseSender().send(ByteBuffer.wrap(response.body()));
        return null;
    }
}
