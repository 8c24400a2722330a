package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/appstore-google-play/managed-play}, what the console's managed Google Play page uses:
 * <ul>
 *   <li>{@code POST /web-token} with {@code {"parentFrameUrl": …, "features": [...]}}: a web token for the managed
 *       Play iframe ({@code enterprises.webTokens.create}), the iframe's URL in SELECT mode and the script that embeds
 *       it (both the plugin's settings, Google's by default);</li>
 *   <li>{@code GET /apps}: the apps added to the store's catalog;</li>
 *   <li>{@code POST /apps} with {@code {"packageName": …}}: adds the app the iframe selected (approved in the iframe),
 *       after Google confirms it with {@code enterprises.applications.get}; the kernel's catalog takes it at the
 *       store's next sync ({@code POST /api/v1/app-stores/google-play/sync} for now);</li>
 *   <li>{@code DELETE /apps/{packageName}}: leaves it out of the store's catalog (the kernel marks it removed from the
 *       store at its next sync).</li>
 * </ul>
 */
@Extension
public final class ManagedPlayEndpoint implements AdminEndpoint {

    /** The iframe features admins may ask for ({@code WebToken.enabledFeatures}). */
    static final Set<String> FEATURES = Set.of("PLAY_SEARCH", "PRIVATE_APPS", "WEB_APPS", "STORE_BUILDER", "MANAGED_CONFIGURATIONS");
    /** Approving public apps and publishing private ones: what the iframe is for here. */
    static final List<String> DEFAULT_FEATURES = List.of("PLAY_SEARCH", "PRIVATE_APPS");
    private static final String APPS = "/apps";
    private static final String WEB_TOKEN = "/web-token";
    private static final Logger log = LoggerFactory.getLogger(ManagedPlayEndpoint.class);

