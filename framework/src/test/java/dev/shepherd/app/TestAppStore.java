package dev.shepherd.app;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.LicenceCount;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.LicenceOutcome;
import dev.shepherd.api.appstore.LicenceRequest;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small licensing store that keeps its licences the way a volume-purchase store does: a pool per app, one licence
 * per device, or per user for user licences (assigning again is a no-op), exhausted when the pool is used up. Its
 * catalog pages two apps at a time. It gives user licences only when a test says so ({@link #licenceKinds}).
 */
final class TestAppStore implements AppStoreConnector {

    private final String id;
    private final Map<String, StoreApp> apps = new LinkedHashMap<>();
    private final Map<String, Long> totals = new LinkedHashMap<>();
    private final Map<String, List<String>> holders = new LinkedHashMap<>();
    final List<String> revoked = new CopyOnWriteArrayList<>();
    volatile boolean failing;
    volatile Set<LicenceKind> licenceKinds = Set.of(LicenceKind.DEVICE);
    /** Every user licence the kernel asked for, as {@code storeAppId:user}. */
    final List<String> userRequests = new CopyOnWriteArrayList<>();

    TestAppStore(String id) {
        this.id = id;
    }

    synchronized void offer(String storeAppId, String identifier, String name, String version, long licences) {
        totals.put(storeAppId, licences);
        holders.putIfAbsent(storeAppId, new ArrayList<>());
        apps.put(storeAppId, app(storeAppId, identifier, name, version));
    }

    synchronized void offerWithSchema(String storeAppId, String identifier, String name, String schema) {
        totals.put(storeAppId, 0L);
        apps.put(storeAppId, new StoreApp(id, storeAppId, Platform.IOS, identifier, name, "Example Inc.", Optional.of("1.0"),
                Optional.empty(), OptionalLong.empty(), Optional.of(schema), false, Optional.empty()));
    }

    synchronized void withdraw(String storeAppId) {
        apps.remove(storeAppId);
    }

    private StoreApp app(String storeAppId, String identifier, String name, String version) {
        long total = totals.get(storeAppId);
        return new StoreApp(id, storeAppId, Platform.IOS, identifier, name, "Example Inc.", Optional.of(version), Optional.empty(),
                OptionalLong.of(1024), Optional.empty(), total > 0, total > 0
                ? Optional.of(new LicenceCount(total, holders.getOrDefault(storeAppId, List.of()).size())) : Optional.empty());
    }

    private synchronized StoreApp current(String storeAppId) {
        StoreApp app = apps.get(storeAppId);
        return app.licensed() ? app(storeAppId, app.identifier(), app.name(), app.version().orElseThrow()) : app;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String displayName() {
        return "Test store " + id;
    }

    @Override
    public Set<Platform> platforms() {
        return Set.of(Platform.IOS);
    }

    @Override
    public StoreHealth health() {
        return StoreHealth.ready();
    }

    @Override
    public synchronized CatalogPage catalog(Optional<String> cursor) throws AppStoreException {
        if (failing) {
            throw AppStoreException.retryable("the test store is down", Optional.empty());
        }
        List<String> ids = new ArrayList<>(apps.keySet());
        int from = cursor.map(Integer::parseInt).orElse(0);
        List<StoreApp> page = ids.subList(from, Math.min(ids.size(), from + 2)).stream().map(this::current).toList();
        return new CatalogPage(page, from + 2 < ids.size() ? Optional.of(String.valueOf(from + 2)) : Optional.empty());
    }

    @Override
    public synchronized List<StoreApp> search(String query, int limit) {
        return apps.values().stream().filter(app -> app.name().contains(query)).limit(limit).toList();
    }

    @Override
    public synchronized Optional<StoreApp> lookup(String storeAppId) {
        return Optional.ofNullable(apps.get(storeAppId)).map(app -> current(storeAppId));
    }

    @Override
    public synchronized LicenceOutcome assignLicence(LicenceRequest request) throws AppStoreException {
        if (failing) {
            throw AppStoreException.retryable("the test store is down", Optional.empty());
        }
        List<String> held = holders.get(request.storeAppId());
        String holder = holder(request);
        if (request.kind() == LicenceKind.USER) {
            userRequests.add(request.storeAppId() + ":" + holder);
        }
        if (held.contains(holder)) {
            return LicenceOutcome.assigned(Optional.of("licence-" + holder));
        }
        if (held.size() >= totals.get(request.storeAppId())) {
            return LicenceOutcome.exhausted("No licences left for " + request.storeAppId() + " (" + held.size() + " of "
                    + totals.get(request.storeAppId()) + " assigned)");
        }
        held.add(holder);
        return LicenceOutcome.assigned(Optional.of("licence-" + holder));
    }

    @Override
    public synchronized void revokeLicence(LicenceRequest request) {
        holders.getOrDefault(request.storeAppId(), new ArrayList<>()).remove(holder(request));
        revoked.add(request.storeAppId() + ":" + holder(request));
    }

    @Override
    public Set<LicenceKind> licenceKinds() {
        return licenceKinds;
    }

    /** A device is held by its serial number, a user by {@code user:} and their id. */
    private static String holder(LicenceRequest request) {
        return request.kind() == LicenceKind.USER ? "user:" + request.licenceUser().orElseThrow().id() : request.serialNumber().orElseThrow();
    }

    @Override
    public AppInstallation installation(StoreApp app, Device device) {
        return new AppInstallation(app.identifier(), app.version(), new AppInstallation.FromStore(app.storeAppId()),
                Map.of("purchaseMethod", 1));
    }

    synchronized int holders(String storeAppId) {
        return holders.get(storeAppId).size();
    }

    /** The stores as the catalog reaches them: in-process, without a plugin host in between. */
    static AppStores direct(TestAppStore... stores) {
        Map<String, AppStoreConnector> byId = new LinkedHashMap<>();
        for (TestAppStore store : stores) {
            byId.put(store.id(), store);
        }
        return new AppStores() {
            @Override
            public List<String> storeIds() {
                return List.copyOf(byId.keySet());
            }

            @Override
            public <T> T call(String storeId, String operation, StoreCall<T> call) throws AppStoreException {
                AppStoreConnector store = byId.get(storeId);
                if (store == null) {
                    throw AppStoreException.retryable("No app-store plugin for store " + storeId + " is running.", Optional.empty());
                }
                return call.call(store);
            }
        };
    }
}
