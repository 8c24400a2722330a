package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.app.AppAssignment;
import dev.shepherd.app.AppCatalogService;
import dev.shepherd.app.AppInstallState;
import dev.shepherd.app.AppIntent;
import dev.shepherd.app.AppLicence;
import dev.shepherd.app.AppRollout;
import dev.shepherd.app.CatalogApp;
import dev.shepherd.app.CatalogSync;
import dev.shepherd.app.DeviceAppState;
import dev.shepherd.app.InstalledApp;
import dev.shepherd.app.LicencePool;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * The app catalog: apps from the app-store plugins, their assignments to groups, licences, install state per device,
 * and the fleet's app inventory.
 */
final class AppResource {

    record AddApp(String storeId, String storeAppId) {
        AddApp {
            requireNonNull(storeId, "storeId is null");
            requireNonNull(storeAppId, "storeAppId is null");
        }
    }

    /** @param licenceSource DEVICE or USER, in any case; left out, an existing assignment keeps its own (a new one: DEVICE) */
    record Assignment(AppIntent intent, Optional<JsonNode> configuration, Optional<String> licenceSource) {
        Assignment {
            requireNonNull(intent, "intent is null");
            configuration = configuration == null ? Optional.empty() : configuration;
            licenceSource = licenceSource == null ? Optional.empty() : licenceSource;
        }

