package dev.shepherd.rest;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.PluginResponses;
import dev.shepherd.http.Problem;
import dev.shepherd.http.RequestBodyFiles;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginCallException;
import dev.shepherd.security.Permission;
import io.undertow.util.HeaderValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Plugins' admin endpoints, mounted under {@code /api/v1/plugins/{pluginId}/...} while their plugin runs, behind the
 * admin API's authentication, the permission each declares, and CSRF protection. Bodies come in memory, or written to
 * a file for endpoints that take large uploads ({@link AdminEndpoint#maxStreamedBodyBytes()}); answers may be files.
 */
public final class PluginAdminEndpoints implements ExtensionRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(PluginAdminEndpoints.class);
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> RESERVED = Set.of("/enable", "/disable");

    private final Map<ExtensionRegistry.Registration<?>, List<AdminRoute>> routes = new ConcurrentHashMap<>();
    private final RequestBodyFiles bodyFiles;

    /** @param bodyFiles where the bodies of endpoints that take them as files are written */
    public PluginAdminEndpoints(RequestBodyFiles bodyFiles) {
        this.bodyFiles = requireNonNull(bodyFiles, "bodyFiles is null");
    }

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
            long maxStreamedBody = registration.owner().call("AdminEndpoint.maxStreamedBodyBytes", endpoint::maxStreamedBodyBytes);
            BodyLimit limit = new BodyLimit(Math.max(0, maxBody), Math.max(0, maxStreamedBody));
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
                        .handle(request -> call(registration, endpoint, prefix, limit, request)));
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

    /**
     * What an endpoint takes.
     *
     * @param inMemory the largest body read into memory
     * @param streamed when positive, bodies are written to a file instead, up to this many bytes
     */
    private record BodyLimit(int inMemory, long streamed) {
    }

    private Object call(ExtensionRegistry.Registration<?> registration, AdminEndpoint endpoint, String prefix, BodyLimit limit,
                        ApiRequest request) throws Exception {
        Optional<Path> bodyFile = limit.streamed() > 0 ? Optional.of(receive(request, limit.streamed())) : Optional.empty();
        DeviceResponse response;
        try {
            byte[] body = bodyFile.isPresent() ? new byte[0] : request.bytes(limit.inMemory());
            response = handle(registration, endpoint, prefix, request, body, bodyFile);
        } finally {
            // Before the answer is sent: a client that has its answer may rely on the upload being gone.
            bodyFile.ifPresent(RequestBodyFiles::delete);
        }
        send(registration, request, response);
        return null;
    }

    private Path receive(ApiRequest request, long limit) {
        Optional<Path> file;
        try {
            file = bodyFiles.receive(request.exchange(), limit);
        } catch (IOException e) {
            throw ApiException.badRequest("the request body could not be read");
        }
        return file.orElseThrow(() -> new ApiException(Problem.of(413, "payload-too-large", "Payload too large",
                "The body may be at most " + limit + " bytes.")));
    }

    private static DeviceResponse handle(ExtensionRegistry.Registration<?> registration, AdminEndpoint endpoint, String prefix,
                                         ApiRequest request, byte[] body, Optional<Path> bodyFile) {
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
                query, headers, body, request.principal().username(), request.principal().role().id(), bodyFile);
        try {
            return registration.owner().call("AdminEndpoint.handle", () -> endpoint.handle(adminRequest));
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
    }

    private static void send(ExtensionRegistry.Registration<?> registration, ApiRequest request, DeviceResponse response) throws IOException {
        try {
            PluginResponses.send(request.exchange(), response);
        } catch (IOException e) {
            log.warn("The answer of plugin {} to {} could not be sent: {}", registration.owner().id(), request.exchange().getRequestPath(),
                    e.getMessage());
            if (request.exchange().isResponseStarted()) {
                throw e;
            }
            throw new ApiException(Problem.of(500, "plugin-failed", "Plugin failed",
                    "The plugin's answer could not be sent; the failure is logged on the server."));
        }
    }
}
