package dev.shepherd.rest;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.command.CommandRefusedException;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DevicePage;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.device.DeviceViews;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/** Fleet tools over the device list: total counts, export, bulk actions, saved views and the chosen columns. */
final class FleetResource {

    /** At most this many devices leave in one export; a bigger view is refused before anything is sent. */
    static final int MAX_EXPORT = 100_000;
    static final int MAX_BULK = 1000;
    private static final int EXPORT_PAGE = 1000;

    record DeviceCount(long total) {
    }

    record NewView(String name, String query, Optional<List<String>> columns, Optional<Boolean> shared) {
        NewView {
            requireNonNull(name, "name is null");
            requireNonNull(query, "query is null");
        }
    }

    record Columns(List<String> columns) {
        Columns {
            requireNonNull(columns, "columns is null");
        }
    }

    /**
     * One action on the listed devices.
     *
     * @param action add_to_group, tag, untag, command or retire
     */
    record BulkAction(String action, List<String> deviceIds, Optional<String> groupId, Optional<String> tag,
                      Optional<DeviceResource.NewCommand> command, Optional<String> reason) {
        BulkAction {
            requireNonNull(action, "action is null");
            requireNonNull(deviceIds, "deviceIds is null");
        }
    }

    /**
     * What became of one device.
     *
     * @param outcome done, refused (with why) or not_found (no such device in the caller's scope)
     */
    record DeviceOutcome(String deviceId, String outcome, Optional<String> detail) {
    }

    record BulkResult(String action, int done, int refused, int notFound, List<DeviceOutcome> devices) {
    }

    private enum Action { ADD_TO_GROUP, TAG, UNTAG, COMMAND, RETIRE }

    /** The export's columns: a key and how to read it from a device. */
    private static final Map<String, Function<Device, String>> EXPORT_COLUMNS = exportColumns();

    private final Kernel kernel;
    private final DeviceViews views;

    FleetResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.views = new DeviceViews(kernel.transactions(), kernel.clock());
    }

    private static Map<String, Function<Device, String>> exportColumns() {
        Map<String, Function<Device, String>> columns = new LinkedHashMap<>();
        columns.put("id", device -> device.id().toString());
        columns.put("name", Device::name);
        columns.put("platform", device -> device.platform().id());
        columns.put("model", Device::model);
        columns.put("osVersion", Device::osVersion);
        columns.put("serialNumber", Device::serialNumber);
        columns.put("user", device -> device.userId().orElse(""));
        columns.put("status", device -> device.status().name());
        columns.put("compliance", device -> device.compliance().name());
        columns.put("ownership", device -> device.ownership().name());
        columns.put("tags", device -> String.join(" ", device.tags().stream().sorted().toList()));
        columns.put("lastCheckIn", device -> device.lastCheckIn().map(Object::toString).orElse(""));
        return Collections.unmodifiableMap(columns);
    }

    List<AdminRoute> routes() {
        AdminRoute.Builder count = AdminRoute.get("/api/v1/devices/count", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                .summary("How many devices match the filters of GET /api/v1/devices (a scoped admin's devices only)")
                .returns(DeviceCount.class);
        AdminRoute.Builder export = AdminRoute.get("/api/v1/devices/export", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                .summary("Every device matching the filters of GET /api/v1/devices, streamed as CSV or a JSON array"
                        + " (at most " + MAX_EXPORT + "; a bigger view is refused with 400)")
                .query("format", "csv (default) or json")
                .query("columns", "comma-separated: " + String.join(", ", EXPORT_COLUMNS.keySet()) + " (default all; id always first)")
                .returns(String.class);
        DeviceResource.SEARCH_PARAMETERS.stream().filter(parameter -> !parameter[0].equals("cursor") && !parameter[0].equals("limit"))
                .forEach(parameter -> {
                    count.query(parameter[0], parameter[1]);
                    export.query(parameter[0], parameter[1]);
                });
        return List.of(
                count.handle(request -> new DeviceCount(kernel.devices().count(DeviceResource.filter(request, request.principal().scope())))),
                export.handle(this::export),
                AdminRoute.post("/api/v1/devices/bulk", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                        .summary("One action on up to " + MAX_BULK + " listed devices: add_to_group (group_write), tag or untag"
                                + " (device_write), command (as POST /api/v1/devices/{id}/commands) or retire (device_wipe);"
                                + " each device's outcome is reported, those outside the caller's scope as not_found")
                        .body(BulkAction.class).returns(BulkResult.class).handle(this::bulk),
                AdminRoute.get("/api/v1/device-views", Permission.DEVICE_READ).tag("devices")
                        .deviceFree("saved list queries; the devices they show are scoped when they run")
                        .summary("Your saved device list views and those other admins shared").returns(DeviceViews.View[].class)
                        .handle(request -> views.visibleTo(request.principal().username())),
                AdminRoute.post("/api/v1/device-views", Permission.DEVICE_READ).tag("devices")
                        .deviceFree("saved list queries; the devices they show are scoped when they run")
                        .summary("Save the device list's query (filters, search, sort) and columns as a named view, optionally shared")
                        .body(NewView.class).returns(DeviceViews.View.class).status(201).handle(request -> {
                            NewView body = request.body(NewView.class);
                            return ApiResponse.created(views.create(request.principal().username(), body.name(), body.query(),
                                    body.columns().orElse(DeviceViews.DEFAULT_COLUMNS), body.shared().orElse(false)));
                        }),
                AdminRoute.delete("/api/v1/device-views/{id}", Permission.DEVICE_READ).tag("devices")
                        .deviceFree("saved list queries; the devices they show are scoped when they run")
                        .summary("Delete one of your saved views").status(204).handle(request -> {
                            if (!views.delete(request.principal().username(), request.path("id"))) {
                                throw ApiException.notFound("You have no saved view with the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/device-views/columns", Permission.DEVICE_READ).tag("devices")
                        .deviceFree("a display preference").summary("The device list columns you chose (or the default ones)")
                        .returns(Columns.class).handle(request -> new Columns(views.columns(request.principal().username()))),
                AdminRoute.put("/api/v1/device-views/columns", Permission.DEVICE_READ).tag("devices")
                        .deviceFree("a display preference").summary("Choose the device list's columns, remembered for you")
                        .body(Columns.class).returns(Columns.class).handle(request ->
                                new Columns(views.chooseColumns(request.principal().username(), request.body(Columns.class).columns()))));
    }

    private Object export(ApiRequest request) {
        String format = request.query("format").orElse("csv").toLowerCase(Locale.ROOT);
        if (!format.equals("csv") && !format.equals("json")) {
            throw ApiException.badRequest("format is csv or json, not '" + format + "'");
        }
        List<String> columns = exportColumns(request.query("columns"));
        DeviceFilter filter = DeviceResource.filter(request, request.principal().scope());
        DeviceSort sort = request.queryEnum("sort", DeviceSort.class).orElse(DeviceSort.ID);
        long matching = kernel.devices().count(filter);
        if (matching > MAX_EXPORT) {
            throw new ApiException(Problem.of(400, "export-too-large", "Too many devices to export",
                    matching + " devices match; an export holds at most " + MAX_EXPORT + ". Narrow the filters."));
        }
        boolean csv = format.equals("csv");
        request.exchange().setStatusCode(200);
        request.exchange().getResponseHeaders().put(Headers.CONTENT_TYPE, csv ? "text/csv; charset=utf-8" : "application/json");
        request.exchange().getResponseHeaders().put(Headers.CONTENT_DISPOSITION,
                "attachment; filename=\"shepherd-devices." + format + "\"");
        request.exchange().getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        request.exchange().startBlocking();
        try (OutputStream out = request.exchange().getOutputStream()) {
            if (csv) {
                write(out, String.join(",", columns) + "\r\n");
            } else {
                write(out, "[");
            }
            Optional<String> cursor = Optional.empty();
            int written = 0;
            do {
                DevicePage page = kernel.devices().search(filter, sort, cursor, EXPORT_PAGE);
                for (DeviceRecord record : page.items()) {
                    if (written == MAX_EXPORT) {
                        break; // devices added since the count: the bound holds
                    }
                    Map<String, String> row = new LinkedHashMap<>();
                    columns.forEach(column -> row.put(column, EXPORT_COLUMNS.get(column).apply(record.device())));
                    if (csv) {
                        write(out, String.join(",", row.values().stream().map(FleetResource::csvCell).toList()) + "\r\n");
                    } else {
                        write(out, (written == 0 ? "" : ",") + kernel.json().write(row));
                    }
                    written++;
                }
                cursor = written == MAX_EXPORT ? Optional.empty() : page.nextCursor();
            } while (cursor.isPresent());
            if (!csv) {
                write(out, "]");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    private static List<String> exportColumns(Optional<String> requested) {
        if (requested.isEmpty() || requested.get().isBlank()) {
            return List.copyOf(EXPORT_COLUMNS.keySet());
        }
        Set<String> columns = new LinkedHashSet<>();
        columns.add("id");
        for (String column : requested.get().split(",")) {
            String key = column.strip();
            if (!EXPORT_COLUMNS.containsKey(key)) {
                throw ApiException.badRequest("'" + key + "' is not an export column; the columns are "
                        + String.join(", ", EXPORT_COLUMNS.keySet()));
            }
            columns.add(key);
        }
        return List.copyOf(columns);
    }

    /**
     * A CSV cell (RFC 4180 quoting). A value a spreadsheet would run as a formula (=, +, -, @ first) is prefixed
     * with an apostrophe: device names and models come from devices, not from admins.
     */
    static String csvCell(String value) {
        String safe = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        return safe.chars().anyMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')
                ? "\"" + safe.replace("\"", "\"\"") + "\"" : safe;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private BulkResult bulk(ApiRequest request) {
        BulkAction body = request.body(BulkAction.class);
        Action action;
        try {
            action = Action.valueOf(body.action().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("action is one of add_to_group, tag, untag, command, retire; not '" + body.action() + "'");
        }
        if (body.deviceIds().isEmpty() || body.deviceIds().size() > MAX_BULK) {
            throw ApiException.badRequest("deviceIds lists 1 to " + MAX_BULK + " devices");
        }
        requirePermission(request, switch (action) {
            case ADD_TO_GROUP -> Permission.GROUP_WRITE;
            case TAG, UNTAG -> Permission.DEVICE_WRITE;
            case COMMAND -> Permission.DEVICE_ACTION;
            case RETIRE -> Permission.DEVICE_WIPE;
        });
        List<DeviceId> listed = new ArrayList<>();
        for (String text : new LinkedHashSet<>(body.deviceIds())) {
            try {
                listed.add(DeviceId.parse(text));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'" + text + "' is not a device id");
            }
        }
        Set<DeviceId> reachable = kernel.devices().inScopeAmong(request.principal().scope(), listed);
        List<DeviceOutcome> outcomes = new ArrayList<>();
        List<DeviceId> inside = new ArrayList<>();
        for (DeviceId id : listed) {
            if (reachable.contains(id)) {
                inside.add(id);
            } else {
                outcomes.add(new DeviceOutcome(id.toString(), "not_found", Optional.of("no such device in your scope")));
            }
        }
        switch (action) {
            case ADD_TO_GROUP -> {
                String groupId = body.groupId().orElseThrow(() -> ApiException.badRequest("add_to_group needs groupId"));
                GroupResource.requireGroupInScope(request, groupId);
                if (kernel.groups().get(groupId).isEmpty()) {
                    throw ApiException.badRequest("no group has the id '" + groupId + "'");
                }
                if (!inside.isEmpty()) {
                    kernel.groups().addMembers(request.actor(), groupId, inside);
                }
                inside.forEach(id -> outcomes.add(new DeviceOutcome(id.toString(), "done", Optional.empty())));
            }
            case TAG, UNTAG -> {
                String tag = body.tag().map(String::strip).filter(text -> !text.isEmpty())
                        .orElseThrow(() -> ApiException.badRequest(body.action() + " needs a tag"));
                inside.forEach(id -> outcomes.add(each(id, () -> {
                    DeviceRecord record = kernel.devices().get(id).orElseThrow(() -> new DeviceConflictException("the device was deleted"));
                    Set<String> tags = new LinkedHashSet<>(record.device().tags());
                    boolean changed = action == Action.TAG ? tags.add(tag) : tags.remove(tag);
                    if (changed) {
                        kernel.devices().update(request.actor(), id, new DeviceChanges(Optional.empty(), Optional.empty(),
                                Optional.empty(), Optional.of(tags), Optional.empty()), OptionalLong.of(record.version()));
                    }
                })));
            }
            case COMMAND -> {
                DeviceResource.NewCommand command = body.command().orElseThrow(() -> ApiException.badRequest("command needs command"));
                CommandResource.checkCommand(request, command.type());
                inside.forEach(id -> outcomes.add(each(id, () -> kernel.commands().issue(request.actor(), id, command.request()))));
            }
            case RETIRE -> {
                String reason = body.reason().orElse("by an admin, in bulk");
                inside.forEach(id -> outcomes.add(each(id, () -> kernel.commands().endManagement(request.actor(), id, false, reason)
                        .orElseThrow(() -> new DeviceConflictException("the device was deleted")))));
            }
        }
        // Reported in the order the caller listed the devices.
        Map<String, DeviceOutcome> byId = new LinkedHashMap<>();
        outcomes.forEach(outcome -> byId.put(outcome.deviceId(), outcome));
        List<DeviceOutcome> ordered = listed.stream().map(id -> byId.get(id.toString())).toList();
        return new BulkResult(action.name().toLowerCase(Locale.ROOT),
                (int) ordered.stream().filter(outcome -> outcome.outcome().equals("done")).count(),
                (int) ordered.stream().filter(outcome -> outcome.outcome().equals("refused")).count(),
                (int) ordered.stream().filter(outcome -> outcome.outcome().equals("not_found")).count(), ordered);
    }

    /** Runs one device's part; a refusal of that device (its state forbids it) is its outcome, not the request's. */
    private static DeviceOutcome each(DeviceId id, Runnable work) {
        try {
            work.run();
            return new DeviceOutcome(id.toString(), "done", Optional.empty());
        } catch (CommandRefusedException | DeviceConflictException | IllegalArgumentException e) {
            return new DeviceOutcome(id.toString(), "refused", Optional.ofNullable(e.getMessage()));
        }
    }

    private static void requirePermission(ApiRequest request, Permission permission) {
        if (!request.principal().role().allows(permission)) {
            throw ApiException.forbidden("The " + request.principal().role().name().toLowerCase(Locale.ROOT) + " role lacks the "
                    + permission.name().toLowerCase(Locale.ROOT) + " permission this action needs.");
        }
    }
}