        Optional<LicenceKind> licenceKind() {
            if (licenceSource.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(LicenceKind.valueOf(licenceSource.get().trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("licenceSource must be DEVICE or USER, not '" + licenceSource.get() + "'.");
            }
        }
    }

    record Rollout(String pilotGroupId) {
        Rollout {
            requireNonNull(pilotGroupId, "pilotGroupId is null");
        }
    }

    record Licences(Optional<LicencePool> pool, List<AppLicence> licences) {
    }

    record DeviceApps(List<DeviceAppState> managed, Map<String, String> installed) {
    }

    /** A device's state of an app, with the name the device goes by (its name, else its serial number), when it has one. */
    record DeviceAppRow(String deviceId, Optional<String> deviceName, String appId, String appName, String identifier, AppIntent intent,
                        AppInstallState state, Optional<String> installedVersion, Optional<String> reason, Optional<String> commandId,
                        Instant updatedAt) {
        static DeviceAppRow of(DeviceAppState state, Map<String, String> names) {
            return new DeviceAppRow(state.deviceId(), Optional.ofNullable(names.get(state.deviceId())), state.appId(), state.appName(),
                    state.identifier(), state.intent(), state.state(), state.installedVersion(), state.reason(), state.commandId(),
                    state.updatedAt());
        }
    }

    record StoreView(String id) {
    }

    /** A store's app as search results show it, before it is in the catalog. */
    record StoreAppView(String storeId, String storeAppId, Platform platform, String identifier, String name, String publisher,
                        Optional<String> version, Optional<String> icon, OptionalLong size, boolean licensed) {
        static StoreAppView of(StoreApp app) {
            return new StoreAppView(app.storeId(), app.storeAppId(), app.platform(), app.identifier(), app.name(), app.publisher(),
                    app.version(), app.icon().map(Object::toString), app.size(), app.licensed());
        }
    }

    private final Kernel kernel;

    AppResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    private static final String CATALOG = "the app catalog: apps, not devices";

    List<AdminRoute> routes() {
        AppCatalogService apps = kernel.apps();
        return List.of(
                AdminRoute.get("/api/v1/apps", Permission.APP_READ).tag("apps").deviceFree(CATALOG)
                        .summary("The catalog, by name; q searches name, identifier and publisher")
                        .query("q", "text in the name, identifier or publisher").query("platform", "a platform id such as ios")
                        .query("storeId", "only this store's apps").query("limit", "1 to 500, default 100")
                        .returns(CatalogApp[].class).handle(request -> apps.list(request.query("q"),
                                request.query("platform").map(AppResource::platform), request.query("storeId"),
                                request.queryInt("limit", 100, 1, AppCatalogService.MAX_PAGE))),
                AdminRoute.post("/api/v1/apps", Permission.APP_MANAGE).tag("apps")
                        .summary("Add an app from a store (looked up there); adding one already in the catalog refreshes it")
                        .body(AddApp.class).returns(CatalogApp.class).status(201).handle(request -> {
                            AddApp body = request.body(AddApp.class);
                            try {
                                CatalogApp app = apps.addFromStore(request.actor(), body.storeId(), body.storeAppId())
                                        .orElseThrow(() -> ApiException.notFound("Store " + body.storeId() + " has no app " + body.storeAppId() + "."));
                                return ApiResponse.created(app);
                            } catch (AppStoreException e) {
                                throw unavailable(e);
                            }
                        }),
                AdminRoute.get("/api/v1/apps/{id}", Permission.APP_READ).tag("apps").deviceFree(CATALOG).summary("One app of the catalog")
                        .returns(CatalogApp.class).handle(this::app),
                AdminRoute.get("/api/v1/apps/{id}/versions", Permission.APP_READ).tag("apps").deviceFree(CATALOG)
                        .summary("The versions the catalog has seen of an app, newest first").returns(String[].class).handle(request -> {
                            app(request);
                            return apps.versions(request.path("id"));
                        }),
                AdminRoute.delete("/api/v1/apps/{id}", Permission.APP_MANAGE).tag("apps")
                        .summary("Remove an app from the catalog; refused while it is assigned or devices hold its licences").status(204)
                        .handle(request -> {
                            if (!apps.delete(request.actor(), request.path("id"))) {
                                throw notFound(request);
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/apps/{id}/assignments", Permission.APP_READ).tag("apps")
                        .deviceFree("an app's assignments name groups and configurations, not devices")
                        .summary("The groups an app is assigned to; configurations without their secret fields")
                        .returns(AppAssignment[].class).handle(request -> {
                            app(request);
                            return apps.assignments(request.path("id"));
                        }),
                AdminRoute.put("/api/v1/apps/{id}/assignments/{groupId}", Permission.APP_MANAGE).tag("apps").scopeEnforced()
                        .summary("Assign an app to a group: REQUIRED, AVAILABLE or UNINSTALL (UNINSTALL > REQUIRED > AVAILABLE per device),"
                                + " with a managed configuration validated against the app's schema and a licenceSource: DEVICE (the default,"
                                + " one licence per device) or USER (one per user, covering all their devices; only for stores that give them)")
                        .body(Assignment.class).returns(AppAssignment.class).handle(request -> {
                            app(request);
                            Assignment body = request.body(Assignment.class);
                            return apps.assign(request.actor(), request.path("id"), request.path("groupId"), body.intent(), body.configuration(),
                                    body.licenceKind());
                        }),
                AdminRoute.delete("/api/v1/apps/{id}/assignments/{groupId}", Permission.APP_MANAGE).tag("apps").scopeEnforced()
                        .summary("Stop assigning an app to a group; the app stays on its devices").status(204).handle(request -> {
                            if (!apps.unassign(request.actor(), request.path("id"), request.path("groupId"))) {
                                throw ApiException.notFound("The app is not assigned to that group.");
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/apps/{id}/rollout", Permission.APP_READ).tag("apps")
                        .summary("An app's staged rollout and its progress: pilot group versus everyone else")
                        .returns(AppRollout.class).handle(request -> {
                            app(request);
                            return apps.rollout(request.path("id"))
                                    .orElseThrow(() -> ApiException.notFound("The updates of this app are not staged."));
                        }),
                AdminRoute.put("/api/v1/apps/{id}/rollout", Permission.APP_MANAGE).tag("apps")
                        .summary("Stage an app's updates: a new version reaches the pilot group first, the rest keep the released version")
                        .body(Rollout.class).returns(AppRollout.class).handle(request -> {
                            app(request);
                            return apps.startRollout(request.actor(), request.path("id"), request.body(Rollout.class).pilotGroupId());
                        }),
                AdminRoute.post("/api/v1/apps/{id}/rollout/promote", Permission.APP_MANAGE).tag("apps")
                        .summary("Release the catalog's newest version of a staged app to every device").returns(AppRollout.class)
                        .handle(request -> {
                            app(request);
                            return apps.promoteRollout(request.actor(), request.path("id"))
                                    .orElseThrow(() -> ApiException.notFound("The updates of this app are not staged."));
                        }),
                AdminRoute.delete("/api/v1/apps/{id}/rollout", Permission.APP_MANAGE).tag("apps")
                        .summary("Stop staging an app's updates; every device follows the newest version again").status(204)
                        .handle(request -> {
                            app(request);
                            if (!apps.endRollout(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("The updates of this app are not staged.");
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/apps/{id}/licences", Permission.APP_READ).tag("apps")
                        .summary("An app's licence pool as its store reports it, and the licences the kernel assigned: devices' (kind DEVICE)"
                                + " and users' (kind USER, with the userId and the device it was first obtained for)")
                        .returns(Licences.class).handle(request -> new Licences(app(request).licences(), apps.licences(request.path("id")))),
                AdminRoute.get("/api/v1/apps/{id}/devices", Permission.APP_READ).tag("apps")
                        .summary("Desired versus actual per device: PENDING, INSTALLING, INSTALLED (with version), FAILED (with the reason), REMOVED")
                        .query("limit", "1 to 500, default 100").returns(DeviceAppRow[].class).handle(request -> {
                            app(request);
                            List<DeviceAppState> states = apps.deviceStates(request.path("id"),
                                    request.queryInt("limit", 100, 1, AppCatalogService.MAX_PAGE));
                            Map<String, String> names = apps.deviceNames(states.stream().map(DeviceAppState::deviceId).toList());
                            return states.stream().map(state -> DeviceAppRow.of(state, names)).toList();
                        }),
                AdminRoute.get("/api/v1/devices/{id}/apps", Permission.APP_READ).tag("apps").scopeEnforced()
                        .summary("A device's managed apps (desired versus actual) and every app it reports, identifier to version")
                        .returns(DeviceApps.class).handle(request -> {
                            DeviceId device = DeviceResource.scopedDeviceId(kernel, request, request.path("id"));
                            if (kernel.devices().get(device).isEmpty()) {
                                throw ApiException.notFound("No device has the id '" + device + "'.");
                            }
                            return new DeviceApps(apps.appsOf(device), apps.installed(device));
                        }),
                AdminRoute.get("/api/v1/app-inventory", Permission.APP_READ).tag("apps")
                        .summary("The devices reporting an app, in device-id order; versionBelow compares number by number (2.9 < 2.10)")
                        .query("identifier", "the app's identifier, required").query("versionBelow", "only devices below this version")
                        .query("after", "the last device id of the previous page").query("limit", "1 to 500, default 100")
                        .returns(InstalledApp[].class).handle(request -> apps.reporting(
                                request.query("identifier").orElseThrow(() -> ApiException.badRequest("identifier is required.")),
                                request.query("versionBelow"), request.query("after"),
                                request.queryInt("limit", 100, 1, AppCatalogService.MAX_PAGE))),
                AdminRoute.get("/api/v1/app-stores", Permission.APP_READ).tag("apps")
                        .deviceFree("the ids of the running app stores")
                        .summary("The app stores whose plugins are running").returns(StoreView[].class)
                        .handle(request -> apps.storeIds().stream().map(StoreView::new).toList()),
                AdminRoute.post("/api/v1/app-stores/{storeId}/sync", Permission.APP_MANAGE).tag("apps")
                        .summary("Read a store's catalog and licence counts now").returns(CatalogSync.class).handle(request -> {
                            String storeId = store(request);
                            CatalogSync sync = apps.sync(storeId);
                            if (sync.failure().isPresent()) {
                                throw new ApiException(Problem.of(503, "store-unavailable", "The store could not answer",
                                        sync.failure().get()));
                            }
                            return sync;
                        }),
                AdminRoute.get("/api/v1/app-stores/{storeId}/search", Permission.APP_MANAGE).tag("apps")
                        .summary("Search a store for apps to add").query("q", "the text to search for, required")
                        .query("limit", "1 to 100, default 25").returns(StoreAppView[].class).handle(request -> {
                            String storeId = store(request);
                            String query = request.query("q").filter(text -> !text.isBlank())
                                    .orElseThrow(() -> ApiException.badRequest("q is required."));
                            try {
                                return apps.searchStore(storeId, query, request.queryInt("limit", 25, 1, 100)).stream()
                                        .map(StoreAppView::of).toList();
                            } catch (AppStoreException e) {
                                throw unavailable(e);
                            }
                        }));
    }

    private CatalogApp app(ApiRequest request) {
        return kernel.apps().get(request.path("id")).orElseThrow(() -> notFound(request));
    }

    private String store(ApiRequest request) {
        String storeId = request.path("storeId");
        if (!kernel.apps().storeIds().contains(storeId)) {
            throw ApiException.notFound("No app-store plugin for store '" + storeId + "' is running.");
        }
        return storeId;
    }

    private static ApiException notFound(ApiRequest request) {
        return ApiException.notFound("No app has the id '" + request.path("id") + "'.");
    }

    private static Platform platform(String id) {
        try {
            return new Platform(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("platform is a platform id such as ios: " + e.getMessage());
        }
    }

    /** A store's failure is not the server's: 503 when trying again may help, 502 when the store refused for good. */
    private static ApiException unavailable(AppStoreException e) {
        return e.retryable()
                ? new ApiException(Problem.of(503, "store-unavailable", "The store could not answer", e.getMessage()))
                : new ApiException(Problem.of(502, "store-refused", "The store refused", e.getMessage()));
    }
}
