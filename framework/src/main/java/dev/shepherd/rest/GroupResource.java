package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DevicePage;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupRule;
import dev.shepherd.group.GroupService;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Static and smart groups, their members and the rule preview. */
final class GroupResource {

    record GroupView(String id, String name, String description, String kind, Optional<JsonNode> rule, long members, long version,
                     Instant createdAt, Instant updatedAt) {
    }

    record NewGroup(String name, Optional<String> description, Optional<JsonNode> rule) {
        NewGroup {
            requireNonNull(name, "name is null");
            rule = Pages.present(rule);
        }
    }

    record GroupUpdate(Optional<String> name, Optional<String> description, Optional<JsonNode> rule) {
        GroupUpdate {
            rule = Pages.present(rule);
        }
    }

    record MemberChange(Optional<List<String>> add, Optional<List<String>> remove) {
    }

    record MemberChanges(int added, int removed) {
    }

    /** Serial numbers pasted by an admin, one per entry. */
    record SerialList(List<String> serialNumbers) {
        SerialList {
            requireNonNull(serialNumbers, "serialNumbers is null");
        }
    }

    /**
     * @param added the serial numbers whose device was added (already a member included)
     * @param notFound the serial numbers no device in the caller's scope has, as given
     * @param ambiguous serial numbers more than one device has (on different platforms): none of those is added
     */
    record SerialAddition(List<String> added, List<String> notFound, List<String> ambiguous) {
    }

    static final int MAX_SERIALS = 1000;

    record Preview(JsonNode rule, Optional<Integer> sample) {
        Preview {
            requireNonNull(rule, "rule is null");
        }
    }

    record PreviewResult(long matching, List<String> sample) {
    }

    private final Kernel kernel;

    GroupResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    static GroupView view(Group group, GroupService groups) {
        return new GroupView(group.id(), group.name(), group.description(), group.isSmart() ? "smart" : "static",
                group.rule().map(rule -> groups.codec().write(rule)), group.members(), group.version(), group.createdAt(), group.updatedAt());
    }

