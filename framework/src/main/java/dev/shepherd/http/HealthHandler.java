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
 * {@code GET /health}: 200 with {@code "status":"UP"} once the store answers and the plugin host has loaded
 * the plugins present at start, 503 otherwise. A failed or out-of-service plugin does not make the server
 * unhealthy (the server and the other plugins serve on); it is counted and listed so monitoring can alert on it.
 * The endpoint is public, so the list names each plugin and its state only: failure reasons can carry whatever a
 * plugin put in an exception message, and stay behind the admin API ({@code GET /api/v1/plugins}).
 */
public final class HealthHandler implements HttpHandler {

    private final Database database;
    private final PluginHost plugins;
    private final HttpIo io;

    public HealthHandler(Database database, PluginHost plugins, HttpIo io) {
        this.database = requireNonNull(database, "database is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.io = requireNonNull(io, "io is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this); // the database check blocks
            return;
        }
        boolean databaseUp = database.isHealthy();
        boolean pluginsReady = plugins.isReady();
        List<PluginInfo> infos = plugins.plugins();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", databaseUp && pluginsReady ? "UP" : "DOWN");
        body.put("database", databaseUp ? "UP" : "DOWN");
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
        Map<String, Object> pluginHealth = new LinkedHashMap<>();
        pluginHealth.put("ready", pluginsReady);
        pluginHealth.put("started", count(infos, PluginState.STARTED));
        pluginHealth.put("outOfService", count(infos, PluginState.OUT_OF_SERVICE));
        pluginHealth.put("failed", count(infos, PluginState.FAILED));
        pluginHealth.put("problems", problems);
        body.put("plugins", pluginHealth);
        io.sendJson(exchange, databaseUp && pluginsReady ? 200 : 503, body);
    }

    private static long count(List<PluginInfo> infos, PluginState state) {
        return infos.stream().filter(info -> info.state() == state).count();
    }
}
