package dev.shepherd.http;

import dev.shepherd.plugin.PluginHost;
import dev.shepherd.plugin.PluginInfo;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.storage.Database;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The health probes, all public:
 * <ul>
 *   <li>{@code GET /health/live} ({@link #live}): 200 whenever the process answers HTTP at all, without touching the
 *   store, so an orchestrator restarts the process only when it is truly stuck.</li>
 *   <li>{@code GET /health/ready} ({@link #ready}): 200 once the store answers and the plugin host has loaded the
 *   plugins present at start, 503 otherwise, so a load balancer sends traffic only to a node that can serve it. A
 *   failed or out-of-service plugin leaves the node ready (the server and the other plugins serve on) with
 *   {@code "status":"DEGRADED"} and the plugin listed.</li>
 *   <li>{@code GET /health} (this handler as constructed): the same check as ready, answered as before readiness
 *   existed ({@code "UP"} also when degraded), for monitors already pointed at it.</li>
 * </ul>
 * The list names each plugin and its state only: failure reasons can carry whatever a plugin put in an exception
 * message, and stay behind the admin API ({@code GET /api/v1/plugins}).
 */
public final class HealthHandler implements HttpHandler {

    private final Database database;
    private final PluginHost plugins;
    private final HttpIo io;
    private final boolean reportDegraded;

    public HealthHandler(Database database, PluginHost plugins, HttpIo io) {
        this(database, plugins, io, false);
    }

    private HealthHandler(Database database, PluginHost plugins, HttpIo io, boolean reportDegraded) {
        this.database = requireNonNull(database, "database is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.io = requireNonNull(io, "io is null");
        this.reportDegraded = reportDegraded;
    }

    /** @return the readiness probe: {@code "UP"}, {@code "DEGRADED"} (200) or {@code "DOWN"} (503) */
    public HttpHandler ready() {
        return new HealthHandler(database, plugins, io, true);
    }

    /** @return the liveness probe: 200 {@code {"status":"UP"}} as long as HTTP is served */
    public HttpHandler live() {
        return exchange -> io.sendJson(exchange, 200, Map.of("status", "UP"));
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this); // the database check blocks
            return;
        }
        boolean databaseUp = database.isHealthy();
        boolean pluginsReady = plugins.isReady();
        boolean ready = databaseUp && pluginsReady;
        List<PluginInfo> infos = plugins.plugins();
        List<Map<String, Object>> problems = new ArrayList<>();
        for (PluginInfo info : infos) {
            if (info.state() == PluginState.FAILED || info.state() == PluginState.OUT_OF_SERVICE) {
                Map<String, Object> problem = new LinkedHashMap<>();
                problem.put("id", info.id());
                problem.put("version", info.version());
                problem.put("state", info.state());
                problem.put("since", info.since());
                info.retryAt().ifPresent(retryAt -> problem.put("retryAt", retryAt));
                problems.add(problem);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", !ready ? "DOWN" : reportDegraded && !problems.isEmpty() ? "DEGRADED" : "UP");
        body.put("database", databaseUp ? "UP" : "DOWN");
        Map<String, Object> pluginHealth = new LinkedHashMap<>();
        pluginHealth.put("ready", pluginsReady);
        pluginHealth.put("started", count(infos, PluginState.STARTED));
        pluginHealth.put("outOfService", count(infos, PluginState.OUT_OF_SERVICE));
        pluginHealth.put("failed", count(infos, PluginState.FAILED));
        pluginHealth.put("problems", problems);
        body.put("plugins", pluginHealth);
        io.sendJson(exchange, ready ? 200 : 503, body);
    }

    private static long count(List<PluginInfo> infos, PluginState state) {
        return infos.stream().filter(info -> info.state() == state).count();
    }
}
