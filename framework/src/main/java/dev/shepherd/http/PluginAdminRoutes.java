package dev.shepherd.http;

import dev.shepherd.plugin.PluginHost;
import dev.shepherd.security.AdminRole;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** {@code /api/v1/plugins}: what operators need to see of the plugin host. */
public final class PluginAdminRoutes {

    private final PluginHost plugins;
    private final HttpIo io;

    public PluginAdminRoutes(PluginHost plugins, HttpIo io) {
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.io = requireNonNull(io, "io is null");
    }

    public List<AdminRoute> routes() {
        EnumSet<AdminRole> readers = EnumSet.allOf(AdminRole.class);
        return List.of(
                new AdminRoute("GET", "/api/v1/plugins", readers,
                        (exchange, user, parameters) -> io.sendJson(exchange, 200, Map.of("items", plugins.plugins()))),
                new AdminRoute("GET", "/api/v1/plugins/{id}", readers,
                        (exchange, user, parameters) -> plugins.plugin(parameters.get("id")).ifPresentOrElse(
                                info -> io.sendJson(exchange, 200, info),
                                () -> io.sendProblem(exchange, Problem.notFound("No plugin has the id '" + parameters.get("id") + "'.")))));
    }
}
