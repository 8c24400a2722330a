package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.compliance.AccessDecision;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.compliance.ComplianceRule;
import dev.shepherd.compliance.Remediation;
import dev.shepherd.compliance.RemediationStep;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Compliance rules and the conditional-access query. */
final class ComplianceResource {

    record NewRule(String name, ComplianceCheck check, Optional<JsonNode> parameters, Optional<String> groupId,
                   Optional<Integer> graceHours, Optional<List<RemediationStep>> remediation) {
        NewRule {
            requireNonNull(name, "name is null");
            requireNonNull(check, "check is null");
            parameters = Pages.present(parameters);
        }
    }

    record RuleSwitch(boolean enabled) {
    }

    private final Kernel kernel;

    ComplianceResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/compliance/rules", Permission.COMPLIANCE_READ).tag("compliance").summary("All compliance rules")
                        .deviceFree("compliance rules are conditions over reported facts, not devices")
                        .returns(ComplianceRule[].class).handle(request -> kernel.compliance().rules()),
                AdminRoute.post("/api/v1/compliance/rules", Permission.COMPLIANCE_WRITE).tag("compliance")
                        .summary("Create a rule with its grace period and remediation schedule").body(NewRule.class)
                        .returns(ComplianceRule.class).status(201).handle(request -> {
                            NewRule body = request.body(NewRule.class);
                            // A rule that wipes devices wipes them in its author's name: it needs the wipe permission too.
                            if (body.remediation().orElse(List.of()).stream().anyMatch(step -> step.action() == Remediation.ENTERPRISE_WIPE)) {
                                CommandResource.checkCommand(request, CommandType.ENTERPRISE_WIPE);
                            }
                            return ApiResponse.created(kernel.compliance().create(request.actor(), body.name(), body.check(),
                                    body.parameters().orElseGet(() -> kernel.json().mapper().createObjectNode()), body.groupId(),
                                    body.graceHours().orElse(0), body.remediation().orElse(List.of())));
                        }),
                AdminRoute.get("/api/v1/compliance/rules/{id}", Permission.COMPLIANCE_READ).tag("compliance").summary("One rule")
                        .deviceFree("a compliance rule is a condition over reported facts, not a device")
                        .returns(ComplianceRule.class).handle(request -> kernel.compliance().rule(request.path("id"))
                                .orElseThrow(() -> ApiException.notFound("No compliance rule has the id '" + request.path("id") + "'."))),
                AdminRoute.put("/api/v1/compliance/rules/{id}", Permission.COMPLIANCE_WRITE).tag("compliance")
                        .summary("Change a rule: what it checks, where, its grace period and remediation (If-Match: the version you saw)")
                        .body(NewRule.class).returns(ComplianceRule.class).handle(request -> {
                            NewRule body = request.body(NewRule.class);
                            if (body.remediation().orElse(List.of()).stream().anyMatch(step -> step.action() == Remediation.ENTERPRISE_WIPE)) {
                                CommandResource.checkCommand(request, CommandType.ENTERPRISE_WIPE);
                            }
                            return kernel.compliance().update(request.actor(), request.path("id"), body.name(), body.check(),
                                    body.parameters().orElseGet(() -> kernel.json().mapper().createObjectNode()), body.groupId(),
                                    body.graceHours().orElse(0), body.remediation().orElse(List.of()), request.ifMatch())
                                    .orElseThrow(() -> ApiException.notFound("No compliance rule has the id '" + request.path("id") + "'."));
                        }),
                AdminRoute.patch("/api/v1/compliance/rules/{id}", Permission.COMPLIANCE_WRITE).tag("compliance")
                        .summary("Turn a rule on or off").body(RuleSwitch.class).returns(ComplianceRule.class)
                        .handle(request -> kernel.compliance().setEnabled(request.actor(), request.path("id"),
                                request.body(RuleSwitch.class).enabled(), request.ifMatch())
                                .orElseThrow(() -> ApiException.notFound("No compliance rule has the id '" + request.path("id") + "'."))),
                AdminRoute.delete("/api/v1/compliance/rules/{id}", Permission.COMPLIANCE_WRITE).tag("compliance")
                        .summary("Delete a rule").status(204).handle(request -> {
                            if (!kernel.compliance().delete(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("No compliance rule has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/access", Permission.ACCESS_QUERY).tag("compliance").scopeEnforced()
                        .summary("Conditional access: may this device reach corporate resources now? By device id or hardware id")
                        .query("deviceId", "the device's id").query("platform", "with kind and value: the platform")
                        .query("kind", "the hardware id's kind, such as udid").query("value", "the hardware id")
                        .returns(AccessDecision.class).handle(request -> {
                            DeviceId device;
                            if (request.query("deviceId").isPresent()) {
                                device = new DeviceId(DeviceResource.uuid(request.query("deviceId").get()));
                            } else {
                                String platform = request.query("platform").orElseThrow(() ->
                                        ApiException.badRequest("give deviceId, or platform, kind and value"));
                                String kind = request.query("kind").orElseThrow(() -> ApiException.badRequest("kind is required with platform"));
                                String value = request.query("value").orElseThrow(() -> ApiException.badRequest("value is required with platform"));
                                Platform parsed;
                                try {
                                    parsed = new Platform(platform);
                                } catch (IllegalArgumentException e) {
                                    throw ApiException.badRequest("'" + platform + "' is not a platform id");
                                }
                                // Outside the caller's scope, a device is answered as no device at all.
                                device = kernel.devices().idByHardwareId(parsed, kind, value)
                                        .filter(found -> kernel.devices().inScope(request.principal().scope(), found))
                                        .orElseThrow(() -> ApiException.notFound("No device has that hardware id."));
                            }
                            if (!kernel.devices().inScope(request.principal().scope(), device)) {
                                throw ApiException.notFound("No such device.");
                            }
                            return kernel.compliance().accessDecision(device)
                                    .orElseThrow(() -> ApiException.notFound("No such device."));
                        }));
    }
}
