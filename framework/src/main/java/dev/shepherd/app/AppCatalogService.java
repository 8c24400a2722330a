package dev.shepherd.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.LicenceOutcome;
import dev.shepherd.api.appstore.LicenceRequest;
import dev.shepherd.api.appstore.LicenceUser;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.Event;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandService;
import dev.shepherd.command.IssueOutcome;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.device.OsVersion;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.GroupService;
import dev.shepherd.json.Json;
import dev.shepherd.policy.SettingSecrets;
import dev.shepherd.policy.SettingType;
import dev.shepherd.policy.SettingTypes;
import dev.shepherd.storage.DeviceWorkQueue;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's app catalog: the apps the app-store plugins hold, their assignments to groups, licences, and desired
 * versus actual per device, reconciled in the background like policies.
 *
 * <p>Stores are called outside transactions, through {@link AppStores} (the plugin host's guarded calls), so a slow
 * or failing store holds no lock and never blocks another store. Per device, the assignments reaching it through its
 * groups merge per app by {@link AppIntent} precedence (UNINSTALL over REQUIRED over AVAILABLE; among equals, the
 * assignment of the group with the lowest id gives the configuration). A REQUIRED app the device does not report gets
 * a licence (when the store licenses it) and an {@code INSTALL_APP} command; a store that has no licence left or
 * refuses one leaves the device FAILED with the store's reason, visible per device, and it is tried again when the
 * assignment or the licence pool changes. A newer catalog version reaches installed devices as {@code UPDATE_APP}. An
 * UNINSTALL sends {@code REMOVE_APP} and then gives the licence back; a retired or wiped device gives all of its
 * licences back. Unassigning an app forgets its per-device state and leaves the app (and its licence) on the device.
 * An AVAILABLE app is installed when the device's user asks for it in the portal; on a platform whose own store offers
 * apps ({@link #setAppOffers}), it is also offered there once, by an {@code INSTALL_APP} with
 * {@link AppInstallation#OFFER}, and the device's inventory then says whether the user installed it.
 *
 * <p>An assignment's licence source says who holds the licence: the device ({@link LicenceKind#DEVICE}, the default)
 * or the device's user ({@link LicenceKind#USER}, for stores whose {@link AppStoreConnector#licenceKinds()} offer it).
 * The assignment that wins a device's merge gives the licence source along with its configuration. A user licence is
 * obtained once per user and app and covers every device of that user; a device with a user-licensed app but no user
 * fails with that reason. User licences are given back by a reclaim pass once no device of the user needs the app:
 * no active device of theirs is reached by a REQUIRED assignment (or an AVAILABLE one it installed) with licence source
 * USER, or by one switched to DEVICE while the device holds no device licence of the app yet. The pass looks at the
 * licences a change may have freed (the app's assignments changed, a device of the user was retired, wiped, removed the
 * app, changed groups or was given to someone else) and at all of them at every catalog sync.
 */
public final class AppCatalogService {

    private static final Logger log = LoggerFactory.getLogger(AppCatalogService.class);
    private static final Actor RECONCILER = Actor.SYSTEM;
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };
    /** A store listing more pages than this is cut off, and its pass not counted as complete. */
    static final int MAX_CATALOG_PAGES = 1_000;
    /** The most rows a listing returns. */
    public static final int MAX_PAGE = 500;
    private static final String WAITING_FOR_INVENTORY = "waiting for the device to report the app";
    static final String NO_USER_FOR_LICENCE = "the app's assignment gives user licences, but the device has no user (or its user is not"
            + " in the directory); assign the device to a user, or choose device licences for the assignment";
    /** How many user licences one reclaim pass looks at; the rest wait for the next pass, a second later. */
    private static final int RECLAIM_BATCH = 100;

    private final Transactions transactions;
    private final DeviceService devices;
    private final GroupService groups;
    private final CommandService commands;
    private final AuditLog audit;
    private final EventLog events;
    private final SettingTypes types;
    private final SettingSecrets secrets;
    private final Json json;
    private final Clock clock;
    private final AppCatalogStore store = new AppCatalogStore();
    private final AppRolloutStore rollouts = new AppRolloutStore();
    private final DeviceWorkQueue queue;
    private volatile AppStores stores = AppStores.NONE;
    /** Whether a platform's own store offers AVAILABLE apps to the device's user; none does until the plugins say so. */
    private volatile Predicate<Platform> offersApps = platform -> false;
    /** When this node last synced each store; a node that takes over the lease syncs every store at once. */
    private final Map<String, Instant> lastSynced = new ConcurrentHashMap<>();
    /** One catalog write per store at a time on this node: an admin's "sync now" may meet the scheduled sync. */
    private final Map<String, Object> syncLocks = new ConcurrentHashMap<>();

    public AppCatalogService(Transactions transactions, DeviceService devices, GroupService groups, CommandService commands,
                             AuditLog audit, EventLog events, SettingTypes types, SettingSecrets secrets, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.events = requireNonNull(events, "events is null");
        this.types = requireNonNull(types, "types is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.queue = new DeviceWorkQueue("app_reconcile_queue", transactions, clock);
        groups.addMembershipListener((tx, changed) -> {
            for (DeviceId device : changed) {
                queue.enqueue(tx, device);
            }
        });
        groups.addMembershipListener((tx, changed) -> {
            for (DeviceId device : changed) {
                store.markUserLicencesDueForDevice(tx.connection(), device); // its user may no longer need a licence
            }
        });
        devices.addChangeListener((tx, before, after) -> {
            boolean statusChanged = before.isPresent() && before.get().device().status() != after.device().status();
            if (statusChanged && ended(after.device().status())) {
                queue.enqueue(tx, after.device().id()); // its licences go back to the stores
                if (after.device().userId().isPresent()) {
                    markUserLicencesDue(tx, after.device().userId().get());
                }
            }
            Optional<String> userBefore = before.flatMap(record -> record.device().userId());
            if (before.isPresent() && !userBefore.equals(after.device().userId())) {
                // the old user may no longer need their licences; the device's failures (no user, say) are tried again
                if (userBefore.isPresent()) {
                    markUserLicencesDue(tx, userBefore.get());
                }
                store.retryFailedOnDevice(tx.connection(), after.device().id(), clock.instant());
                queue.enqueue(tx, after.device().id());
            }
        });
        devices.addInventoryListener(this::inventoryReported);
        commands.addResultListener(this::commandAnswered);
    }

    /** Connects the catalog to the app-store plugins. */
    public void setStores(AppStores stores) {
        this.stores = requireNonNull(stores, "stores is null");
    }

    /**
     * Tells the catalog which platforms offer AVAILABLE apps in their own store ({@code PlatformSupport.offersAvailableApps}),
     * asked when a device is reconciled, so it follows platform plugins as they come and go.
     */
    public void setAppOffers(Predicate<Platform> offersApps) {
        this.offersApps = requireNonNull(offersApps, "offersApps is null");
    }

    /** @return the ids of the stores running now */
    public List<String> storeIds() {
        return stores.storeIds();
    }

    // ---- the catalog ----

    public List<CatalogApp> list(Optional<String> text, Optional<Platform> platform, Optional<String> storeId, int limit) {
        int bounded = Math.max(1, Math.min(limit, MAX_PAGE));
        return transactions.inTransaction("list apps", tx -> store.list(tx.connection(), text.filter(t -> !t.isBlank()), platform,
                storeId, bounded));
    }

    public Optional<CatalogApp> get(String id) {
        return transactions.inTransaction("read an app", tx -> store.find(tx.connection(), id));
    }

    /** @return the versions the catalog has seen of an app, newest first */
    public List<String> versions(String id) {
        return transactions.inTransaction("read an app's versions", tx -> store.versions(tx.connection(), id));
    }

    /**
     * Searches a store for apps an admin may add.
     *
     * @throws AppStoreException when the store cannot answer
     */
    public List<StoreApp> searchStore(String storeId, String query, int limit) throws AppStoreException {
        requireNonNull(query, "query is null");
        if (query.isBlank()) {
            throw new IllegalArgumentException("the search needs some text");
        }
        int bounded = Math.max(1, Math.min(limit, 100));
        List<StoreApp> found = stores.call(storeId, "AppStoreConnector.search", connector -> connector.search(query, bounded));
        return found == null ? List.of() : found.stream().filter(app -> app.storeId().equals(storeId)).limit(bounded).toList();
    }

    /**
     * Adds one store app to the catalog (or refreshes it when it is there already).
     *
     * @return the app, or empty when the store does not know it
     * @throws AppStoreException when the store cannot answer
     */
    public Optional<CatalogApp> addFromStore(Actor actor, String storeId, String storeAppId) throws AppStoreException {
        requireNonNull(actor, "actor is null");
        if (storeAppId == null || storeAppId.isBlank()) {
            throw new IllegalArgumentException("storeAppId is required");
        }
        Optional<StoreApp> found = stores.call(storeId, "AppStoreConnector.lookup", connector -> connector.lookup(storeAppId));
        if (found == null || found.isEmpty()) {
            return Optional.empty();
        }
        StoreApp app = found.get();
        if (!app.storeId().equals(storeId) || !app.storeAppId().equals(storeAppId)) {
            throw new AppStoreException("Store " + storeId + " answered for another app (" + app.storeId() + "/" + app.storeAppId() + ").");
        }
        return Optional.of(transactions.inTransaction("add an app", tx -> {
            Instant now = clock.instant();
            Optional<CatalogApp> existing = store.findInStore(tx.connection(), storeId, storeAppId, app.platform());
            String id = existing.map(CatalogApp::id).orElseGet(() -> UUID.randomUUID().toString());
            if (existing.isPresent()) {
                store.updateApp(tx.connection(), id, app, false, now);
            } else {
                store.insertApp(tx.connection(), id, app, actor.toString(), false, now);
            }
            if (app.version().isPresent()) {
                recordVersion(tx, id, app.version().get(), now);
            }
            store.writePool(tx.connection(), id, app.licences(), now);
            CatalogApp added = store.find(tx.connection(), id).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "app.add", "app", id, existing.map(this::summary), Optional.of(summary(added))));
            events.record(tx, Event.of("app.added", "kernel", Map.of("appId", id, "storeId", storeId, "storeAppId", storeAppId)));
            return added;
        }));
    }

    /**
     * Removes an app from the catalog.
     *
     * @return false when there is no such app
     * @throws AppConflictException when it is still assigned, or devices still hold its licences
     */
    public boolean delete(Actor actor, String id) {
        return transactions.inTransaction("delete an app", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), id);
            if (app.isEmpty()) {
                return false;
            }
            if (!store.assignments(tx.connection(), id).isEmpty()) {
                throw new AppConflictException("App " + app.get().name() + " is still assigned; remove its assignments first.");
            }
            if (!store.licences(tx.connection(), id).isEmpty() || !store.userLicences(tx.connection(), id).isEmpty()) {
                throw new AppConflictException("Devices still hold licences for " + app.get().name()
                        + "; assign it UNINSTALL to take them back first.");
            }
            store.deleteApp(tx.connection(), id);
            audit.append(tx, new AuditRecord(actor, "app.delete", "app", id, Optional.of(summary(app.get())), Optional.empty()));
            events.record(tx, Event.of("app.deleted", "kernel", Map.of("appId", id)));
            return true;
        });
    }

    // ---- catalog sync ----

    /**
     * Syncs the stores not synced within the interval (a store just loaded at once), one after the other; a failing
     * store is tried again at the next interval and the others carry on.
     *
     * @return what each pass did
     */
    public List<CatalogSync> syncDue(Duration interval) {
        Instant now = clock.instant();
        List<CatalogSync> results = new ArrayList<>();
        for (String storeId : stores.storeIds()) {
            Instant last = lastSynced.get(storeId);
            if (last == null || !last.plus(interval).isAfter(now)) {
                lastSynced.put(storeId, now);
                results.add(sync(storeId));
            }
        }
        lastSynced.keySet().retainAll(stores.storeIds());
        if (!results.isEmpty()) {
            retryWaiting();
            markAllUserLicencesDue(); // a reclaim that failed is tried again at each sync
        }
        return results;
    }

    /** Syncs every running store, one after the other; a failing store is reported and the others carry on. */
    public List<CatalogSync> syncAll() {
        List<CatalogSync> results = new ArrayList<>();
        for (String storeId : stores.storeIds()) {
            results.add(sync(storeId));
        }
        retryWaiting();
        return results;
    }

    /**
     * Reads a store's whole catalog, page by page, and brings the catalog in step: new apps are added, known ones
     * refreshed (a new version reaches the devices that must keep the app updated), licence pools replaced, and apps
     * the store no longer lists marked removed from the store. When the store fails midway nothing changes.
     */
    public CatalogSync sync(String storeId) {
        List<StoreApp> listed = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        try {
            for (int page = 0; ; page++) {
                if (page == MAX_CATALOG_PAGES) {
                    return CatalogSync.failed(storeId, "the store listed more than " + MAX_CATALOG_PAGES + " pages");
                }
                Optional<String> asked = cursor;
                CatalogPage answer = stores.call(storeId, "AppStoreConnector.catalog", connector -> connector.catalog(asked));
                if (answer == null) {
                    return CatalogSync.failed(storeId, "the store answered no page");
                }
                answer.apps().stream().filter(app -> app.storeId().equals(storeId)).forEach(listed::add);
                if (answer.nextCursor().isEmpty()) {
                    break;
                }
                if (answer.nextCursor().equals(asked)) {
                    return CatalogSync.failed(storeId, "the store returned the same cursor again");
                }
                cursor = answer.nextCursor();
            }
        } catch (AppStoreException e) {
            log.warn("Syncing the catalog of store {} failed: {}", storeId, e.getMessage());
            return CatalogSync.failed(storeId, e.getMessage());
        }
        synchronized (syncLocks.computeIfAbsent(storeId, id -> new Object())) {
            try {
                return writeCatalog(storeId, listed);
            } catch (StorageException e) {
                if (!Transactions.isUniqueViolation(e)) {
                    throw e;
                }
                // Another node added one of these apps first; written again, the sync finds it and refreshes it.
                return writeCatalog(storeId, listed);
            }
        }
    }

    private CatalogSync writeCatalog(String storeId, List<StoreApp> listed) {
        return transactions.inTransaction("sync an app store's catalog", tx -> {
            Instant now = clock.instant();
            Set<String> listedIds = new HashSet<>();
            int added = 0;
            int newVersions = 0;
            for (StoreApp app : listed) {
                Optional<CatalogApp> existing = store.findInStore(tx.connection(), storeId, app.storeAppId(), app.platform());
                String id = existing.map(CatalogApp::id).orElseGet(() -> UUID.randomUUID().toString());
                if (existing.isPresent()) {
                    store.updateApp(tx.connection(), id, app, true, now);
                } else {
                    store.insertApp(tx.connection(), id, app, RECONCILER.toString(), true, now);
                    added++;
                }
                listedIds.add(id);
                boolean newVersion = app.version().isPresent() && recordVersion(tx, id, app.version().get(), now)
                        && existing.isPresent();
                Optional<LicencePool> poolBefore = existing.flatMap(CatalogApp::licences);
                store.writePool(tx.connection(), id, app.licences(), now);
                // the pool as last stored may be older than the licences assigned since, so more held counts as well
                boolean moreLicences = app.licences().isPresent()
                        && (app.licences().get().total() > poolBefore.map(LicencePool::total).orElse(0L)
                        || app.licences().get().available() > poolBefore.map(LicencePool::available).orElse(0L));
                if (newVersion) {
                    newVersions++;
                    events.record(tx, Event.of("app.version_available", "kernel", Map.of("appId", id, "version", app.version().get())));
                }
                if (newVersion || moreLicences) {
                    // devices waiting for a licence, or keeping the app updated, have work again
                    retryFailed(tx, id, Optional.empty());
                    enqueueDevicesOf(tx, id);
                }
            }
            List<String> unlisted = store.markUnlisted(tx.connection(), storeId, listedIds, now);
            CatalogSync result = new CatalogSync(storeId, listed.size(), added, newVersions, unlisted.size(), Optional.empty());
            if (added > 0 || newVersions > 0 || !unlisted.isEmpty()) {
                audit.append(tx, new AuditRecord(RECONCILER, "app.sync", "app-store", storeId, Optional.empty(), Optional.of(json.write(result))));
            }
            events.record(tx, Event.of("app.catalog_synced", "kernel", Map.of("storeId", storeId, "listed", listed.size(),
                    "added", added, "newVersions", newVersions, "unlisted", unlisted.size())));
            return result;
        });
    }

    // ---- assignments ----

    /**
     * Assigns an app to a group, or changes the intent or configuration of its assignment. A configuration is
     * validated against the app's schema; the fields it marks {@code writeOnly} are sealed, and an admin leaving one
     * out of an edit keeps it.
     *
     * @throws IllegalArgumentException when the app or group does not exist, or the configuration does not fit
     */
    public AppAssignment assign(Actor actor, String appId, String groupId, AppIntent intent, Optional<JsonNode> configuration) {
        return assign(actor, appId, groupId, intent, configuration, Optional.empty());
    }

    /**
     * As {@link #assign(Actor, String, String, AppIntent, Optional)}, with the assignment's licence source.
     *
     * @param licenceSource who holds the devices' licences; empty keeps the assignment's (a new one: {@link LicenceKind#DEVICE})
     * @throws IllegalArgumentException also when the app's store cannot give that kind of licence
     * @throws AppConflictException when the app's store is not running, so the kinds it gives cannot be checked
     */
    public AppAssignment assign(Actor actor, String appId, String groupId, AppIntent intent, Optional<JsonNode> configuration,
                                Optional<LicenceKind> licenceSource) {
        requireNonNull(actor, "actor is null");
        requireNonNull(intent, "intent is null");
        requireNonNull(configuration, "configuration is null");
        requireNonNull(licenceSource, "licenceSource is null");
        if (licenceSource.isPresent() && licenceSource.get() != LicenceKind.DEVICE) {
            requireLicenceKind(appId, licenceSource.get());
        }
        return transactions.inTransaction("assign an app", tx -> {
            CatalogApp app = store.find(tx.connection(), appId).orElseThrow(() -> new IllegalArgumentException("no app " + appId));
            if (groups.get(groupId).isEmpty()) {
                throw new IllegalArgumentException("no group " + groupId);
            }
            Optional<AppCatalogStore.StoredAssignment> before = store.assignment(tx.connection(), appId, groupId);
            Optional<String> sealed = sealedConfiguration(app, intent, configuration, before.flatMap(AppCatalogStore.StoredAssignment::configuration));
            Instant now = clock.instant();
            LicenceKind source = licenceSource.or(() -> before.map(AppCatalogStore.StoredAssignment::licenceSource)).orElse(LicenceKind.DEVICE);
            store.writeAssignment(tx.connection(), appId, groupId, intent, sealed, source, actor.toString(), now, before.isPresent());
            store.markUserLicencesDue(tx.connection(), Optional.empty(), Optional.of(appId));
            AppAssignment after = shown(app, store.assignment(tx.connection(), appId, groupId).orElseThrow());
            audit.append(tx, new AuditRecord(actor, "app.assign", "app", appId, before.map(stored -> json.write(shown(app, stored))),
                    Optional.of(json.write(after))));
            events.record(tx, Event.of("app.assigned", "kernel", Map.of("appId", appId, "groupId", groupId, "intent", intent.name())));
            retryFailed(tx, appId, Optional.of(groupId));
            queue.enqueueAll(tx, "SELECT m.device_id FROM group_member m WHERE m.group_id = ?", List.of(groupId));
            return after;
        });
    }

    /** @return false when the app was not assigned to the group */
    public boolean unassign(Actor actor, String appId, String groupId) {
        return transactions.inTransaction("unassign an app", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            Optional<AppCatalogStore.StoredAssignment> before = store.assignment(tx.connection(), appId, groupId);
            if (app.isEmpty() || before.isEmpty()) {
                return false;
            }
            queue.enqueueAll(tx, "SELECT m.device_id FROM group_member m WHERE m.group_id = ?", List.of(groupId));
            store.deleteAssignment(tx.connection(), appId, groupId);
            store.markUserLicencesDue(tx.connection(), Optional.empty(), Optional.of(appId));
            audit.append(tx, new AuditRecord(actor, "app.unassign", "app", appId, Optional.of(json.write(shown(app.get(), before.get()))),
                    Optional.empty()));
            events.record(tx, Event.of("app.unassigned", "kernel", Map.of("appId", appId, "groupId", groupId)));
            return true;
        });
    }

    /** Refuses a licence source the app's store cannot give, asking the store outside any transaction. */
    private void requireLicenceKind(String appId, LicenceKind kind) {
        CatalogApp app = get(appId).orElseThrow(() -> new IllegalArgumentException("no app " + appId));
        Set<LicenceKind> kinds;
        try {
            kinds = stores.call(app.storeId(), "AppStoreConnector.licenceKinds", AppStoreConnector::licenceKinds);
        } catch (AppStoreException e) {
            throw new AppConflictException("Store " + app.storeId() + " cannot be asked whether it gives " + kind.name().toLowerCase(Locale.ROOT)
                    + " licences now (" + e.getMessage() + "); try again when it runs.");
        }
        if (kinds == null || !kinds.contains(kind)) {
            throw new IllegalArgumentException("store " + app.storeId() + " cannot give " + kind.name().toLowerCase(Locale.ROOT)
                    + " licences; it gives " + (kinds == null ? "none" : kinds.stream().map(k -> k.name().toLowerCase(Locale.ROOT)).sorted().toList()));
        }
    }

    /** @return an app's assignments, their configurations without secret fields */
    public List<AppAssignment> assignments(String appId) {
        return transactions.inTransaction("read an app's assignments", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            if (app.isEmpty()) {
                return List.of();
            }
            return store.assignments(tx.connection(), appId).stream().map(stored -> shown(app.get(), stored)).toList();
        });
    }

    // ---- staged rollouts ----

    /**
     * Stages an app's updates: from now on a new catalog version reaches the devices of the pilot group first, and
     * every other device is kept at the version the catalog names now until {@link #promoteRollout} releases a newer
     * one. Starting it again changes the pilot group.
     *
     * @throws IllegalArgumentException when the app or group does not exist
     */
    public AppRollout startRollout(Actor actor, String appId, String pilotGroupId) {
        requireNonNull(actor, "actor is null");
        requireNonNull(pilotGroupId, "pilotGroupId is null");
        return transactions.inTransaction("stage an app's updates", tx -> {
            CatalogApp app = store.find(tx.connection(), appId).orElseThrow(() -> new IllegalArgumentException("no app " + appId));
            if (groups.get(pilotGroupId).isEmpty()) {
                throw new IllegalArgumentException("no group " + pilotGroupId);
            }
            Optional<AppRolloutStore.StoredRollout> before = rollouts.find(tx.connection(), appId);
            if (before.isPresent()) {
                rollouts.changePilot(tx.connection(), appId, pilotGroupId);
            } else {
                rollouts.insert(tx.connection(), new AppRolloutStore.StoredRollout(appId, pilotGroupId, app.version(), actor.toString(),
                        clock.instant(), Optional.empty()));
            }
            AppRollout after = rollout(tx, app).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "app.rollout_start", "app", appId, before.map(json::write), Optional.of(json.write(after))));
            events.record(tx, Event.of("app.rollout_started", "kernel", Map.of("appId", appId, "pilotGroupId", pilotGroupId)));
            enqueueDevicesOf(tx, appId);
            return after;
        });
    }

    /**
     * Releases the catalog's newest version of a staged app to every device that must keep it.
     *
     * @return empty when the app's updates are not staged
     */
    public Optional<AppRollout> promoteRollout(Actor actor, String appId) {
        requireNonNull(actor, "actor is null");
        return transactions.inTransaction("promote an app's update", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            Optional<AppRollout> before = app.isEmpty() ? Optional.empty() : rollout(tx, app.get());
            if (before.isEmpty()) {
                return Optional.<AppRollout>empty();
            }
            rollouts.release(tx.connection(), appId, app.get().version(), clock.instant());
            AppRollout after = rollout(tx, app.get()).orElseThrow();
            audit.append(tx, new AuditRecord(actor, "app.rollout_promote", "app", appId, Optional.of(json.write(before.get())),
                    Optional.of(json.write(after))));
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("appId", appId);
            app.get().version().ifPresent(version -> event.put("version", version));
            events.record(tx, Event.of("app.rollout_promoted", "kernel", event));
            enqueueDevicesOf(tx, appId);
            return Optional.of(after);
        });
    }

    /**
     * Ends the staging of an app's updates: every device follows the catalog's newest version again.
     *
     * @return false when the app's updates were not staged
     */
    public boolean endRollout(Actor actor, String appId) {
        requireNonNull(actor, "actor is null");
        return transactions.inTransaction("end an app's staged rollout", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            Optional<AppRollout> before = app.isEmpty() ? Optional.empty() : rollout(tx, app.get());
            if (before.isEmpty() || !rollouts.delete(tx.connection(), appId)) {
                return false;
            }
            audit.append(tx, new AuditRecord(actor, "app.rollout_end", "app", appId, Optional.of(json.write(before.get())), Optional.empty()));
            events.record(tx, Event.of("app.rollout_ended", "kernel", Map.of("appId", appId)));
            enqueueDevicesOf(tx, appId);
            return true;
        });
    }

    /** @return an app's staged rollout with its progress, empty when its updates are not staged */
    public Optional<AppRollout> rollout(String appId) {
        return transactions.inTransaction("read an app's rollout", tx -> {
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            return app.isEmpty() ? Optional.<AppRollout>empty() : rollout(tx, app.get());
        });
    }

    private Optional<AppRollout> rollout(Tx tx, CatalogApp app) throws SQLException {
        Optional<AppRolloutStore.StoredRollout> stored = rollouts.find(tx.connection(), app.id());
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        long[] pilot = new long[3];
        long[] others = new long[3];
        rollouts.required(tx.connection(), app.id(), stored.get().pilotGroupId(), (inPilot, state, installed) -> {
            long[] counts = inPilot ? pilot : others;
            counts[0]++;
            if (installed.isPresent() && app.version().map(newest -> !older(installed.get(), newest)).orElse(true)) {
                counts[1]++;
            }
            if (AppInstallState.FAILED.name().equals(state)) {
                counts[2]++;
            }
        });
        AppRolloutStore.StoredRollout rollout = stored.get();
        return Optional.of(new AppRollout(app.id(), rollout.pilotGroupId(), app.version(), rollout.releasedVersion(),
                new AppRollout.Stage(pilot[0], pilot[1], pilot[2]), new AppRollout.Stage(others[0], others[1], others[2]),
                rollout.startedBy(), rollout.startedAt(), rollout.promotedAt()));
    }

    /**
     * The version a device must keep an app at: the catalog's newest, unless the app's updates are staged and the
     * device is outside the pilot group; then the released version (none: no update for it yet).
     */
    private Optional<String> wantedVersion(Tx tx, CatalogApp app, DeviceId device) throws SQLException {
        if (app.version().isEmpty()) {
            return Optional.empty();
        }
        Optional<AppRolloutStore.StoredRollout> rollout = rollouts.find(tx.connection(), app.id());
        if (rollout.isEmpty() || rollouts.inGroup(tx.connection(), rollout.get().pilotGroupId(), device)) {
            return app.version();
        }
        return rollout.get().releasedVersion();
    }

    private void enqueueDevicesOf(Tx tx, String appId) throws SQLException {
        for (DeviceId device : store.devicesWithState(tx.connection(), appId)) {
            queue.enqueue(tx, device);
        }
    }

    // ---- per-device state, licences, inventory ----

    public List<DeviceAppState> deviceStates(String appId, int limit) {
        int bounded = Math.max(1, Math.min(limit, MAX_PAGE));
        return transactions.inTransaction("read an app's devices", tx -> store.statesOfApp(tx.connection(), appId, bounded));
    }

    /**
     * The names devices go by in the console (their name, else their serial number), for lists of states that name
     * devices by id. A device that no longer exists has no entry.
     */
    public Map<String, String> deviceNames(Collection<String> deviceIds) {
        requireNonNull(deviceIds, "deviceIds is null");
        if (deviceIds.isEmpty()) {
            return Map.of();
        }
        List<DeviceId> ids = deviceIds.stream().distinct().map(DeviceId::parse).toList();
        return transactions.inTransaction("read the names of an app's devices", tx -> {
            Map<String, String> names = new HashMap<>();
            devices.getAll(tx, ids).forEach((id, record) -> {
                Device device = record.device();
                String name = !device.name().isBlank() ? device.name() : device.serialNumber();
                if (!name.isBlank()) {
                    names.put(id.toString(), name);
                }
            });
            return names;
        });
    }

    public List<DeviceAppState> appsOf(DeviceId device) {
        return transactions.inTransaction("read a device's apps", tx -> List.copyOf(store.states(tx.connection(), device).values()));
    }

    /**
     * Where a device stands with each app its assignments require (apps of its platform only), by app id: empty for
     * an app the kernel has not planned for the device yet. Apps only offered, or to be removed, are not named.
     */
    public Map<String, Optional<AppInstallState>> requiredStates(DeviceId deviceId) {
        requireNonNull(deviceId, "deviceId is null");
        return transactions.inTransaction("read the required apps of a device", tx -> {
            Optional<DeviceRecord> record = devices.get(tx, deviceId);
            if (record.isEmpty()) {
                return Map.of();
            }
            Map<String, DeviceAppState> states = store.states(tx.connection(), deviceId);
            Map<String, Optional<AppInstallState>> required = new LinkedHashMap<>();
            for (AppCatalogStore.Reach reach : merged(store.reaching(tx.connection(), deviceId)).values()) {
                if (reach.intent() != AppIntent.REQUIRED) {
                    continue;
                }
                Optional<CatalogApp> app = store.find(tx.connection(), reach.appId());
                if (app.isPresent() && app.get().platform().equals(record.get().device().platform())) {
                    required.put(reach.appId(), Optional.ofNullable(states.get(reach.appId()))
                            .filter(state -> state.intent() == AppIntent.REQUIRED).map(DeviceAppState::state));
                }
            }
            return required;
        });
    }

    /**
     * The apps a device's assignments offer its user, by name: AVAILABLE ones, which they may install from the
     * self-service portal, and REQUIRED ones, shown with their state; never UNINSTALL ones.
     */
    public List<OfferedApp> offeredTo(DeviceId deviceId) {
        return transactions.inTransaction("read the apps offered to a device", tx -> {
            Optional<DeviceRecord> record = devices.get(tx, deviceId);
            if (record.isEmpty()) {
                return List.of();
            }
            Map<String, DeviceAppState> states = store.states(tx.connection(), deviceId);
            List<OfferedApp> offered = new ArrayList<>();
            for (AppCatalogStore.Reach reach : merged(store.reaching(tx.connection(), deviceId)).values()) {
                Optional<CatalogApp> app = store.find(tx.connection(), reach.appId());
                if (reach.intent() != AppIntent.UNINSTALL && app.isPresent() && app.get().platform().equals(record.get().device().platform())) {
                    offered.add(new OfferedApp(app.get(), reach.intent(),
                            Optional.ofNullable(states.get(reach.appId())).filter(state -> state.intent() == reach.intent())));
                }
            }
            offered.sort(Comparator.comparing((OfferedApp app) -> app.app().name().toLowerCase(Locale.ROOT)).thenComparing(app -> app.app().id()));
            return offered;
        });
    }

    /**
     * Records that a device's user asked, in the self-service portal, to install (or reinstall) an app their device's
     * assignments offer as AVAILABLE: its state becomes PENDING with the user's mark, and the reconciler takes a
     * licence and queues {@code INSTALL_APP} as for a REQUIRED app. Audited as {@code app.self_service_install}, the
     * user being the actor.
     *
     * @param userId the directory user asking
     * @return the device's state of the app; empty when the device is not the user's (or no longer managed), or the
     *         app is not AVAILABLE to it
     * @throws AppConflictException while the app is being installed on the device already
     */
    public Optional<DeviceAppState> requestInstall(String userId, DeviceId deviceId, String appId) {
        requireNonNull(userId, "userId is null");
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(appId, "appId is null");
        return transactions.inTransaction("request an app's installation", tx -> {
            Optional<DeviceRecord> record = devices.get(tx, deviceId);
            if (record.isEmpty() || !record.get().device().userId().equals(Optional.of(userId)) || ended(record.get().device().status())) {
                return Optional.<DeviceAppState>empty();
            }
            AppCatalogStore.Reach reach = merged(store.reaching(tx.connection(), deviceId)).get(appId);
            Optional<CatalogApp> app = store.find(tx.connection(), appId);
            if (reach == null || reach.intent() != AppIntent.AVAILABLE || app.isEmpty()
                    || !app.get().platform().equals(record.get().device().platform())) {
                return Optional.<DeviceAppState>empty();
            }
            DeviceAppState state = store.states(tx.connection(), deviceId).get(appId);
            DeviceAppState current = state != null && state.intent() == AppIntent.AVAILABLE ? state : null;
            if (current != null && current.state() == AppInstallState.INSTALLING) {
                throw new AppConflictException(app.get().name() + " is being installed on this device already.");
            }
            write(tx, deviceId, app.get(), state, AppIntent.AVAILABLE, AppInstallState.PENDING,
                    current == null ? Optional.empty() : current.installedVersion(), Optional.empty(),
                    current == null ? Optional.empty() : current.commandId(), clock.instant());
            store.markRequested(tx.connection(), deviceId, appId, Optional.of(userId));
            audit.append(tx, new AuditRecord(Actor.user(userId), "app.self_service_install", "device", deviceId.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("appId", appId)))));
            queue.enqueue(tx, deviceId);
            return Optional.ofNullable(store.states(tx.connection(), deviceId).get(appId));
        });
    }

    /** @return an app's licences: the devices' ones, then the users' ones */
    public List<AppLicence> licences(String appId) {
        return transactions.inTransaction("read an app's licences", tx -> {
            List<AppLicence> licences = new ArrayList<>(store.licences(tx.connection(), appId));
            for (AppCatalogStore.UserLicence licence : store.userLicences(tx.connection(), appId)) {
                licences.add(new AppLicence(licence.appId(), licence.deviceId(), licence.reference(), licence.assignedAt(), LicenceKind.USER,
                        Optional.of(licence.userId())));
            }
            return licences;
        });
    }

    /** @return the apps a device reports, identifier to version */
    public Map<String, String> installed(DeviceId device) {
        return transactions.inTransaction("read a device's installed apps", tx -> installed(tx, device));
    }

    /** @return the apps a device reports, identifier to version, as the fleet app inventory holds them in this transaction */
    public Map<String, String> installed(Tx tx, DeviceId device) throws SQLException {
        return store.installed(tx.connection(), device);
    }

    /**
     * The devices reporting an app, fleet-wide, optionally only below a version, in device-id order.
     *
     * @param afterDevice the last device of the previous page
     */
    public List<InstalledApp> reporting(String identifier, Optional<String> versionBelow, Optional<String> afterDevice, int limit) {
        if (identifier == null || identifier.isBlank()) {
            throw new IllegalArgumentException("identifier is required");
        }
        if (versionBelow.isPresent() && OsVersion.key(versionBelow.get()).isEmpty()) {
            throw new IllegalArgumentException("versionBelow must contain a number, such as 2.4.1");
        }
        int bounded = Math.max(1, Math.min(limit, MAX_PAGE));
        return transactions.inTransaction("search the app inventory", tx -> store.reporting(tx.connection(), identifier, versionBelow,
                afterDevice, bounded));
    }

    // ---- reconciliation ----

    /** Reconciles the queued devices until the queue is empty or the slice has passed. */
    public int reconcilePending(Duration slice) {
        int reconciled = queue.drain(this::reconcile, slice);
        reclaimUserLicences();
        return reconciled;
    }

    /** @see #reconcilePending(Duration) */
    public int reconcilePending() {
        return reconcilePending(DeviceWorkQueue.UNTIL_EMPTY);
    }

    /** Queues the devices whose apps wait for a store that could not answer, so they are tried again. */
    public void retryWaiting() {
        transactions.inTransaction("queue devices waiting for a store", tx -> {
            for (DeviceId device : store.devicesWaiting(tx.connection())) {
                queue.enqueue(tx, device);
            }
            return null;
        });
    }

    /**
     * Gives back the user licences that no device needs any more, among those a change marked for a check (see the
     * class comment). Stores are called outside transactions; a store that cannot answer keeps the licence, which is
     * checked again at the next catalog sync.
     *
     * @return how many licences were given back
     */
    public int reclaimUserLicences() {
        List<Reclaim> unneeded = transactions.inTransaction("find user licences no device needs", tx -> {
            List<Reclaim> found = new ArrayList<>();
            for (AppCatalogStore.UserLicence licence : store.userLicencesDue(tx.connection(), RECLAIM_BATCH)) {
                Optional<CatalogApp> app = store.find(tx.connection(), licence.appId());
                if (app.isPresent() && !neededByUser(tx, app.get(), licence.userId())) {
                    found.add(new Reclaim(app.get(), licence, store.licenceUser(tx.connection(), licence.userId())));
                }
                store.clearUserLicenceDue(tx.connection(), licence.appId(), licence.userId());
            }
            return found;
        });
        int reclaimed = 0;
        for (Reclaim reclaim : unneeded) {
            CatalogApp app = reclaim.app();
            AppCatalogStore.UserLicence licence = reclaim.licence();
            // a user since removed from the directory is still named to the store by their id
            LicenceUser user = reclaim.user().orElseGet(() -> new LicenceUser(licence.userId(), Optional.empty(), licence.userId()));
            LicenceRequest request = new LicenceRequest(app.storeAppId(), DeviceId.parse(licence.deviceId()), app.platform(), Optional.empty(),
                    Optional.of(licence.userId()), LicenceKind.USER, Optional.of(user));
            try {
                stores.call(app.storeId(), "AppStoreConnector.revokeLicence", connector -> {
                    connector.revokeLicence(request);
                    return null;
                });
            } catch (AppStoreException e) {
                log.warn("Giving back the user licence of app {} for user {} failed; tried again at the next sync: {}", app.id(),
                        licence.userId(), e.getMessage());
                continue;
            }
            transactions.inTransaction("record a user licence given back", tx -> {
                store.deleteUserLicence(tx.connection(), app.id(), licence.userId());
                audit.append(tx, new AuditRecord(RECONCILER, "app.user_licence_revoke", "app", app.id(), Optional.empty(),
                        Optional.of(json.write(Map.of("userId", licence.userId())))));
                return null;
            });
            reclaimed++;
        }
        return reclaimed;
    }

    /**
     * Whether an active device of the user is reached by a REQUIRED assignment of the app with user licences, or by an
     * AVAILABLE one that installed it (or is installing it). A device whose assignment switched to device licences
     * still counts until it holds a device licence of the app, so switching never takes the app from under it.
     */
    private boolean neededByUser(Tx tx, CatalogApp app, String userId) throws SQLException {
        for (DeviceId id : store.devicesOfUser(tx.connection(), userId)) {
            Optional<DeviceRecord> record = devices.get(tx, id);
            if (record.isEmpty() || ended(record.get().device().status()) || !record.get().device().platform().equals(app.platform())) {
                continue;
            }
            AppCatalogStore.Reach reach = merged(store.reaching(tx.connection(), id)).get(app.id());
            if (reach == null || reach.licenceSource() != LicenceKind.USER
                    && store.licencesOfDevice(tx.connection(), id).stream().anyMatch(licence -> licence.appId().equals(app.id()))) {
                continue;
            }
            if (reach.intent() == AppIntent.REQUIRED) {
                return true;
            }
            DeviceAppState state = store.states(tx.connection(), id).get(app.id());
            if (reach.intent() == AppIntent.AVAILABLE && state != null && (state.state() == AppInstallState.INSTALLED
                    || state.state() == AppInstallState.INSTALLING || state.state() == AppInstallState.PENDING)) {
                return true;
            }
        }
        return false;
    }

    private void markUserLicencesDue(Tx tx, String userId) throws SQLException {
        store.markUserLicencesDue(tx.connection(), Optional.of(userId), Optional.empty());
    }

    private void markAllUserLicencesDue() {
        transactions.inTransaction("check every user licence", tx -> {
            store.markUserLicencesDue(tx.connection(), Optional.empty(), Optional.empty());
            return null;
        });
    }

    /** A user licence no device needs, with the user's details as the directory has them now. */
    private record Reclaim(CatalogApp app, AppCatalogStore.UserLicence licence, Optional<LicenceUser> user) {
    }

    /** What reconciling one app on one device needs from its store. */
    private enum Step { INSTALL, UPDATE, OFFER, REMOVE, REVOKE }

    /**
     * One app's planned work, decided from a consistent read, carried out against its store outside the transaction.
     *
     * @param requestedByUser an AVAILABLE app's installation the device's user asked for in the portal
     */
    private record Plan(CatalogApp app, Step step, Optional<String> configuration, boolean requestedByUser, Optional<UserLicensing> userLicensing) {
        Plan(CatalogApp app, Step step, Optional<String> configuration) {
            this(app, step, configuration, false, Optional.empty());
        }
    }

    /**
     * An installation licensed to the device's user.
     *
     * @param held whether the kernel holds the user's licence already (then the store is not asked again)
     */
    private record UserLicensing(LicenceUser user, boolean held) {
    }

    /** What a store answered for one plan. */
    private record Outcome(Plan plan, Optional<LicenceOutcome> licence, Optional<Map<String, Object>> parameters,
                           Optional<String> failure, boolean retryable) {
    }

    /**
     * Reconciles one device: reads what it should have and what it has, asks the stores for licences and
     * installations outside any transaction, then queues the commands and records the states.
     */
    public void reconcile(DeviceId deviceId) {
        List<Plan> plans = transactions.inTransaction("plan a device's apps", tx -> plan(tx, deviceId));
        if (plans.isEmpty()) {
            transactions.inTransaction("finish a device's apps", tx -> {
                queue.dequeue(tx, deviceId);
                return null;
            });
            return;
        }
        Optional<DeviceRecord> record = devices.get(deviceId);
        if (record.isEmpty()) {
            transactions.inTransaction("finish a device's apps", tx -> {
                queue.dequeue(tx, deviceId);
                return null;
            });
            return;
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Plan plan : plans) {
            outcomes.add(carryOut(plan, record.get().device()));
        }
        transactions.inTransaction("record a device's apps", tx -> {
            record(tx, deviceId, outcomes);
            queue.dequeue(tx, deviceId);
            return null;
        });
    }

    private List<Plan> plan(Tx tx, DeviceId deviceId) throws SQLException {
        Optional<DeviceRecord> record = devices.get(tx, deviceId);
        if (record.isEmpty()) {
            return List.of();
        }
        Device device = record.get().device();
        Map<String, DeviceAppState> states = store.states(tx.connection(), deviceId);
        Instant now = clock.instant();
        List<Plan> plans = new ArrayList<>();
        if (ended(device.status())) {
            for (DeviceAppState state : states.values()) {
                if (state.state() != AppInstallState.REMOVED) {
                    store.writeState(tx.connection(), changed(state, state.intent(), AppInstallState.REMOVED, state.installedVersion(),
                            Optional.of("management of the device ended"), state.commandId(), now), true);
                }
            }
            for (AppLicence licence : store.licencesOfDevice(tx.connection(), deviceId)) {
                store.find(tx.connection(), licence.appId()).ifPresent(app -> plans.add(new Plan(app, Step.REVOKE, Optional.empty())));
            }
            return plans;
        }
        Map<String, AppCatalogStore.Reach> desired = merged(store.reaching(tx.connection(), deviceId));
        Map<String, String> installed = store.installed(tx.connection(), deviceId);
        Set<String> licensed = new HashSet<>();
        store.licencesOfDevice(tx.connection(), deviceId).forEach(licence -> licensed.add(licence.appId()));
        Set<String> requested = store.requested(tx.connection(), deviceId);
        Set<String> appIds = new HashSet<>(desired.keySet());
        appIds.addAll(states.keySet());
        for (String appId : appIds) {
            Optional<CatalogApp> found = store.find(tx.connection(), appId);
            AppCatalogStore.Reach reach = desired.get(appId);
            DeviceAppState state = states.get(appId);
            if (found.isEmpty() || reach == null || !found.get().platform().equals(device.platform())) {
                if (state != null) {
                    store.deleteState(tx.connection(), deviceId.toString(), appId); // no longer assigned: forgotten, the app stays
                }
                continue;
            }
            CatalogApp app = found.get();
            // a state from another intent says nothing about this one
            DeviceAppState current = state != null && state.intent() == reach.intent() ? state : null;
            String version = installed.get(app.identifier());
            switch (reach.intent()) {
                case AVAILABLE -> {
                    boolean inFlight = current != null && current.state() == AppInstallState.INSTALLING;
                    // a failure stays visible to the user until the app shows up or they ask again
                    boolean failed = current != null && current.state() == AppInstallState.FAILED && version == null;
                    // a command for this AVAILABLE state (an offer, or the user's request) has put the app in the device's store
                    boolean offered = current != null && current.commandId().isPresent();
                    if (requested.contains(appId) && !inFlight) {
                        // the device's user asked for it in the portal: licensed and installed as a REQUIRED app is, once
                        // (whatever an inventory report made of the state since the request)
                        installPlan(tx, device, app, Step.INSTALL, reach, true, state, now).ifPresent(plans::add);
                    } else if (!offered && !inFlight && !failed && offersApps.test(device.platform())) {
                        plans.add(new Plan(app, Step.OFFER, reach.configuration()));
                    } else if (!inFlight && !failed) {
                        AppInstallState target = version != null ? AppInstallState.INSTALLED : AppInstallState.REMOVED;
                        if (current == null || current.state() != target || !current.installedVersion().equals(Optional.ofNullable(version))) {
                            write(tx, deviceId, app, state, reach.intent(), target, Optional.ofNullable(version), Optional.empty(),
                                    current == null ? Optional.empty() : current.commandId(), now);
                        }
                    }
                }
                case REQUIRED -> {
                    boolean inFlight = current != null && current.state() == AppInstallState.INSTALLING;
                    boolean failed = current != null && current.state() == AppInstallState.FAILED;
                    if (version != null) {
                        Optional<String> wanted = wantedVersion(tx, app, deviceId);
                        boolean outdated = wanted.isPresent() && older(version, wanted.get());
                        if (outdated && !inFlight && !failed) {
                            installPlan(tx, device, app, Step.UPDATE, reach, false, state, now).ifPresent(plans::add);
                        } else if (!inFlight && (current == null || current.state() != AppInstallState.INSTALLED
                                || !current.installedVersion().equals(Optional.of(version)))) {
                            write(tx, deviceId, app, state, reach.intent(), failed && outdated ? AppInstallState.FAILED : AppInstallState.INSTALLED,
                                    Optional.of(version), failed && outdated ? current.reason() : Optional.empty(),
                                    current == null ? Optional.empty() : current.commandId(), now);
                        }
                    } else if (!inFlight && !failed) {
                        installPlan(tx, device, app, Step.INSTALL, reach, false, state, now).ifPresent(plans::add);
                    }
                }
                case UNINSTALL -> {
                    boolean removing = current != null && current.commandId().isPresent()
                            && (current.state() == AppInstallState.PENDING || current.state() == AppInstallState.REMOVED
                            || current.state() == AppInstallState.FAILED);
                    // gone from the inventory, or the device acknowledged its removal (its next report will show it gone)
                    boolean removed = version == null || current != null && current.state() == AppInstallState.REMOVED;
                    // an app offered in the device's store and never installed stays offered until it is removed there too
                    boolean offeredBefore = state != null && state.intent() == AppIntent.AVAILABLE && state.commandId().isPresent()
                            && offersApps.test(device.platform());
                    if ((version != null || offeredBefore) && !removing) {
                        plans.add(new Plan(app, Step.REMOVE, Optional.empty()));
                    } else if (version == null && (current == null || current.state() != AppInstallState.REMOVED)) {
                        write(tx, deviceId, app, state, reach.intent(), AppInstallState.REMOVED, Optional.empty(), Optional.empty(),
                                current == null ? Optional.empty() : current.commandId(), now);
                    }
                    if (removed && licensed.contains(appId)) {
                        plans.add(new Plan(app, Step.REVOKE, Optional.empty()));
                    }
                    if (removed && device.userId().isPresent()) {
                        store.markUserLicencesDue(tx.connection(), device.userId(), Optional.of(appId)); // the user may not need it any more
                    }
                }
            }
        }
        return plans;
    }

    /**
     * The plan to install or update an app, licensed as the assignment that reaches the device says; empty when the
     * assignment gives user licences and the device has no user, which leaves the device FAILED with that reason.
     */
    private Optional<Plan> installPlan(Tx tx, Device device, CatalogApp app, Step step, AppCatalogStore.Reach reach, boolean requestedByUser,
                                       DeviceAppState state, Instant now) throws SQLException {
        if (!app.licensed() || reach.licenceSource() != LicenceKind.USER) {
            return Optional.of(new Plan(app, step, reach.configuration(), requestedByUser, Optional.empty()));
        }
        Optional<LicenceUser> user = device.userId().isEmpty() ? Optional.empty() : store.licenceUser(tx.connection(), device.userId().get());
        if (user.isEmpty()) {
            write(tx, device.id(), app, state, reach.intent(), AppInstallState.FAILED, state == null ? Optional.empty() : state.installedVersion(),
                    Optional.of(NO_USER_FOR_LICENCE), Optional.empty(), now);
            if (requestedByUser) {
                store.markRequested(tx.connection(), device.id(), app.id(), Optional.empty());
            }
            return Optional.empty();
        }
        boolean held = store.userLicence(tx.connection(), app.id(), user.get().id()).isPresent();
        return Optional.of(new Plan(app, step, reach.configuration(), requestedByUser, Optional.of(new UserLicensing(user.get(), held))));
    }

    /** Asks the app's store what this plan needs; never throws, so one store's failure stays with its app. */
    private Outcome carryOut(Plan plan, Device device) {
        CatalogApp app = plan.app();
        String storeId = app.storeId();
        // a licence the store assigned is recorded even when the installation then fails, so it is reclaimed
        Optional<LicenceOutcome> licence = Optional.empty();
        try {
            LicenceRequest request = plan.userLicensing().isPresent()
                    ? LicenceRequest.forUser(app.storeAppId(), device, plan.userLicensing().get().user())
                    : LicenceRequest.forDevice(app.storeAppId(), device);
            switch (plan.step()) {
                case REVOKE -> {
                    stores.call(storeId, "AppStoreConnector.revokeLicence", connector -> {
                        connector.revokeLicence(request);
                        return null;
                    });
                    return new Outcome(plan, Optional.empty(), Optional.empty(), Optional.empty(), false);
                }
                case REMOVE -> {
                    Map<String, Object> parameters = removalParameters(app, device);
                    return new Outcome(plan, Optional.empty(), Optional.of(parameters), Optional.empty(), false);
                }
                case INSTALL, UPDATE, OFFER -> {
                    // an offer takes no licence: the stores that offer apps in the device's own store (managed Google Play)
                    // license none; a user licence the kernel holds covers this device too
                    boolean licenceHeld = plan.userLicensing().map(UserLicensing::held).orElse(false);
                    if (app.licensed() && plan.step() != Step.OFFER && !licenceHeld) {
                        LicenceOutcome answer = stores.call(storeId, "AppStoreConnector.assignLicence", connector -> connector.assignLicence(request));
                        if (answer == null) {
                            throw new AppStoreException("Store " + storeId + " gave no answer about the licence.");
                        }
                        licence = Optional.of(answer);
                        if (!answer.permitsInstall()) {
                            return new Outcome(plan, licence, Optional.empty(), answer.failure(), false);
                        }
                    }
                    StoreApp storeApp = app.toStoreApp();
                    AppInstallation installation = stores.call(storeId, "AppStoreConnector.installation",
                            connector -> connector.installation(storeApp, device));
                    if (installation == null) {
                        throw new AppStoreException("Store " + storeId + " did not say how to install " + app.name() + ".");
                    }
                    Map<String, Object> parameters = new LinkedHashMap<>(installation.toParameters());
                    parameters.put(AppInstallation.STORE_ID, storeId);
                    if (plan.configuration().isPresent()) {
                        parameters.put(AppInstallation.CONFIGURATION, json.mapper().readValue(plan.configuration().get(), OBJECT));
                    }
                    if (plan.step() == Step.OFFER) {
                        parameters.put(AppInstallation.OFFER, true);
                    }
                    return new Outcome(plan, licence, Optional.of(parameters), Optional.empty(), false);
                }
                default -> throw new IllegalStateException("unknown step " + plan.step());
            }
        } catch (AppStoreException e) {
            return new Outcome(plan, licence, Optional.empty(), Optional.of(e.getMessage()), e.retryable());
        } catch (JsonProcessingException | RuntimeException e) {
            log.warn("Reconciling app {} on device {} failed: {}", app.id(), device.id(), e.getMessage());
            return new Outcome(plan, licence, Optional.empty(), Optional.of("the store's answer was unusable: " + e.getMessage()), false);
        }
    }

    /** The canonical removal parameters from the store's installation, or the identifier alone when it cannot say. */
    private Map<String, Object> removalParameters(CatalogApp app, Device device) {
        Map<String, Object> parameters;
        try {
            StoreApp storeApp = app.toStoreApp();
            AppInstallation installation = stores.call(app.storeId(), "AppStoreConnector.installation",
                    connector -> connector.installation(storeApp, device));
            parameters = installation == null ? Map.of(AppInstallation.IDENTIFIER, app.identifier()) : installation.toRemovalParameters();
        } catch (AppStoreException e) {
            parameters = Map.of(AppInstallation.IDENTIFIER, app.identifier());
        }
        Map<String, Object> withStore = new LinkedHashMap<>(parameters);
        withStore.put(AppInstallation.STORE_ID, app.storeId());
        return withStore;
    }

    private void record(Tx tx, DeviceId deviceId, List<Outcome> outcomes) throws SQLException {
        Optional<DeviceRecord> record = devices.get(tx, deviceId);
        if (record.isEmpty()) {
            return;
        }
        Map<String, DeviceAppState> states = store.states(tx.connection(), deviceId);
        Instant now = clock.instant();
        for (Outcome outcome : outcomes) {
            CatalogApp app = outcome.plan().app();
            DeviceAppState state = states.get(app.id());
            AppIntent intent = switch (outcome.plan().step()) {
                case INSTALL, UPDATE -> outcome.plan().requestedByUser() ? AppIntent.AVAILABLE : AppIntent.REQUIRED;
                case OFFER -> AppIntent.AVAILABLE;
                case REMOVE -> AppIntent.UNINSTALL;
                case REVOKE -> state == null ? AppIntent.UNINSTALL : state.intent();
            };
            if (outcome.plan().requestedByUser() && !(outcome.failure().isPresent() && outcome.retryable())) {
                // the request is answered (queued, or refused for good); a store that may answer later keeps it
                store.markRequested(tx.connection(), deviceId, app.id(), Optional.empty());
            }
            if (outcome.licence().isPresent() && outcome.licence().get() instanceof LicenceOutcome.Assigned assigned) {
                if (outcome.plan().userLicensing().isPresent()) {
                    String userId = outcome.plan().userLicensing().get().user().id();
                    store.insertUserLicence(tx.connection(), app.id(), userId, deviceId, assigned.reference(), now);
                    audit.append(tx, new AuditRecord(RECONCILER, "app.user_licence_assign", "app", app.id(), Optional.empty(),
                            Optional.of(json.write(Map.of("userId", userId, "deviceId", deviceId.toString())))));
                } else {
                    store.insertLicence(tx.connection(), app.id(), deviceId, assigned.reference(), now);
                }
            }
            if (outcome.plan().step() == Step.REVOKE) {
                if (outcome.failure().isEmpty()) {
                    store.deleteLicence(tx.connection(), app.id(), deviceId);
                    audit.append(tx, new AuditRecord(RECONCILER, "app.licence_revoke", "device", deviceId.toString(), Optional.empty(),
                            Optional.of(json.write(Map.of("appId", app.id())))));
                } else {
                    log.warn("Giving back the licence of app {} for device {} failed; tried again later: {}", app.id(), deviceId,
                            outcome.failure().get());
                    if (state != null) {
                        write(tx, deviceId, app, state, state.intent(), state.state(), state.installedVersion(),
                                Optional.of("the licence could not be given back yet: " + outcome.failure().get()), state.commandId(), now);
                    }
                }
                continue;
            }
            if (outcome.failure().isPresent()) {
                // a store that may answer later leaves the device waiting (PENDING, tried again at the next sync); a refusal fails it
                AppInstallState failedState = outcome.retryable() ? AppInstallState.PENDING : AppInstallState.FAILED;
                write(tx, deviceId, app, state, intent, failedState, state == null ? Optional.empty() : state.installedVersion(),
                        outcome.failure(), Optional.empty(), now);
                continue;
            }
            CommandType type = switch (outcome.plan().step()) {
                case INSTALL, OFFER -> CommandType.INSTALL_APP;
                case UPDATE -> CommandType.UPDATE_APP;
                default -> CommandType.REMOVE_APP;
            };
            Map<String, Object> parameters = outcome.parameters().orElseThrow();
            IssueOutcome issued = commands.issueAll(tx, RECONCILER, record.get(),
                    List.of(new CommandRequest(type, parameters, 0, Optional.empty()))).get(0);
            if (issued instanceof IssueOutcome.Refused refused) {
                write(tx, deviceId, app, state, intent, AppInstallState.FAILED, state == null ? Optional.empty() : state.installedVersion(),
                        Optional.of(refused.reason()), Optional.empty(), now);
                continue;
            }
            String commandId = ((IssueOutcome.Queued) issued).command().command().id().toString();
            boolean offer = outcome.plan().step() == Step.OFFER;
            Optional<String> installed = offer ? Optional.ofNullable(store.installed(tx.connection(), deviceId).get(app.identifier()))
                    : state == null ? Optional.empty() : state.installedVersion();
            // an offer installs nothing: the app stays as the device reports it (REMOVED until the user installs it)
            AppInstallState next = type == CommandType.REMOVE_APP ? AppInstallState.PENDING
                    : offer ? (installed.isPresent() ? AppInstallState.INSTALLED : AppInstallState.REMOVED) : AppInstallState.INSTALLING;
            write(tx, deviceId, app, state, intent, next, installed, Optional.empty(), Optional.of(commandId), now);
            String action = offer ? "app.offer_app" : "app." + type.name().toLowerCase(Locale.ROOT);
            audit.append(tx, new AuditRecord(RECONCILER, action, "device", deviceId.toString(),
                    Optional.empty(), Optional.of(json.write(Map.of("appId", app.id(), "commandId", commandId)))));
        }
    }

    // ---- what devices say ----

    private void commandAnswered(Tx tx, CommandRecord command) throws SQLException {
        CommandType type = command.command().type();
        if (type != CommandType.INSTALL_APP && type != CommandType.UPDATE_APP && type != CommandType.REMOVE_APP) {
            return;
        }
        CommandState state = command.command().state();
        if (state == CommandState.NOT_NOW || state == CommandState.QUEUED || state == CommandState.SENT) {
            return;
        }
        Optional<DeviceAppState> found = store.stateByCommand(tx.connection(), command.command().id().toString());
        if (found.isEmpty()) {
            return;
        }
        DeviceAppState current = found.get();
        DeviceId device = command.command().deviceId();
        Instant now = clock.instant();
        AppInstallState next;
        Optional<String> reason;
        boolean offer = Boolean.TRUE.equals(command.command().parameters().get(AppInstallation.OFFER));
        if (state == CommandState.ACKNOWLEDGED && offer) {
            // offered in the device's store: whether the user installed it is the inventory's to say
            next = store.installed(tx.connection(), device).containsKey(current.identifier()) ? AppInstallState.INSTALLED
                    : AppInstallState.REMOVED;
            reason = Optional.empty();
        } else if (state == CommandState.ACKNOWLEDGED) {
            if (type == CommandType.REMOVE_APP) {
                next = AppInstallState.REMOVED;
                reason = Optional.empty();
                queue.enqueue(tx, device); // its licence goes back
            } else {
                String version = store.installed(tx.connection(), device).get(current.identifier());
                Optional<CatalogApp> app = store.find(tx.connection(), current.appId());
                Optional<String> wanted = app.isEmpty() ? Optional.empty() : wantedVersion(tx, app.get(), device);
                boolean upToDate = version != null && wanted.map(target -> !older(version, target)).orElse(true);
                next = upToDate ? AppInstallState.INSTALLED : AppInstallState.INSTALLING;
                reason = upToDate ? Optional.empty() : Optional.of(WAITING_FOR_INVENTORY);
            }
        } else {
            next = AppInstallState.FAILED;
            reason = state == CommandState.FAILED
                    ? command.errorReason().filter(text -> !text.isBlank()).or(() -> Optional.of("the device refused the command"))
                    : Optional.of("the command was " + state.name().toLowerCase(Locale.ROOT));
        }
        store.writeState(tx.connection(), changed(current, current.intent(), next, current.installedVersion(), reason,
                current.commandId(), now), true);
        events.record(tx, Event.of("app.state_changed", "kernel", Map.of("deviceId", device.toString(), "appId", current.appId(),
                "state", next.name())));
    }

    private void inventoryReported(Tx tx, DeviceId device, Map<String, String> report) throws SQLException {
        boolean aboutApps = report.isEmpty() || report.keySet().stream().anyMatch(key -> key.startsWith(APP_PREFIX));
        if (!aboutApps) {
            return;
        }
        Map<String, String> apps = new LinkedHashMap<>();
        devices.inventory(tx, device).forEach((key, value) -> {
            if (key.startsWith(APP_PREFIX) && key.length() > APP_PREFIX.length()) {
                apps.put(key.substring(APP_PREFIX.length()), value);
            }
        });
        Map<String, String> installed = store.replaceInstalled(tx.connection(), device, apps, clock.instant());
        Instant now = clock.instant();
        boolean work = false;
        for (DeviceAppState state : store.states(tx.connection(), device).values()) {
            String version = installed.get(state.identifier());
            switch (state.intent()) {
                case REQUIRED, AVAILABLE -> {
                    if (version != null) {
                        Optional<CatalogApp> app = store.find(tx.connection(), state.appId());
                        Optional<String> wanted = app.isEmpty() ? Optional.empty() : wantedVersion(tx, app.get(), device);
                        boolean updating = state.state() == AppInstallState.INSTALLING && wanted.map(target -> older(version, target)).orElse(false);
                        AppInstallState next = updating ? AppInstallState.INSTALLING : AppInstallState.INSTALLED;
                        if (state.state() != next || !state.installedVersion().equals(Optional.of(version))) {
                            store.writeState(tx.connection(), changed(state, state.intent(), next, Optional.of(version),
                                    updating ? Optional.of(WAITING_FOR_INVENTORY) : Optional.empty(), state.commandId(), now), true);
                            work |= !updating && state.intent() == AppIntent.REQUIRED;
                        }
                    } else if (state.state() == AppInstallState.INSTALLED) {
                        AppInstallState next = state.intent() == AppIntent.REQUIRED ? AppInstallState.PENDING : AppInstallState.REMOVED;
                        store.writeState(tx.connection(), changed(state, state.intent(), next, Optional.empty(),
                                Optional.of("the device no longer reports the app"), state.commandId(), now), true);
                        work |= next == AppInstallState.PENDING;
                    }
                }
                case UNINSTALL -> {
                    if (version == null && state.state() != AppInstallState.REMOVED) {
                        store.writeState(tx.connection(), changed(state, state.intent(), AppInstallState.REMOVED, Optional.empty(),
                                Optional.empty(), state.commandId(), now), true);
                        work = true;
                    } else if (version != null && state.state() == AppInstallState.REMOVED) {
                        // installed again after its removal: remove it again
                        store.writeState(tx.connection(), changed(state, state.intent(), AppInstallState.PENDING, Optional.of(version),
                                Optional.of("the device reports the app again"), Optional.empty(), now), true);
                        work = true;
                    }
                }
            }
        }
        if (work) {
            queue.enqueue(tx, device);
        }
    }

    /** The inventory prefix of installed apps: {@code app.<identifier>} = version, as the platform plugins report them. */
    public static final String APP_PREFIX = "app.";

    // ---- helpers ----

    private static boolean ended(DeviceStatus status) {
        return status == DeviceStatus.RETIRED || status == DeviceStatus.WIPED;
    }

    /** Whether an installed version is below the wanted one, compared number by number; unknown forms never are. */
    static boolean older(String installed, String wanted) {
        return OsVersion.below(installed, wanted);
    }

    /**
     * Merges the assignments reaching a device per app: the strongest intent wins; among equals, the first group. The
     * assignment kept gives the configuration and the licence source.
     */
    static Map<String, AppCatalogStore.Reach> merged(List<AppCatalogStore.Reach> reaching) {
        Map<String, AppCatalogStore.Reach> merged = new LinkedHashMap<>();
        for (AppCatalogStore.Reach reach : reaching) {
            merged.merge(reach.appId(), reach, (kept, other) -> other.intent().strongest(kept.intent()) == kept.intent() ? kept : other);
        }
        return merged;
    }

    private boolean recordVersion(Tx tx, String appId, String version, Instant now) throws SQLException {
        return store.recordVersion(tx.connection(), appId, version, now);
    }

    /** Failed devices of an app (in a group, or all) get another try. */
    private void retryFailed(Tx tx, String appId, Optional<String> groupId) throws SQLException {
        String sql = "UPDATE device_app SET state = 'PENDING', updated_at = ? WHERE app_id = ? AND state = 'FAILED'"
                + (groupId.isPresent() ? " AND device_id IN (SELECT m.device_id FROM group_member m WHERE m.group_id = ?)" : "");
        try (PreparedStatement update = tx.connection().prepareStatement(sql)) {
            update.setTimestamp(1, Timestamp.from(clock.instant()));
            update.setString(2, appId);
            if (groupId.isPresent()) {
                update.setString(3, groupId.get());
            }
            update.executeUpdate();
        }
    }

    private void write(Tx tx, DeviceId device, CatalogApp app, DeviceAppState existing, AppIntent intent, AppInstallState state,
                       Optional<String> version, Optional<String> reason, Optional<String> commandId, Instant now) throws SQLException {
        DeviceAppState next = new DeviceAppState(device.toString(), app.id(), app.name(), app.identifier(), intent, state, version,
                reason, commandId, now);
        store.writeState(tx.connection(), next, existing != null);
        if (existing == null || existing.state() != state) {
            events.record(tx, Event.of("app.state_changed", "kernel", Map.of("deviceId", device.toString(), "appId", app.id(),
                    "state", state.name())));
        }
    }

    private static DeviceAppState changed(DeviceAppState state, AppIntent intent, AppInstallState next, Optional<String> version,
                                          Optional<String> reason, Optional<String> commandId, Instant now) {
        return new DeviceAppState(state.deviceId(), state.appId(), state.appName(), state.identifier(), intent, next, version, reason,
                commandId, now);
    }

    /**
     * Validates and seals an assignment's configuration.
     *
     * @param stored the configuration stored before, sealed, whose secrets an edit may leave out
     */
    private Optional<String> sealedConfiguration(CatalogApp app, AppIntent intent, Optional<JsonNode> configuration,
                                                 Optional<String> stored) {
        if (configuration.isEmpty() || configuration.get().isNull()) {
            return Optional.empty();
        }
        if (intent == AppIntent.UNINSTALL) {
            throw new IllegalArgumentException("an UNINSTALL assignment has no configuration");
        }
        SettingType type = configurationType(app).orElseThrow(() ->
                new IllegalArgumentException("app " + app.name() + " takes no managed configuration: its store publishes no schema"));
        try {
            Map<String, Object> before = stored.isPresent() ? json.mapper().readValue(stored.get(), OBJECT) : Map.of();
            JsonNode complete = secrets.keep(type, configuration.get(), before);
            List<String> problems = types.validate(type, complete);
            if (!problems.isEmpty()) {
                throw new InvalidConfigurationException(problems);
            }
            Map<String, Object> value = json.mapper().convertValue(complete, OBJECT);
            return Optional.of(json.write(secrets.seal(type, value, before)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored configuration of app " + app.id() + " is not JSON", e);
        }
    }

    /** The app's configuration schema as a setting type, so policy validation and secret sealing apply to it. */
    private Optional<SettingType> configurationType(CatalogApp app) {
        if (app.configurationSchema().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(types.define("app-configuration", json.mapper().readTree(app.configurationSchema().get()), app.storeId()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the store's configuration schema of app " + app.name() + " is not JSON");
        }
    }

    private AppAssignment shown(CatalogApp app, AppCatalogStore.StoredAssignment stored) {
        Map<String, Object> configuration = Map.of();
        if (stored.configuration().isPresent()) {
            try {
                Map<String, Object> value = json.mapper().readValue(stored.configuration().get(), OBJECT);
                Optional<SettingType> type;
                try {
                    type = configurationType(app);
                } catch (IllegalArgumentException e) {
                    type = Optional.empty();
                }
                configuration = SettingSecrets.hidden(type, value);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a stored configuration of app " + app.id() + " is not JSON", e);
            }
        }
        return new AppAssignment(stored.appId(), stored.groupId(), stored.intent(), configuration, stored.licenceSource(), stored.createdBy(),
                stored.createdAt(), stored.updatedAt());
    }

    private String summary(CatalogApp app) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("storeId", app.storeId());
        summary.put("storeAppId", app.storeAppId());
        summary.put("platform", app.platform().id());
        summary.put("identifier", app.identifier());
        summary.put("name", app.name());
        app.version().ifPresent(version -> summary.put("version", version));
        return json.write(summary);
    }
}
