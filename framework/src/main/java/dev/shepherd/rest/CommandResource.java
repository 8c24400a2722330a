package dev.shepherd.rest;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.command.CommandBatch;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.security.CommandPermissions;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Commands: track and cancel one; fan one out to a group, a query or a list, and follow its progress. */
final class CommandResource {

    /** Exactly one of groupId, deviceIds or query (the device search's parameters as a map). */
    record Target(Optional<String> groupId, Optional<List<String>> deviceIds, Optional<Map<String, String>> query) {
    }

    record NewBatch(CommandType type, Optional<Map<String, Object>> parameters, Optional<Integer> priority,
                    Optional<Long> timeToLiveSeconds, Target target, Optional<String> description) {
        NewBatch {
            requireNonNull(type, "type is null");
            requireNonNull(target, "target is null");
        }
    }

    private final Kernel kernel;

    CommandResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    /**
     * Checks the permissions the command itself needs beyond {@link Permission#DEVICE_ACTION}
     * ({@link CommandPermissions}): every route that issues a command — to one device, as a fan-out, as a compliance
     * remediation — calls this, so no route reaches a wipe, a profile change or a RAW command without them.
     */
    static void checkCommand(ApiRequest request, CommandType type) {
        CommandPermissions.missing(request.principal().role(), type).ifPresent(permission -> {
            throw ApiException.forbidden("The " + request.principal().role().name().toLowerCase(Locale.ROOT) + " role lacks the "
                    + permission.name().toLowerCase(Locale.ROOT) + " permission that a " + type.name() + " command needs.");
        });
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/commands/{id}", Permission.COMMAND_READ).tag("commands").summary("One command and what became of it")
                        .scopeEnforced().returns(CommandRecord.class).handle(this::command),
                AdminRoute.post("/api/v1/commands/{id}/cancel", Permission.DEVICE_ACTION).tag("commands")
                        .summary("Withdraw a command that has not completed").scopeEnforced().returns(CommandRecord.class).handle(request -> {
                            command(request);
                            return kernel.commands().cancel(request.actor(), DeviceResource.uuid(request.path("id")))
                                    .orElseThrow(() -> ApiException.notFound("No command has the id '" + request.path("id") + "'."));
                        }),
                AdminRoute.post("/api/v1/command-batches", Permission.DEVICE_ACTION).tag("commands").scopeEnforced()
                        .summary("Send one command to a group, a device query or a list of devices; durable at once, delivered at the push rate"
                                + " (wipes need device_wipe, profile commands device_profile, app commands app_manage, RAW commands command_raw with all three)")
                        .body(NewBatch.class).returns(CommandBatch.class).status(201).handle(request -> {
                            NewBatch body = request.body(NewBatch.class);
                            checkCommand(request, body.type());
                            Target target = body.target();
                            int given = (target.groupId().isPresent() ? 1 : 0) + (target.deviceIds().isPresent() ? 1 : 0)
                                    + (target.query().isPresent() ? 1 : 0);
                            if (given != 1) {
                                throw ApiException.badRequest("target needs exactly one of groupId, deviceIds or query");
                            }
                            // A scoped caller's fan-out reaches only their devices: a group outside the scope is refused
                            // as a whole, listed devices outside it are answered as absent, a query is narrowed to it.
                            DeviceScope scope = request.principal().scope();
                            CommandTargets targets;
                            String description;
                            if (target.groupId().isPresent()) {
                                String groupId = target.groupId().get();
                                GroupResource.requireGroupInScope(request, groupId);
                                String name = kernel.groups().get(groupId)
                                        .orElseThrow(() -> ApiException.badRequest("no group " + groupId)).name();
                                targets = new CommandTargets.Matching(DeviceFilter.builder().groupId(groupId).scope(scope).build());
                                description = "group " + name;
                            } else if (target.deviceIds().isPresent()) {
                                List<String> ids = target.deviceIds().get();
                                if (ids.isEmpty() || ids.size() > 100_000) {
                                    throw ApiException.badRequest("deviceIds lists 1 to 100,000 devices");
                                }
                                targets = new CommandTargets.Listed(DeviceResource.scopedDeviceIds(kernel, request, ids));
                                description = ids.size() + " listed device(s)";
                            } else {
                                targets = new CommandTargets.Matching(QueryFilters.filter(target.query().get(), scope));
                                description = "devices matching " + target.query().get();
                            }
                            CommandRequest command = new CommandRequest(body.type(), body.parameters().orElse(Map.of()),
                                    body.priority().orElse(0), body.timeToLiveSeconds().map(Duration::ofSeconds));
                            return ApiResponse.created(kernel.commands().issueToMany(request.actor(), targets, command,
                                    body.description().orElse(description)));
                        }),
                AdminRoute.get("/api/v1/command-batches", Permission.COMMAND_READ).tag("commands")
                        .summary("Fan-outs, newest first, with their progress; ?before={batch id} for the next page (a scoped admin sees their own)")
                        .scopeEnforced().returns(CommandBatch[].class)
                        .handle(request -> kernel.commands().recentBatches(request.query("before"), request.queryInt("limit", 20, 1, 100))
                                .stream().filter(batch -> visible(request, batch)).toList()),
                AdminRoute.get("/api/v1/command-batches/{id}", Permission.COMMAND_READ).tag("commands")
                        .summary("A fan-out's progress: devices reached, pushes sent, commands by state").scopeEnforced().returns(CommandBatch.class)
                        .handle(this::batch),
                AdminRoute.post("/api/v1/command-batches/{id}/cancel", Permission.DEVICE_ACTION).tag("commands")
                        .summary("Withdraw a fan-out: devices not yet reached never get it").scopeEnforced().returns(CommandBatch.class)
                        .handle(request -> {
                            batch(request);
                            return kernel.commands().cancelBatch(request.actor(), request.path("id"))
                                    .orElseThrow(() -> ApiException.notFound("No command batch has the id '" + request.path("id") + "'."));
                        }));
    }

    /** The path's command, when its device is in the caller's scope; one outside it is answered as absent. */
    private CommandRecord command(ApiRequest request) {
        return kernel.commands().get(DeviceResource.uuid(request.path("id")))
                .filter(found -> kernel.devices().inScope(request.principal().scope(), found.command().deviceId()))
                .orElseThrow(() -> ApiException.notFound("No command has the id '" + request.path("id") + "'."));
    }

    /** The path's fan-out, when the caller may see it. */
    private CommandBatch batch(ApiRequest request) {
        return kernel.commands().batch(request.path("id")).filter(found -> visible(request, found))
                .orElseThrow(() -> ApiException.notFound("No command batch has the id '" + request.path("id") + "'."));
    }

    /**
     * A scoped admin sees only the fan-outs they sent, which reached only their devices: another admin's fan-out may
     * describe devices outside the scope (a query naming a serial number) and counts devices the scope does not hold.
     */
    private static boolean visible(ApiRequest request, CommandBatch batch) {
        return !request.principal().scoped() || batch.createdBy().equals(request.actor().toString());
    }
}
