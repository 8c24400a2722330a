package dev.shepherd.http;

import dev.shepherd.plugin.PluginHost;
import dev.shepherd.plugin.PluginInfo;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.storage.Database;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /health}: 200 with {@code "status":"UP"} once the store answers and the plugin host has loaded
 * the plugins present at start, 503 otherwise. A failed plugin does not make the server unhealthy; it is
 * counted so monitoring can alert on it.
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
        body.put("plugins", Map.of(
                "ready", pluginsReady,
                "started", infos.stream().filter(info -> info.state() == PluginState.STARTED).count(),
                "failed", infos.stream().filter(info -> info.state() == PluginState.FAILED).count()));
        io.sendJson(exchange, databaseUp && pluginsReady ? 200 : 503, body);
    }
}