    List<AdminRoute> routes() {
        GroupService groups = kernel.groups();
        return List.of(
                AdminRoute.get("/api/v1/groups", Permission.GROUP_READ).tag("groups").summary("All groups (a scoped admin's: those of their scope)")
                        .scopeEnforced().returns(GroupView[].class)
                        .handle(request -> groups.list().stream().filter(group -> request.principal().scope().includesGroup(group.id()))
                                .map(group -> view(group, groups)).toList()),
                AdminRoute.post("/api/v1/groups", Permission.GROUP_WRITE).tag("groups")
                        .summary("Create a group: static, or smart with a rule (see docs/policies.md)").body(NewGroup.class)
                        .returns(GroupView.class).status(201).handle(request -> {
                            NewGroup body = request.body(NewGroup.class);
                            Optional<GroupRule> rule = body.rule().map(groups.codec()::read);
                            return ApiResponse.created(view(groups.create(request.actor(), body.name(), body.description().orElse(""), rule), groups));
                        }),
                AdminRoute.get("/api/v1/groups/{id}", Permission.GROUP_READ).tag("groups").summary("One group; its ETag is its version")
                        .scopeEnforced().returns(GroupView.class).handle(request -> {
                            Group group = group(request);
                            return ApiResponse.ok(view(group, groups)).withHeader("ETag", "\"" + group.version() + "\"");
                        }),
                AdminRoute.patch("/api/v1/groups/{id}", Permission.GROUP_WRITE).tag("groups")
                        .summary("Rename a group or change its rule (If-Match: the version you saw)").body(GroupUpdate.class)
                        .returns(GroupView.class).handle(request -> {
                            GroupUpdate body = request.body(GroupUpdate.class);
                            return view(groups.update(request.actor(), request.path("id"), body.name(), body.description(),
                                    body.rule().map(groups.codec()::read), request.ifMatch()).orElseThrow(() -> notFound(request)), groups);
                        }),
                AdminRoute.delete("/api/v1/groups/{id}", Permission.GROUP_WRITE).tag("groups")
                        .summary("Delete a group; its policy assignments go with it").status(204).handle(request -> {
                            if (!groups.delete(request.actor(), request.path("id"))) {
                                throw notFound(request);
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/groups/{id}/members", Permission.GROUP_READ).tag("groups").summary("A group's devices")
                        .scopeEnforced().query("cursor", "from the previous page").query("limit", "1 to 1000, default 50").returns(DevicePage.class)
                        .handle(request -> {
                            group(request);
                            return kernel.devices().search(DeviceFilter.builder().groupId(request.path("id"))
                                            .scope(request.principal().scope()).build(), DeviceSort.ID,
                                    request.query("cursor"), request.queryInt("limit", 50, 1, 1000));
                        }),
                AdminRoute.post("/api/v1/groups/{id}/members", Permission.GROUP_WRITE).tag("groups")
                        .summary("Add and remove devices of a static group").scopeEnforced().body(MemberChange.class).returns(MemberChanges.class)
                        .handle(request -> {
                            group(request);
                            MemberChange body = request.body(MemberChange.class);
                            List<DeviceId> add = DeviceResource.scopedDeviceIds(kernel, request, body.add().orElse(List.of()));
                            List<DeviceId> remove = DeviceResource.scopedDeviceIds(kernel, request, body.remove().orElse(List.of()));
                            int added = groups.addMembers(request.actor(), request.path("id"), add);
                            int removed = groups.removeMembers(request.actor(), request.path("id"), remove);
                            return new MemberChanges(added, removed);
                        }),
                AdminRoute.post("/api/v1/groups/{id}/members/by-serial", Permission.GROUP_WRITE).tag("groups").scopeEnforced()
                        .summary("Add the devices with these serial numbers (up to " + MAX_SERIALS + ") to a static group; reports the"
                                + " serial numbers no device in the caller's scope has")
                        .body(SerialList.class).returns(SerialAddition.class).handle(request -> {
                            group(request);
                            return addBySerial(request, request.body(SerialList.class).serialNumbers());
                        }),
                AdminRoute.post("/api/v1/groups/preview", Permission.GROUP_READ).tag("groups")
                        .summary("How many devices a rule matches, and some of them; saves nothing").body(Preview.class)
                        .returns(PreviewResult.class).handle(request -> {
                            Preview body = request.body(Preview.class);
                            GroupService.RulePreview preview = groups.preview(groups.codec().read(body.rule()), body.sample().orElse(20));
                            return new PreviewResult(preview.matching(), preview.sample().stream().map(DeviceId::toString).toList());
                        }));
    }

    private SerialAddition addBySerial(ApiRequest request, List<String> given) {
        // Pasted text carries blanks and repeats: both are dropped, the order kept.
        List<String> serials = given.stream().map(String::strip).filter(serial -> !serial.isEmpty()).distinct().toList();
        if (serials.isEmpty() || serials.size() > MAX_SERIALS) {
            throw ApiException.badRequest("serialNumbers lists 1 to " + MAX_SERIALS + " serial numbers");
        }
        List<DeviceId> found = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<String> notFound = new ArrayList<>();
        List<String> ambiguous = new ArrayList<>();
        for (String serial : serials) {
            List<DeviceId> matching = kernel.devices().ids(DeviceFilter.builder().serialNumber(serial).scope(request.principal().scope()).build());
            if (matching.isEmpty()) {
                notFound.add(serial);
            } else if (matching.size() > 1) {
                ambiguous.add(serial);
            } else {
                found.add(matching.get(0));
                added.add(serial);
            }
        }
        if (!found.isEmpty()) {
            kernel.groups().addMembers(request.actor(), request.path("id"), found);
        }
        return new SerialAddition(added, notFound, ambiguous);
    }

    private Group group(ApiRequest request) {
        requireGroupInScope(request, request.path("id"));
        return kernel.groups().get(request.path("id")).orElseThrow(() -> notFound(request));
    }

    /**
     * Refuses (403) a group outside the caller's scope: acting on it as a whole would reach devices they may not see.
     * A group is not a device, so saying it is outside the scope reveals nothing the 404 for a device would hide.
     */
    static void requireGroupInScope(ApiRequest request, String groupId) {
        if (!request.principal().scope().includesGroup(groupId)) {
            throw new ApiException(Problem.of(403, "out-of-scope", "Outside your scope",
                    "The group '" + groupId + "' is not one of the device groups your role is granted over."));
        }
    }


    private static ApiException notFound(ApiRequest request) {
        return ApiException.notFound("No group has the id '" + request.path("id") + "'.");
    }
}
