package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The store {@value PlayCatalog#STORE_ID}: managed Google Play of the organisation's Android Enterprise. Its catalog is
 * the apps admins added ({@link PlayCatalog}), refreshed from Google page by page; Play apps need no licence; devices
 * install them from Play, which the Android plugin carries out through the device's policy. The installation names
 * the version code of the version to install (option {@value #VERSION_CODE}), so an update can require at least it.
 */
@Extension
public final class GooglePlayConnector implements AppStoreConnector {

    /** Installation option: the version code of the version to install, for the policy's {@code minimumVersionCode}. */
    public static final String VERSION_CODE = "versionCode";
    /** Installation option: the lowest Android API level the app runs on. */
    public static final String MIN_SDK = "minSdkVersion";
    /** Apps refreshed from Google per catalog page: one {@code applications.get} each. */
    static final int PAGE_SIZE = 20;

    private final PlayCatalog catalog;
    private final PlayServiceAccountKeys keys;
    private final PlaySettings settings;
    private final Clock clock;
    /** The last failure talking to Google, cleared by the next success: what {@link #health()} reports without a call. */
    private volatile StoreHealth.Failing lastFailure;

    @Inject
    public GooglePlayConnector(PlayCatalog catalog, PlayServiceAccountKeys keys, PlayContext context, Clock clock) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(context, "context is null").settings();
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String id() {
        return PlayCatalog.STORE_ID;
    }

    @Override
    public String displayName() {
        return "Managed Google Play";
    }

    @Override
    public Set<Platform> platforms() {
        return Set.of(Platform.ANDROID);
    }

    @Override
    public StoreHealth health() {
        if (settings.enterprise().isEmpty()) {
            return StoreHealth.notConfigured("No enterprise is set: set the plugin setting 'enterprise' to the Android Enterprise (enterprises/…) the Android plugin bound.");
        }
        if (keys.current().isEmpty()) {
            return StoreHealth.notConfigured("No service-account key has been uploaded: upload the key the Android plugin uses to /api/v1/plugins/appstore-google-play/service-account.");
        }
        StoreHealth.Failing failing = lastFailure;
        return failing != null ? failing : StoreHealth.ready();
    }

    /** The cursor is the index of the page's first app among the added packages, in package-name order. */
    @Override
    public CatalogPage catalog(Optional<String> cursor) throws AppStoreException {
        String enterprise = enterprise();
        int from = cursor.map(GooglePlayConnector::index).orElse(0);
        List<String> packages = catalog.packages();
        List<StoreApp> apps = new ArrayList<>();
        for (String packageName : packages.subList(Math.min(from, packages.size()), Math.min(from + PAGE_SIZE, packages.size()))) {
            // An app Google no longer knows (no longer approved or published) is left out: the kernel marks it removed from the store.
            fetch(enterprise, packageName, false).map(catalog::toStoreApp).ifPresent(apps::add);
        }
        succeeded();
        return new CatalogPage(apps, from + PAGE_SIZE < packages.size() ? Optional.of(Integer.toString(from + PAGE_SIZE)) : Optional.empty());
    }

    /**
     * Google offers no search outside the managed Play iframe; a query that is a package name finds that app when the
     * enterprise may use it.
     */
    @Override
    public List<StoreApp> search(String query, int limit) throws AppStoreException {
        String packageName = requireNonNull(query, "query is null").strip();
        if (!PlayApi.isPackageName(packageName) || limit < 1) {
            return List.of();
        }
        return lookup(packageName).map(List::of).orElse(List.of());
    }

    /** The app's details from Google; an app in the catalog has its stored details refreshed. */
    @Override
    public Optional<StoreApp> lookup(String storeAppId) throws AppStoreException {
        if (!PlayApi.isPackageName(requireNonNull(storeAppId, "storeAppId is null"))) {
            return Optional.empty();
        }
        Optional<StoreApp> found = fetch(enterprise(), storeAppId, false).map(catalog::toStoreApp);
        succeeded();
        return found;
    }

    /**
     * From Play, by package name, with the version to install and its version code as Google last listed them. Play
     * apps need no licence, so {@link #assignLicence} keeps the default: not required.
     */
    @Override
    public AppInstallation installation(StoreApp app, Device device) throws AppStoreException {
        requireNonNull(app, "app is null");
        requireNonNull(device, "device is null");
        if (!PlayApi.isPackageName(app.storeAppId())) {
            throw new AppStoreException(app.storeAppId() + " is not an Android package name.");
        }
        Map<String, Object> options = new LinkedHashMap<>();
        Optional<PlayCatalog.PlayApp> stored = catalog.stored(app.storeAppId());
        OptionalLong versionCode = app.version().flatMap(version -> stored.map(play -> play.versionCode(version)))
                .orElse(OptionalLong.empty());
        versionCode.ifPresent(code -> options.put(VERSION_CODE, code));
        stored.flatMap(play -> {
            OptionalLong sdk = play.minSdk();
            return sdk.isPresent() ? Optional.of(sdk.getAsLong()) : Optional.empty();
        }).ifPresent(sdk -> options.put(MIN_SDK, sdk));
        return new AppInstallation(app.storeAppId(), app.version(), new AppInstallation.FromStore(app.storeAppId()), options);
    }

    /** @return why the store cannot be used until an admin configures it, if it cannot */
    public Optional<String> configurationProblem() {
        return health() instanceof StoreHealth.NotConfigured notConfigured ? Optional.of(notConfigured.reason()) : Optional.empty();
    }

    /**
     * @return the enterprise whose managed Google Play this is
     * @throws IllegalStateException when none is set ({@link #configurationProblem()})
     */
    public String enterpriseName() {
        return settings.enterprise().orElseThrow(() -> new IllegalStateException("no enterprise is set"));
    }

    private Optional<PlayCatalog.PlayApp> fetch(String enterprise, String packageName, boolean add) throws AppStoreException {
        try {
            return catalog.fetch(enterprise, packageName, add);
        } catch (GoogleException e) {
            throw failed(e);
        }
    }

    private String enterprise() throws AppStoreException {
        Optional<String> problem = configurationProblem();
        if (problem.isPresent()) {
            throw new AppStoreException(problem.get());
        }
        return enterpriseName();
    }

    private static int index(String cursor) {
        try {
            return Math.max(0, Integer.parseInt(cursor));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void succeeded() {
        lastFailure = null;
    }

    private AppStoreException failed(GoogleException e) {
        String message = "Google refused or could not answer: " + e.getMessage();
        if (lastFailure == null) {
            lastFailure = new StoreHealth.Failing(message, clock.instant());
        }
        return new AppStoreException(message, e.retriable(), Optional.empty(), null);
    }
}
