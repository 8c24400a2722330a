package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.StreamSupport;

import static java.util.Objects.requireNonNull;

/**
 * The apps an admin added from managed Google Play. The Android Management API cannot list the apps an enterprise
 * approved, so the store's catalog is what admins added here (after selecting the app in the managed Play iframe),
 * each kept in the plugin's storage under {@code app/<package>} with the details Google last gave
 * ({@code enterprises.applications.get}): title, author, icon, versions with their version codes, minimum SDK and
 * managed properties.
 */
@Singleton
public final class PlayCatalog {

    /** The store's id in the kernel's catalog. */
    public static final String STORE_ID = "google-play";
    private static final String APP_PREFIX = "app/";
    private static final Logger log = LoggerFactory.getLogger(PlayCatalog.class);

    /** An app as the store knows it: its package name and the parts of Google's {@code Application} Shepherd keeps. */
    public record PlayApp(String packageName, ObjectNode application) {
        public PlayApp {
            requireNonNull(packageName, "packageName is null");
            requireNonNull(application, "application is null");
        }

        /** @return the newest production version (the highest version code), or the newest of any track */
        public Optional<JsonNode> currentVersion() {
            List<JsonNode> versions = StreamSupport.stream(application.path("appVersions").spliterator(), false)
                    .filter(version -> version.path("versionCode").canConvertToLong() && !version.path("versionString").asText("").isBlank())
                    .toList();
            Comparator<JsonNode> byCode = Comparator.comparingLong(version -> version.path("versionCode").asLong());
            return versions.stream().filter(version -> version.path("production").asBoolean(false)).max(byCode)
                    .or(() -> versions.stream().max(byCode));
        }

        /** @return the version code of a version name Google listed */
        public OptionalLong versionCode(String versionString) {
            return StreamSupport.stream(application.path("appVersions").spliterator(), false)
                    .filter(version -> versionString.equals(version.path("versionString").asText("")))
                    .mapToLong(version -> version.path("versionCode").asLong()).max();
        }

        /** @return the lowest Android API level the app runs on, when Google says */
        public OptionalLong minSdk() {
            JsonNode sdk = application.path("minAndroidSdkVersion");
            return sdk.canConvertToLong() ? OptionalLong.of(sdk.asLong()) : OptionalLong.empty();
        }
    }

    /** Google's {@code Application} fields the store keeps; descriptions, screenshots and permissions are left out. */
    private static final List<String> KEPT = List.of("name", "title", "author", "iconUrl", "appVersions", "minAndroidSdkVersion",
            "managedProperties", "distributionChannel", "playStoreUrl", "updateTime");

    private final PluginStorage storage;
    private final PlayApi api;
    private final ManagedConfigurationSchema schemas = new ManagedConfigurationSchema();
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public PlayCatalog(PluginStorage storage, PlayApi api) {
        this.storage = requireNonNull(storage, "storage is null");
        this.api = requireNonNull(api, "api is null");
    }

    /** @return the package names added, in order */
    public List<String> packages() {
        return storage.keys(APP_PREFIX).stream().map(key -> key.substring(APP_PREFIX.length())).sorted().toList();
    }

    /** @return the app as Google last described it, when it was added */
    public Optional<PlayApp> stored(String packageName) {
        return storage.get(APP_PREFIX + packageName).flatMap(bytes -> {
            try {
                return Optional.of(new PlayApp(packageName, (ObjectNode) json.readTree(bytes)));
            } catch (IOException | ClassCastException e) {
                log.warn("The stored details of {} are unreadable; they are fetched again", packageName);
                return Optional.empty();
            }
        });
    }

    /**
     * Asks Google for the app's details and keeps them, adding the app to the catalog when {@code add} is set.
     *
     * @return the app, or empty when Google does not know the package (it was never approved, or is not offered)
     */
    public Optional<PlayApp> fetch(String enterprise, String packageName, boolean add) throws GoogleException {
        Optional<JsonNode> application = api.application(enterprise, packageName);
        if (application.isEmpty() || !application.get().isObject()) {
            return Optional.empty();
        }
        ObjectNode kept = json.createObjectNode();
        KEPT.forEach(field -> {
            if (application.get().has(field)) {
                kept.set(field, application.get().get(field));
            }
        });
        PlayApp app = new PlayApp(packageName, kept);
        if (add || storage.get(APP_PREFIX + packageName).isPresent()) {
            storage.put(APP_PREFIX + packageName, kept.toString().getBytes(StandardCharsets.UTF_8));
        }
        return Optional.of(app);
    }

    /** @return whether the app was in the catalog */
    public boolean remove(String packageName) {
        return storage.delete(APP_PREFIX + packageName);
    }

    /**
     * The app as the kernel's catalog keeps it: an Android app installed from Play, needing no licence (managed
     * Google Play has no licence pools; paid apps are not offered through it), with the current production version
     * and the managed-configuration schema converted from its managed properties.
     */
    public StoreApp toStoreApp(PlayApp app) {
        JsonNode application = app.application();
        String title = application.path("title").asText("").strip();
        Optional<String> version = app.currentVersion().map(current -> current.path("versionString").asText());
        Optional<String> schema;
        try {
            schema = schemas.convert(application.path("managedProperties")).map(ObjectNode::toString);
        } catch (ManagedConfigurationSchema.UnusableSchemaException e) {
            log.warn("The managed configuration of {} is not offered: {}", app.packageName(), e.getMessage());
            schema = Optional.empty();
        }
        return new StoreApp(STORE_ID, app.packageName(), Platform.ANDROID, app.packageName(),
                bounded(title.isEmpty() ? app.packageName() : title), bounded(application.path("author").asText("").strip()),
                version.map(PlayCatalog::bounded), icon(application.path("iconUrl").asText("")), OptionalLong.empty(), schema, false,
                Optional.empty());
    }

    /** Google's icons are https URLs; anything else is not shown. */
    private static Optional<URI> icon(String text) {
        try {
            URI uri = new URI(text);
            return "https".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null ? Optional.of(uri) : Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** The catalog keeps names in bounded columns ({@link StoreApp}); a longer one from Google is cut, not refused. */
    private static String bounded(String text) {
        return text.length() > 512 ? text.substring(0, 512) : text;
    }
}