    private final PlayCatalog catalog;
    private final GooglePlayConnector connector;
    private final PlayApi api;
    private final PlaySettings settings;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ManagedPlayEndpoint(PlayCatalog catalog, GooglePlayConnector connector, PlayApi api, PlayContext context) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.connector = requireNonNull(connector, "connector is null");
        this.api = requireNonNull(api, "api is null");
        this.settings = requireNonNull(context, "context is null").settings();
    }

    @Override
    public String path() {
        return "/managed-play";
    }

    @Override
    public String permission() {
        return "app_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 8 * 1024;
    }

    @Override
    public String summary() {
        return "Managed Google Play: POST web-token for the iframe; GET, POST and DELETE apps of the store's catalog";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        String path = request.path().substring(Math.min(path().length(), request.path().length()));
        Optional<String> problem = connector.configurationProblem();
        if (path.equals(WEB_TOKEN)) {
            return request.method().equals("POST") ? problem.map(this::notConfigured).orElseGet(() -> webToken(request))
                    : JsonResponses.problem(405, "Method not allowed", "Use POST.").withHeader("Allow", "POST");
        }
        if (path.equals(APPS)) {
            return switch (request.method()) {
                case "GET" -> JsonResponses.json(200, Map.of("apps", listed()));
                case "POST" -> problem.map(this::notConfigured).orElseGet(() -> add(request));
                default -> JsonResponses.problem(405, "Method not allowed", "Use GET or POST.").withHeader("Allow", "GET, POST");
            };
        }
        if (path.startsWith(APPS + "/")) {
            String packageName = path.substring(APPS.length() + 1);
            if (!request.method().equals("DELETE")) {
                return JsonResponses.problem(405, "Method not allowed", "Use DELETE.").withHeader("Allow", "DELETE");
            }
            if (!catalog.remove(packageName)) {
                return JsonResponses.problem(404, "Not found", "The store's catalog has no app " + packageName + ".");
            }
            log.info("App {} left out of the managed Google Play catalog by {}", packageName, request.adminUsername());
            return DeviceResponse.empty(204);
        }
        return JsonResponses.problem(404, "Not found", "There is nothing at " + request.path() + "; use " + WEB_TOKEN + " or " + APPS + ".");
    }

    private DeviceResponse notConfigured(String reason) {
        return JsonResponses.problem(409, "Not configured", reason);
    }

    private DeviceResponse webToken(AdminRequest request) {
        Optional<JsonNode> body = body(request);
        if (body.isEmpty()) {
            return JsonResponses.problem(400, "Bad request", "The body must be a JSON object with parentFrameUrl.");
        }
        String parentFrameUrl = body.get().path("parentFrameUrl").asText("");
        if (!parentFrame(parentFrameUrl)) {
            return JsonResponses.problem(400, "Bad request",
                    "parentFrameUrl must be the absolute https URL of the page embedding the iframe (Google embeds it in https pages only).");
        }
        List<String> features = new ArrayList<>();
        if (body.get().has("features")) {
            for (JsonNode feature : body.get().path("features")) {
                if (!FEATURES.contains(feature.asText(""))) {
                    return JsonResponses.problem(400, "Bad request", "features must be some of " + FEATURES.stream().sorted().toList() + ".");
                }
                if (!features.contains(feature.asText())) {
                    features.add(feature.asText());
                }
            }
        } else {
            features.addAll(DEFAULT_FEATURES);
        }
        try {
            String token = api.createWebToken(connector.enterpriseName(), parentFrameUrl, features);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("token", token);
            answer.put("iframeUrl", settings.iframeUrl() + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&mode=SELECT");
            answer.put("scriptUrl", settings.iframeScriptUrl().toString());
            answer.put("features", features);
            return JsonResponses.json(200, answer);
        } catch (GoogleException e) {
            return refused(e);
        }
    }

    private DeviceResponse add(AdminRequest request) {
        String packageName = body(request).map(node -> node.path("packageName").asText("")).orElse("");
        if (!PlayApi.isPackageName(packageName)) {
            return JsonResponses.problem(400, "Bad request", "The body must be {\"packageName\": …} with an Android package name such as com.example.app.");
        }
        try {
            Optional<PlayCatalog.PlayApp> added = catalog.fetch(connector.enterpriseName(), packageName, true);
            if (added.isEmpty()) {
                return JsonResponses.problem(404, "Not found", "Managed Google Play does not offer " + packageName
                        + " to this enterprise: approve it in the managed Play iframe first.");
            }
            log.info("App {} added to the managed Google Play catalog by {}", packageName, request.adminUsername());
            return JsonResponses.json(201, describe(catalog.toStoreApp(added.get())));
        } catch (GoogleException e) {
            return refused(e);
        }
    }

    private List<Map<String, Object>> listed() {
        List<Map<String, Object>> apps = new ArrayList<>();
        for (String packageName : catalog.packages()) {
            catalog.stored(packageName).map(catalog::toStoreApp).map(this::describe).ifPresent(apps::add);
        }
        return apps;
    }

    private Map<String, Object> describe(StoreApp app) {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("packageName", app.storeAppId());
        described.put("title", app.name());
        described.put("publisher", app.publisher());
        app.version().ifPresent(version -> described.put("version", version));
        app.icon().ifPresent(icon -> described.put("icon", icon.toString()));
        described.put("managedConfiguration", app.configurationSchema().isPresent());
        return described;
    }

    /** Google's refusal (4xx) is the admin's to fix; its trouble or the network's (5xx, unreachable) is a bad gateway. */
    private static DeviceResponse refused(GoogleException e) {
        if (e.retriable() || e.status() == 0 || e.status() >= 500) {
            return JsonResponses.problem(502, "Bad gateway", "Google could not answer: " + e.getMessage());
        }
        return JsonResponses.problem(e.status() == 403 || e.status() == 401 ? 403 : 400, "Refused by Google", e.getMessage());
    }

    private static boolean parentFrame(String text) {
        try {
            URI uri = new URI(text);
            // Google: "The URL must use the https scheme" (WebToken.parentFrameUrl).
            return "https".equals(uri.getScheme()) && uri.getHost() != null && uri.getRawUserInfo() == null && text.length() <= 2048;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private Optional<JsonNode> body(AdminRequest request) {
        try {
            JsonNode node = json.readTree(request.body());
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
