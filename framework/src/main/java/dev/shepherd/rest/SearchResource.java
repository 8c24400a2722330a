package dev.shepherd.rest;

import dev.shepherd.api.device.Device;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The console's global search: one call over devices, people, groups, policies and apps. Each kind is searched only
 * when the caller's role may read it, and devices and groups only within their scope, so the answer never holds
 * anything the caller could not have found page by page.
 */
final class SearchResource {

    static final int MAX_PER_KIND = 5;
    static final int MAX_QUERY_LENGTH = 100;

    /** A device with the state an admin looks for first. */
    record DeviceHit(String id, String name, String serialNumber, String platform, String model, String status, String compliance) {
    }

    record PersonHit(String id, String username, String displayName, String email) {
    }

    record GroupHit(String id, String name, String kind, long members) {
    }

    record PolicyHit(String id, String name) {
    }

    record AppHit(String id, String name, String platform, String publisher) {
    }

    /** Up to five of each kind; a kind the caller may not read is an empty list. */
    record SearchResults(String query, List<DeviceHit> devices, List<PersonHit> people, List<GroupHit> groups,
                         List<PolicyHit> policies, List<AppHit> apps) {
    }

    private final Kernel kernel;

    SearchResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        return List.of(AdminRoute.get("/api/v1/search", Permission.DEVICE_READ).tag("search").scopeEnforced()
                .summary("Devices (name, serial, model or user containing q), people, groups, policies and apps matching q,"
                        + " up to " + MAX_PER_KIND + " of each, only those the caller may see")
                .query("q", "1 to " + MAX_QUERY_LENGTH + " characters").returns(SearchResults.class).handle(this::search));
    }

    private SearchResults search(ApiRequest request) {
        String query = request.query("q").map(String::strip).orElse("");
        if (query.isEmpty() || query.length() > MAX_QUERY_LENGTH) {
            throw ApiException.badRequest("q is 1 to " + MAX_QUERY_LENGTH + " characters");
        }
        String lower = query.toLowerCase(Locale.ROOT);
        List<DeviceHit> devices = kernel.devices().search(DeviceFilter.builder().text(query).scope(request.principal().scope()).build(),
                DeviceSort.NAME, Optional.empty(), MAX_PER_KIND).items().stream().map(record -> {
                    Device device = record.device();
                    return new DeviceHit(device.id().toString(), device.name(), device.serialNumber(), device.platform().id(),
                            device.model(), device.status().name(), device.compliance().name());
                }).toList();
        List<PersonHit> people = allowed(request, Permission.USER_READ)
                ? kernel.directory().search(query, Optional.empty(), MAX_PER_KIND).stream().map(SearchResource::person).toList()
                : List.of();
        List<GroupHit> groups = allowed(request, Permission.GROUP_READ)
                ? kernel.groups().list().stream().filter(group -> request.principal().scope().includesGroup(group.id()))
                        .filter(group -> group.name().toLowerCase(Locale.ROOT).contains(lower)).limit(MAX_PER_KIND)
                        .map(group -> new GroupHit(group.id(), group.name(), group.isSmart() ? "smart" : "static", group.members())).toList()
                : List.of();
        List<PolicyHit> policies = allowed(request, Permission.POLICY_READ)
                ? kernel.policies().list().stream().filter(policy -> policy.name().toLowerCase(Locale.ROOT).contains(lower))
                        .limit(MAX_PER_KIND).map(policy -> new PolicyHit(policy.id(), policy.name())).toList()
                : List.of();
        List<AppHit> apps = allowed(request, Permission.APP_READ)
                ? kernel.apps().list(Optional.of(query), Optional.empty(), Optional.empty(), MAX_PER_KIND).stream()
                        .map(app -> new AppHit(app.id(), app.name(), app.platform().id(), app.publisher())).toList()
                : List.of();
        return new SearchResults(query, devices, people, groups, policies, apps);
    }

    private static PersonHit person(DirectoryUser user) {
        return new PersonHit(user.id(), user.username(), user.displayName(), user.email());
    }

    private static boolean allowed(ApiRequest request, Permission permission) {
        return request.principal().role().allows(permission);
    }
}
