package dev.shepherd.rest;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandService;
import dev.shepherd.compliance.AccessDecision;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DevicePage;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.device.FleetSummary;
import dev.shepherd.device.RecoveryKeys;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.EffectiveSetting;
import dev.shepherd.policy.SettingSecrets;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/** Devices: search, detail, changes, lifecycle, inventory, policy state, commands and compliance. */
final class DeviceResource {

    record DeviceUpdate(Optional<String> name, Optional<Ownership> ownership, Optional<String> userId,
                        Optional<Set<String>> tags, Optional<Map<String, String>> attributes) {
    }

    record Reason(Optional<String> reason) {
    }

    record NewCommand(CommandType type, Optional<Map<String, Object>> parameters, Optional<Integer> priority,
                      Optional<Long> timeToLiveSeconds) {
        NewCommand {
            requireNonNull(type, "type is null");
        }

        CommandRequest request() {
            return new CommandRequest(type, parameters.orElse(Map.of()), priority.orElse(0),
                    timeToLiveSeconds.map(Duration::ofSeconds));
        }
    }

    record ImportedDevice(Platform platform, String serialNumber, Optional<String> model, Optional<String> name,
                          Optional<Ownership> ownership, Map<String, String> hardwareIds, Optional<Set<String>> tags) {
        ImportedDevice {
            requireNonNull(platform, "platform is null");
            requireNonNull(serialNumber, "serialNumber is null");
            requireNonNull(hardwareIds, "hardwareIds is null");
        }
    }

    record DeviceImportRequest(List<ImportedDevice> devices) {
        DeviceImportRequest {
            requireNonNull(devices, "devices is null");
        }
    }

    record Imported(List<String> deviceIds) {
    }

    /** Until when a device may be enrolled again by its asserted identifiers. */
    record ReEnrollmentAllowance(String deviceId, String allowedUntil) {
    }

    static final List<String[]> SEARCH_PARAMETERS = List.of(
            new String[]{"platform", "ios, macos, android, windows, chromeos, …"},
            new String[]{"status", "pending, enrolled, quarantined, retired, wiped"},
            new String[]{"ownership", "corporate or personal"},
            new String[]{"compliance", "compliant, non_compliant, in_grace_period, unknown"},
            new String[]{"model", "exact model"},
            new String[]{"q", "text anywhere in the name, serial number, model or the user's username, name or e-mail, case-insensitive"},
            new String[]{"name", "name prefix, case-insensitive"},
            new String[]{"serial", "exact serial number"},
            new String[]{"user", "assigned user id"},
            new String[]{"tag", "carrying this tag"},
            new String[]{"group", "member of this group id"},
            new String[]{"osAtLeast", "OS version at least"},
            new String[]{"osBelow", "OS version below"},
            new String[]{"sort", "id (default), name, serial, model, os_version, platform, status or compliance; add _desc for"
                    + " the reverse (name_desc)"},
            new String[]{"cursor", "from the previous page's nextCursor"},
            new String[]{"limit", "1 to 1000, default 50"});

    private final Kernel kernel;

    DeviceResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        AdminRoute.Builder search = AdminRoute.get("/api/v1/devices", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                .summary("Search devices, a keyset page at a time").returns(DevicePage.class);
        SEARCH_PARAMETERS.forEach(parameter -> search.query(parameter[0], parameter[1]));
        return List.of(
                search.handle(this::search),
                AdminRoute.get("/api/v1/devices/summary", Permission.DEVICE_READ).tag("devices")
                        .summary("The fleet at a glance (a scoped admin's devices): devices by platform, status and compliance, and pending commands")
                        .scopeEnforced().returns(FleetSummary.class)
                        .handle(request -> kernel.devices().summary(request.principal().scope(),
                                kernel.commands().pendingCount(request.principal().scope()))),
                AdminRoute.get("/api/v1/devices/{id}", Permission.DEVICE_READ).tag("devices").scopeEnforced().summary("One device; its ETag is its version")
                        .returns(DeviceRecord.class).handle(request -> {
                            DeviceRecord record = device(request);
                            return ApiResponse.ok(record).withHeader("ETag", "\"" + record.version() + "\"");
                        }),
                AdminRoute.patch("/api/v1/devices/{id}", Permission.DEVICE_WRITE).tag("devices").scopeEnforced()
                        .summary("Change name, ownership, user, tags or attributes (If-Match: the version you saw)")
                        .body(DeviceUpdate.class).returns(DeviceRecord.class).handle(request -> {
                            DeviceUpdate update = request.body(DeviceUpdate.class);
                            DeviceRecord record = kernel.devices().update(request.actor(), scopedId(request), new DeviceChanges(update.name(),
                                    update.ownership(), update.userId(), update.tags(), update.attributes()), request.ifMatch())
                                    .orElseThrow(() -> notFound(request));
                            return ApiResponse.ok(record).withHeader("ETag", "\"" + record.version() + "\"");
                        }),
                AdminRoute.post("/api/v1/devices/{id}/allow-re-enrollment", Permission.DEVICE_WRITE).tag("devices").scopeEnforced()
                        .summary("Let the next enrollment asserting this device's hardware identifiers re-enroll it without its "
                                + "certificate (after a factory reset), once, within 24 hours; audited")
                        .returns(ReEnrollmentAllowance.class).handle(request -> {
                            DeviceId id = scopedId(request);
                            return kernel.devices().allowReEnrollment(request.actor(), id)
                                    .map(until -> new ReEnrollmentAllowance(id.toString(), until.toString()))
                                    .orElseThrow(() -> notFound(request));
                        }),
                // Retiring removes what the organisation put on the device (an enterprise wipe): it needs the wipe permission.
                ending("retire", false, Permission.DEVICE_WIPE,
                        "Retire a device: it is told to leave management (its enrollment removed), its identity revoked"),
                ending("wipe", true, Permission.DEVICE_WIPE,
                        "Wipe a corporate device: it is told to erase itself, and leaves management with its identity revoked"),
                lifecycle("quarantine", DeviceStatus.QUARANTINED, "Quarantine a device"),
                lifecycle("release", DeviceStatus.ENROLLED, "Release a device from quarantine"),
                AdminRoute.post("/api/v1/devices/import", Permission.DEVICE_WRITE).tag("devices")
                        .summary("Register devices ahead of enrollment (at most 10,000 at a time)").body(DeviceImportRequest.class)
                        .returns(Imported.class).status(201).handle(request -> {
                            DeviceImportRequest body = request.body(DeviceImportRequest.class);
                            if (body.devices().isEmpty() || body.devices().size() > 10_000) {
                                throw ApiException.badRequest("import 1 to 10,000 devices at a time");
                            }
                            List<DeviceImport> imports = body.devices().stream().map(device -> new DeviceImport(device.platform(),
                                    device.serialNumber(), device.model().orElse(""), device.name().orElse(""),
                                    device.ownership().orElse(Ownership.CORPORATE), device.hardwareIds(), device.tags().orElse(Set.of()))).toList();
                            return new Imported(kernel.devices().importDevices(request.actor(), imports).stream().map(DeviceId::toString).toList());
                        }),
                AdminRoute.get("/api/v1/devices/{id}/recovery-keys", Permission.DEVICE_RECOVERY_KEY_READ).tag("devices").scopeEnforced()
                        .summary("The disk-encryption recovery keys the device escrowed, current and replaced (every read is audited)")
                        .returns(RecoveryKeys.Escrowed[].class).handle(request -> {
                            device(request);
                            List<RecoveryKeys.Escrowed> keys = kernel.recoveryKeys().read(request.actor(), id(request));
                            if (keys.isEmpty()) {
                                throw ApiException.notFound("device " + id(request) + " has escrowed no recovery key");
                            }
                            return ApiResponse.ok(keys).withHeader("Cache-Control", "no-store");
                        }),
                AdminRoute.get("/api/v1/devices/{id}/inventory", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                        .summary("What the device reported").returns(Map.class).handle(request -> {
                            device(request);
                            return kernel.devices().inventory(id(request));
                        }),
                AdminRoute.get("/api/v1/devices/{id}/groups", Permission.GROUP_READ).tag("devices").scopeEnforced().summary("The groups a device is in")
                        .returns(List.class).handle(request -> {
                            device(request);
                            return kernel.groups().groupsOf(id(request)).stream().map(group -> GroupResource.view(group, kernel.groups())).toList();
                        }),
                AdminRoute.get("/api/v1/devices/{id}/effective-policy", Permission.POLICY_READ).tag("devices").scopeEnforced()
                        .summary("The merged settings that apply to the device, with the policies each came from")
                        .returns(EffectiveSetting[].class).handle(request -> {
                            device(request);
                            return kernel.policies().effectiveSettings(id(request)).stream().map(effective -> new EffectiveSetting(
                                    new Setting(effective.setting().type(), effective.setting().key(),
                                            SettingSecrets.hidden(
                                                    kernel.policies().settingTypes().get(effective.setting().type()), effective.setting().value())), effective.policyIds())).toList();
                        }),
                AdminRoute.get("/api/v1/devices/{id}/settings", Permission.POLICY_READ).tag("devices").scopeEnforced()
                        .summary("Desired versus actual: each setting's state on the device, with the device's reason")
                        .returns(DeviceSettingState[].class).handle(request -> {
                            device(request);
                            return kernel.policies().settingStates(id(request));
                        }),
                AdminRoute.get("/api/v1/devices/{id}/commands", Permission.COMMAND_READ).tag("devices").scopeEnforced()
                        .summary("The device's commands, newest first").query("before", "a command id: only older ones")
                        .query("limit", "1 to 500, default 50").returns(CommandRecord[].class).handle(request -> {
                            device(request);
                            Optional<UUID> before = request.query("before").map(DeviceResource::uuid);
                            return kernel.commands().history(id(request), before, request.queryInt("limit", 50, 1, 500));
                        }),
                AdminRoute.post("/api/v1/devices/{id}/commands", Permission.DEVICE_ACTION).tag("devices").scopeEnforced()
                        .summary("Send the device a command (wipes need device_wipe, profile commands device_profile, app commands app_manage, RAW commands command_raw with all three)").body(NewCommand.class)
                        .returns(CommandRecord.class).status(201).handle(request -> {
                            NewCommand command = request.body(NewCommand.class);
                            CommandResource.checkCommand(request, command.type());
                            return ApiResponse.created(kernel.commands().issue(request.actor(), device(request).device().id(), command.request()));
                        }),
                AdminRoute.get("/api/v1/devices/{id}/compliance", Permission.COMPLIANCE_READ).tag("devices").scopeEnforced()
                        .summary("The device's compliance, failing rules and access decision").returns(AccessDecision.class)
                        .handle(request -> kernel.compliance().accessDecision(scopedId(request)).orElseThrow(() -> notFound(request))));
    }

    /** Retire and wipe: the kernel's one way to end management ({@link CommandService#endManagement}), as WIPE and ENTERPRISE_WIPE commands do. */
    private AdminRoute ending(String action, boolean wipe, Permission permission, String summary) {
        return AdminRoute.post("/api/v1/devices/{id}/" + action, permission).tag("devices").scopeEnforced().summary(summary)
                .body(Reason.class).returns(DeviceRecord.class).handle(request -> {
                    Optional<String> reason = request.exchange().getRequestContentLength() > 0
                            ? request.body(Reason.class).reason() : Optional.empty();
                    return kernel.commands().endManagement(request.actor(), scopedId(request), wipe, reason.orElse("by an admin"))
                            .orElseThrow(() -> notFound(request)).device();
                });
    }

    private AdminRoute lifecycle(String action, DeviceStatus target, String summary) {
        return AdminRoute.post("/api/v1/devices/{id}/" + action, Permission.DEVICE_WRITE).tag("devices").scopeEnforced().summary(summary)
                .body(Reason.class).returns(DeviceRecord.class).handle(request -> {
                    Optional<String> reason = request.exchange().getRequestContentLength() > 0
                            ? request.body(Reason.class).reason() : Optional.empty();
                    return kernel.devices().changeStatus(request.actor(), scopedId(request), target, reason.orElse("by an admin"))
                            .orElseThrow(() -> notFound(request));
                });
    }

    private DevicePage search(ApiRequest request) {
        return kernel.devices().search(filter(request, request.principal().scope()), request.queryEnum("sort", DeviceSort.class).orElse(DeviceSort.ID),
                request.query("cursor"), request.queryInt("limit", 50, 1, 1000));
    }

    /** The search's filter from the query, within the caller's scope. */
    static DeviceFilter filter(ApiRequest request, DeviceScope scope) {
        DeviceFilter.Builder filter = DeviceFilter.builder().scope(scope);
        request.query("platform").ifPresent(platform -> {
            try {
                filter.platform(new Platform(platform));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("query parameter 'platform' is not a platform id");
            }
        });
        request.queryEnum("status", DeviceStatus.class).ifPresent(filter::status);
        request.queryEnum("ownership", Ownership.class).ifPresent(filter::ownership);
        request.queryEnum("compliance", ComplianceState.class).ifPresent(filter::compliance);
        request.query("model").ifPresent(filter::model);
        request.query("name").ifPresent(filter::namePrefix);
        request.query("q").ifPresent(text -> {
            if (text.length() > 100) {
                throw ApiException.badRequest("query parameter 'q' is at most 100 characters");
            }
            filter.text(text);
        });
        request.query("serial").ifPresent(filter::serialNumber);
        request.query("user").ifPresent(filter::userId);
        request.query("tag").ifPresent(filter::tag);
        request.query("group").ifPresent(filter::groupId);
        request.query("osAtLeast").ifPresent(filter::osVersionAtLeast);
        request.query("osBelow").ifPresent(filter::osVersionBelow);
        return filter.build();
    }

    private DeviceRecord device(ApiRequest request) {
        return kernel.devices().get(scopedId(request)).orElseThrow(() -> notFound(request));
    }

    /** The path's device id, when that device is in the caller's scope; one outside it is answered as absent. */
    private DeviceId scopedId(ApiRequest request) {
        return scopedDeviceId(kernel, request, request.path("id"));
    }

    /**
     * Device ids from a request's body (400 for one that is not an id), each inside the caller's scope: one outside it
     * is answered as a device nobody has (404). Checked in a few statements however long the list.
     */
    static List<DeviceId> scopedDeviceIds(Kernel kernel, ApiRequest request, List<String> texts) {
        List<DeviceId> ids = texts.stream().map(text -> {
            try {
                return DeviceId.parse(text);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'" + text + "' is not a device id");
            }
        }).toList();
        if (request.principal().scoped()) {
            Set<DeviceId> inside = kernel.devices().inScopeAmong(request.principal().scope(), ids);
            ids.stream().filter(id -> !inside.contains(id)).findFirst().ifPresent(outside -> {
                throw ApiException.notFound("No device has the id '" + outside + "'.");
            });
        }
        return ids;
    }

    /**
     * A device id the caller named, checked against their scope: a device outside it gets the same 404 as an id no
     * device has, so a scoped admin cannot tell the two apart.
     */
    static DeviceId scopedDeviceId(Kernel kernel, ApiRequest request, String text) {
        DeviceId id;
        try {
            id = DeviceId.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("No device has the id '" + text + "'.");
        }
        if (!kernel.devices().inScope(request.principal().scope(), id)) {
            throw ApiException.notFound("No device has the id '" + text + "'.");
        }
        return id;
    }

    static DeviceId id(ApiRequest request) {
        try {
            return DeviceId.parse(request.path("id"));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("No device has the id '" + request.path("id") + "'.");
        }
    }

    static UUID uuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("'" + text + "' is not an id");
        }
    }

    private static ApiException notFound(ApiRequest request) {
        return ApiException.notFound("No device has the id '" + request.path("id") + "'.");
    }
}
