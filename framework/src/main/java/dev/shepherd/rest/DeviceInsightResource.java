package dev.shepherd.rest;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.compliance.ComplianceReport;
import dev.shepherd.device.DeviceActivity;
import dev.shepherd.group.DeviceMemberships;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.policy.SettingProvenance;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The device page's answers to "why": why it is not compliant, why it is in each group, where each setting comes
 * from, and what happened to it. Each route is scoped like the other device routes: a device outside the caller's
 * scope is answered as one nobody has.
 */
final class DeviceInsightResource {

    private final Kernel kernel;
    private final DeviceMemberships memberships;
    private final SettingProvenance provenance;
    private final DeviceActivity activity;

    DeviceInsightResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.memberships = new DeviceMemberships(kernel.groups(), kernel.devices(), kernel.directory(), kernel.userDirectory());
        this.provenance = new SettingProvenance(kernel.policies(), kernel.groups(), kernel.json().mapper());
        this.activity = new DeviceActivity(kernel.events(), kernel.audit());
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/devices/{id}/compliance/report", Permission.COMPLIANCE_READ).tag("devices").scopeEnforced()
                        .summary("Why the device is or is not compliant: each failing rule with the device's value, its grace period, "
                                + "and its remediation steps (taken, and the next one with when it falls due)")
                        .returns(ComplianceReport.class)
                        .handle(request -> kernel.compliance().report(device(request)).orElseThrow(() -> notFound(request))),
                AdminRoute.get("/api/v1/devices/{id}/memberships", Permission.GROUP_READ).tag("devices").scopeEnforced()
                        .summary("The groups the device is in (those of a scoped admin's scope) and why: since when, and for a smart "
                                + "group each condition of its rule beside the device's own values")
                        .returns(DeviceMemberships.Membership[].class)
                        .handle(request -> memberships.of(device(request), request.principal().scope()).orElseThrow(() -> notFound(request))),
                AdminRoute.get("/api/v1/devices/{id}/policy-settings", Permission.POLICY_READ).tag("devices").scopeEnforced()
                        .summary("Every effective setting with the policies that set it (which one won a conflict, and how), and its "
                                + "state on the device; secret fields are named, never shown")
                        .returns(SettingProvenance.ExplainedSetting[].class)
                        .handle(request -> {
                            DeviceId id = device(request);
                            requireExists(request, id);
                            return provenance.of(id);
                        }),
                AdminRoute.get("/api/v1/devices/{id}/activity", Permission.DEVICE_READ).tag("devices").scopeEnforced()
                        .summary("What happened to the device, newest first: its events and, for callers allowed the audit log "
                                + "(audit_read), the audit entries about it")
                        .query("cursor", "from the previous page's nextCursor").query("limit", "1 to 200, default 50")
                        .returns(DeviceActivity.Page.class)
                        .handle(request -> {
                            DeviceId id = device(request);
                            requireExists(request, id);
                            try {
                                return activity.read(id, request.query("cursor"), request.queryInt("limit", 50, 1, 200),
                                        request.principal().role().allows(Permission.AUDIT_READ));
                            } catch (IllegalArgumentException e) {
                                throw ApiException.badRequest(e.getMessage());
                            }
                        }));
    }

    /** The path's device id, inside the caller's scope. */
    private DeviceId device(ApiRequest request) {
        return DeviceResource.scopedDeviceId(kernel, request, request.path("id"));
    }

    private void requireExists(ApiRequest request, DeviceId id) {
        if (kernel.devices().get(id).isEmpty()) {
            throw notFound(request);
        }
    }

    private static ApiException notFound(ApiRequest request) {
        return ApiException.notFound("No device has the id '" + request.path("id") + "'.");
    }
}
