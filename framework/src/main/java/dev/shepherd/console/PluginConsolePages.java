package dev.shepherd.console;

import dev.shepherd.api.console.ConsolePage;
import dev.shepherd.api.console.ExternalOrigin;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginCallException;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Role;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The console pages plugins contribute ({@link ConsolePage}): listed to the admins whose role may see them at
 * {@code GET /api/v1/console/pages}, and served from the plugin's own files at {@link #MOUNT}{@code /{pluginId}/{version}/...}
 * while the plugin runs. Only the {@value ConsolePage#FOLDER} folder of the plugin's files is served, never its classes,
 * descriptor or anything the kernel has; the version in the address makes an upgraded plugin's page a new address, so
 * a browser never mixes the files of two generations.
 *
 * <p>The origins outside the server a page declares ({@link ConsolePage#externalOrigins()}) are checked
 * ({@link ExternalOrigins}); a page declaring one the kernel refuses is not listed. The console document's
 * Content-Security-Policy ({@link #contentSecurityPolicy()}) admits the declared origins of the listed pages, each for
 * its kind, computed from the running plugins on every load of the console; operators see at
 * {@code GET /api/v1/console/external-origins} which plugin added which.
 */
public final class PluginConsolePages implements ExtensionRegistry.Listener {

    /** Where plugin pages' files are served; inside the console's own {@link WebConsole#ASSETS}. */
    public static final String MOUNT = WebConsole.ASSETS + "/plugins";

    private static final Logger log = LoggerFactory.getLogger(PluginConsolePages.class);
    private static final Pattern PAGE_ID = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?");
    private static final Pattern FILE = Pattern.compile("(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}/){0,7}[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}");
    private static final int MAX_FILE_BYTES = 4 * 1024 * 1024;
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "js", "text/javascript; charset=utf-8", "mjs", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "json", "application/json", "svg", "image/svg+xml", "png", "image/png", "woff2", "font/woff2");

    /**
     * One page, as the console lists it.
     *
     * @param plugin the plugin's id
     * @param pluginVersion the running version
     * @param id the page's id within the plugin
     * @param title its title
     * @param description one sentence on what it is for
     * @param permission what an admin needs to see it
     * @param module the address of its module
     * @param externalOrigins the origins outside the server it loads from, as the console's policy admits them
     */
    public record Page(String plugin, String pluginVersion, String id, String title, String description, Permission permission,
                       String module, List<ExternalOrigin> externalOrigins) {
    }

    /** What {@code GET /api/v1/console/pages} answers. */
    public record PageList(List<Page> items) {
    }

    /**
     * An origin a running plugin's page added to the console's policy.
     *
     * @param plugin the plugin's id
     * @param pluginVersion its running version
     * @param page the page's id
     * @param kind what the page loads from the origin
     * @param directive the policy's directive that admits it
     * @param origin the origin
     */
    public record AddedOrigin(String plugin, String pluginVersion, String page, ExternalOrigin.Kind kind, String directive, String origin) {
    }

    /**
     * What {@code GET /api/v1/console/external-origins} answers.
     *
     * @param contentSecurityPolicy the policy the console document carries now
     * @param items the origins running plugins' pages added to it, by plugin, page, kind and origin
     */
    public record AddedOriginList(String contentSecurityPolicy, List<AddedOrigin> items) {
    }

    private record Mounted(Page page, URLClassLoader files) {
    }

    private final Map<ExtensionRegistry.Registration<?>, Mounted> pages = new ConcurrentHashMap<>();
    private final HttpIo io;
    private final List<AdminRoute> routes;

    public PluginConsolePages(HttpIo io) {
        this.io = requireNonNull(io, "io is null");
        this.routes = List.of(AdminRoute.get("/api/v1/console/pages", Permission.API_TOKEN_OWN).tag("console")
                .summary("The console pages running plugins contribute that the caller's role may open").returns(PageList.class)
                .handle(request -> new PageList(visibleTo(request.principal().role()))),
                AdminRoute.get("/api/v1/console/external-origins", Permission.PLUGIN_READ).tag("console")
                        .summary("The origins outside the server that running plugins' console pages added to the console's Content-Security-Policy")
                        .returns(AddedOriginList.class).handle(request -> new AddedOriginList(contentSecurityPolicy(), addedOrigins())));
    }

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != ConsolePage.class) {
            return;
        }
        ConsolePage page = (ConsolePage) registration.extension();
        String pluginId = registration.owner().id();
        try {
            String id = registration.owner().call("ConsolePage.id", page::id);
            String title = registration.owner().call("ConsolePage.title", page::title);
            String permissionName = registration.owner().call("ConsolePage.permission", page::permission);
            String module = registration.owner().call("ConsolePage.module", page::module);
            String description = registration.owner().call("ConsolePage.description", page::description);
            Set<ExternalOrigin> declared = registration.owner().call("ConsolePage.externalOrigins", page::externalOrigins);
            Optional<String> problem = problem(id, title, permissionName, module);
            if (problem.isPresent()) {
                log.warn("Console page of plugin {} not listed: {}", pluginId, problem.get());
                return;
            }
            List<ExternalOrigin> origins;
            try {
                origins = ExternalOrigins.admittedAll(declared);
            } catch (IllegalArgumentException e) {
                log.warn("Console page of plugin {} not listed: page '{}' declares what the console will not admit: {}", pluginId, id, e.getMessage());
                return;
            }
            if (!(page.getClass().getClassLoader() instanceof URLClassLoader files)) {
                log.warn("Console page of plugin {} not listed: its class was not loaded from a plugin file", pluginId);
                return;
            }
            if (pages.values().stream().anyMatch(other -> other.page().plugin().equals(pluginId) && other.page().id().equals(id)
                    && other.page().pluginVersion().equals(registration.owner().version()))) {
                log.warn("Console page of plugin {} not listed: the plugin has another page with the id '{}'", pluginId, id);
                return;
            }
            String version = registration.owner().version();
            Page listed = new Page(pluginId, version, id, title.strip(), description == null ? "" : description.strip(),
                    Permission.valueOf(permissionName.toUpperCase(Locale.ROOT)), MOUNT + "/" + pluginId + "/" + version + "/" + module,
                    origins);
            pages.put(registration, new Mounted(listed, files));
            log.info("Console page '{}' of plugin {} at {} (needs {})", id, pluginId, listed.module(), permissionName.toLowerCase(Locale.ROOT));
            origins.forEach(origin -> log.info("Console page '{}' of plugin {} adds {} {} to the console's Content-Security-Policy",
                    id, pluginId, ExternalOrigins.directive(origin.kind()), origin.origin()));
        } catch (PluginCallException e) {
            log.warn("Console page of plugin {} not listed: {}", pluginId, e.getMessage());
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        pages.remove(registration);
    }

    /**
     * The pages an admin of this role may see, by plugin and title.
     *
     * @param role the admin's role
     * @return the pages
     */
    public List<Page> visibleTo(Role role) {
        return pages.values().stream().map(Mounted::page).filter(page -> role.allows(page.permission()))
                .sorted(Comparator.comparing(Page::plugin).thenComparing(Page::title)).toList();
    }

    /**
     * The console document's Content-Security-Policy: the strict one with the declared origins of the pages listed now.
     *
     * @return the header's value
     */
    public String contentSecurityPolicy() {
        return ExternalOrigins.policy(pages.values().stream().flatMap(mounted -> mounted.page().externalOrigins().stream()).toList());
    }

    private List<AddedOrigin> addedOrigins() {
        return pages.values().stream().map(Mounted::page).flatMap(page -> page.externalOrigins().stream()
                        .map(origin -> new AddedOrigin(page.plugin(), page.pluginVersion(), page.id(), origin.kind(),
                                ExternalOrigins.directive(origin.kind()), origin.origin())))
                .sorted(Comparator.comparing(AddedOrigin::plugin).thenComparing(AddedOrigin::page).thenComparing(AddedOrigin::kind)
                        .thenComparing(AddedOrigin::origin)).toList();
    }

    /** The admin API routes: the pages (every role may ask, and sees only the pages it may open) and the added origins. */
    public List<AdminRoute> routes() {
        return routes;
    }

    /** {@value #MOUNT}{@code /{pluginId}/{version}/{file}}: a file of a running plugin's console folder. */
    public HttpHandler files() {
        return this::serve;
    }

    private void serve(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET) && !exchange.getRequestMethod().equals(Methods.HEAD)) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            io.sendProblem(exchange, Problem.of(StatusCodes.METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
                    "Plugin console files are read with GET."));
            return;
        }
        String[] parts = exchange.getRelativePath().replaceFirst("^/", "").split("/", 3);
        Optional<byte[]> content = Optional.empty();
        if (parts.length == 3 && FILE.matcher(parts[2]).matches() && !parts[2].contains("..")) {
            content = pages.values().stream()
                    .filter(mounted -> mounted.page().plugin().equals(parts[0]) && mounted.page().pluginVersion().equals(parts[1]))
                    .findFirst().flatMap(mounted -> read(mounted.files(), parts[2]));
        }
        String type = CONTENT_TYPES.get(extension(parts[parts.length - 1]));
        if (content.isEmpty() || type == null) {
            io.sendProblem(exchange, Problem.notFound("No running plugin serves the console file " + exchange.getRequestPath() + "."));
            return;
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        // The address names the plugin's version, but a file replaced under the same version must still be fetched anew.
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseSender().send(ByteBuffer.wrap(content.get()));
    }

    /** The file from the plugin's own files only (findResource never asks the kernel's or the JDK's loaders). */
    private static Optional<byte[]> read(URLClassLoader files, String file) {
        URL url = files.findResource(ConsolePage.FOLDER + "/" + file);
        if (url == null) {
            return Optional.empty();
        }
        try {
            URLConnection connection = url.openConnection();
            // A jar opened through a cached connection stays open after its plugin is unloaded; read it uncached.
            connection.setUseCaches(false);
            try (InputStream in = connection.getInputStream()) {
                byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
                if (bytes.length > MAX_FILE_BYTES) {
                    log.warn("Console file {} is larger than {} bytes; not served", url, MAX_FILE_BYTES);
                    return Optional.empty();
                }
                return Optional.of(bytes);
            }
        } catch (IOException e) {
            // The plugin was unloaded (its files closed) between the lookup and the read.
            return Optional.empty();
        }
    }

    private static Optional<String> problem(String id, String title, String permission, String module) {
        if (id == null || !PAGE_ID.matcher(id).matches()) {
            return Optional.of("the id '" + id + "' is not lower-case letters, digits and hyphens (at most 40)");
        }
        if (title == null || title.isBlank() || title.length() > 80) {
            return Optional.of("page '" + id + "' needs a title of 1 to 80 characters");
        }
        try {
            Permission.valueOf(String.valueOf(permission).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Optional.of("page '" + id + "' names an unknown permission '" + permission + "'");
        }
        if (module == null || !FILE.matcher(module).matches() || module.contains("..") || !module.endsWith(".js")) {
            return Optional.of("page '" + id + "' has an unusable module path '" + module + "' (a .js file inside the "
                    + ConsolePage.FOLDER + " folder)");
        }
        return Optional.empty();
    }

    private static String extension(String file) {
        int dot = file.lastIndexOf('.');
        return dot < 0 ? "" : file.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
