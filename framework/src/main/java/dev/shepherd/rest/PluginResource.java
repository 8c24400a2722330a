package dev.shepherd.rest;

import dev.shepherd.audit.AuditRecord;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.plugin.PluginHost;
import dev.shepherd.plugin.PluginInfo;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** What operators need of the plugin host: state and failure reasons, on/off switches, uploads. */
final class PluginResource {

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,120}\\.(zip|jar)");
    private static final long MAX_PLUGIN_BYTES = 256L * 1024 * 1024;

    record PluginList(List<PluginInfo> items) {
    }

    record Uploaded(String file, long bytes, String note) {
    }

    private final Kernel kernel;
    private final PluginHost plugins;

    PluginResource(Kernel kernel, PluginHost plugins) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/plugins", Permission.PLUGIN_READ).tag("plugins")
                        .deviceFree("the plugins and their states, not devices")
                        .summary("Every plugin and plugin file: id, version, state, failure reason, extensions").returns(PluginList.class)
                        .handle(request -> new PluginList(plugins.plugins())),
                AdminRoute.get("/api/v1/plugins/{id}", Permission.PLUGIN_READ).tag("plugins").summary("One plugin")
                        .deviceFree("a plugin and its state, not devices")
                        .returns(PluginInfo.class).handle(request -> plugins.plugin(request.path("id"))
                                .orElseThrow(() -> ApiException.notFound("No plugin has the id '" + request.path("id") + "'."))),
                AdminRoute.post("/api/v1/plugins/{id}/disable", Permission.PLUGIN_MANAGE).tag("plugins")
                        .summary("Switch a plugin off: stopped and unloaded now, not loaded again until switched on").returns(PluginInfo.class)
                        .handle(request -> {
                            String id = request.path("id");
                            if (!plugins.disable(id, request.actor().toString())) {
                                throw ApiException.notFound("No plugin has the id '" + id + "'.");
                            }
                            kernel.audit().append(new AuditRecord(request.actor(), "plugin.disable", "plugin", id, Optional.empty(), Optional.empty()));
                            return plugins.plugin(id).orElseThrow();
                        }),
                AdminRoute.post("/api/v1/plugins/{id}/enable", Permission.PLUGIN_MANAGE).tag("plugins")
                        .summary("Switch a plugin back on; it loads at the next scan of the plugins directory").status(204).handle(request -> {
                            String id = request.path("id");
                            if (!plugins.enable(id, request.actor().toString())) {
                                throw ApiException.notFound("No disabled plugin has the id '" + id + "'.");
                            }
                            kernel.audit().append(new AuditRecord(request.actor(), "plugin.enable", "plugin", id, Optional.empty(), Optional.empty()));
                            return ApiResponse.noContent();
                        }),
                AdminRoute.put("/api/v1/plugin-files/{file}", Permission.PLUGIN_MANAGE).tag("plugins")
                        .summary("Upload a plugin file (the raw .zip or .jar as the body); it is loaded, or upgrades the plugin, within seconds")
                        .returns(Uploaded.class).status(201).handle(request -> {
                            String file = fileName(request.path("file"));
                            byte[] bytes = request.bytes(MAX_PLUGIN_BYTES);
                            if (bytes.length < 22 || bytes[0] != 'P' || bytes[1] != 'K') {
                                throw ApiException.badRequest("the body is not a zip or jar file");
                            }
                            Path target = plugins.directory().resolve(file);
                            Path staging = plugins.directory().resolve("." + file + ".upload");
                            try {
                                Files.write(staging, bytes);
                                Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                            } catch (IOException e) {
                                Files.deleteIfExists(staging);
                                throw e;
                            }
                            kernel.audit().append(new AuditRecord(request.actor(), "plugin.upload", "plugin-file", file, Optional.empty(),
                                    Optional.of(kernel.json().write(Map.of("bytes", bytes.length)))));
                            return ApiResponse.created(new Uploaded(file, bytes.length, "loaded at the next scan; see GET /api/v1/plugins"));
                        }),
                AdminRoute.delete("/api/v1/plugin-files/{file}", Permission.PLUGIN_MANAGE).tag("plugins")
                        .summary("Remove a plugin file; the plugin is stopped and unloaded within seconds").status(204).handle(request -> {
                            String file = fileName(request.path("file"));
                            if (!Files.deleteIfExists(plugins.directory().resolve(file))) {
                                throw ApiException.notFound("There is no plugin file named '" + file + "'.");
                            }
                            kernel.audit().append(new AuditRecord(request.actor(), "plugin.delete-file", "plugin-file", file, Optional.empty(),
                                    Optional.empty()));
                            return ApiResponse.noContent();
                        }));
    }

    private static String fileName(String name) {
        if (!FILE_NAME.matcher(name).matches()) {
            throw ApiException.badRequest("plugin file names are letters, digits, '.', '_' and '-', ending in .zip or .jar");
        }
        return name;
    }
}
