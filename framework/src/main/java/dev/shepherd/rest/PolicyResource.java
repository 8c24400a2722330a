package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingSecrets;
import dev.shepherd.policy.PolicyAssignment;
import dev.shepherd.policy.PolicyConflictException;
import dev.shepherd.policy.PolicyDiff;
import dev.shepherd.policy.PolicyService;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/** Setting types, policies (with ETag/If-Match), their versions and their assignments to groups. */
final class PolicyResource {

    record SettingTypeView(String name, String title, String source, JsonNode schema) {
    }

    record SettingBody(String type, JsonNode value) {
        SettingBody {
            requireNonNull(type, "type is null");
            requireNonNull(value, "value is null");
        }
    }

    record PolicyBody(String name, Optional<String> description, List<SettingBody> settings) {
        PolicyBody {
            requireNonNull(name, "name is null");
            requireNonNull(settings, "settings is null");
        }

        List<SettingInput> inputs() {
            return settings.stream().map(setting -> new SettingInput(setting.type(), setting.value())).toList();
        }
    }

    record Assignment(int priority) {
    }

    private final Kernel kernel;

    PolicyResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    private static final String POLICIES = "policies and their settings (secrets hidden), not devices";

    List<AdminRoute> routes() {
        PolicyService policies = kernel.policies();
        return List.of(
                AdminRoute.get("/api/v1/setting-types", Permission.POLICY_READ).tag("policies")
                        .deviceFree("setting types and their schemas, not devices")
                        .summary("Every setting type with its JSON Schema, for validation and forms").returns(SettingTypeView[].class)
                        .handle(request -> policies.settingTypes().all().values().stream()
                                .map(type -> new SettingTypeView(type.name(), type.title(), type.source(), type.schema())).toList()),
                AdminRoute.get("/api/v1/policies", Permission.POLICY_READ).tag("policies").deviceFree(POLICIES).summary("All policies").returns(Policy[].class)
                        .handle(request -> policies.list().stream().map(this::shown).toList()),
                AdminRoute.post("/api/v1/policies", Permission.POLICY_WRITE).tag("policies")
                        .summary("Create a policy; every setting is validated against its type's schema").body(PolicyBody.class)
                        .returns(Policy.class).status(201).handle(request -> {
                            PolicyBody body = request.body(PolicyBody.class);
                            Policy policy = policies.create(request.actor(), body.name(), body.description().orElse(""), body.inputs());
                            return ApiResponse.created(shown(policy)).withHeader("ETag", etag(policy));
                        }),
                AdminRoute.get("/api/v1/policies/{id}", Permission.POLICY_READ).tag("policies").deviceFree(POLICIES).summary("One policy; its ETag is its version")
                        .returns(Policy.class).handle(request -> {
                            Policy policy = policy(request);
                            return ApiResponse.ok(shown(policy)).withHeader("ETag", etag(policy));
                        }),
                AdminRoute.put("/api/v1/policies/{id}", Permission.POLICY_WRITE).tag("policies")
                        .summary("Replace a policy; If-Match with its ETag is required, so concurrent edits cannot overwrite each other")
                        .body(PolicyBody.class).returns(Policy.class).handle(request -> {
                            OptionalLong expected = requireIfMatch(request);
                            PolicyBody body = request.body(PolicyBody.class);
                            try {
                                Policy policy = policies.update(request.actor(), request.path("id"), body.name(), body.description().orElse(""),
                                        body.inputs(), expected).orElseThrow(() -> notFound(request));
                                return ApiResponse.ok(shown(policy)).withHeader("ETag", etag(policy));
                            } catch (PolicyConflictException e) {
                                throw preconditionFailedOrConflict(e);
                            }
                        }),
                AdminRoute.delete("/api/v1/policies/{id}", Permission.POLICY_WRITE).tag("policies")
                        .summary("Delete a policy (If-Match optional); its settings are removed from devices").status(204).handle(request -> {
                            try {
                                if (!policies.delete(request.actor(), request.path("id"), request.ifMatch())) {
                                    throw notFound(request);
                                }
                            } catch (PolicyConflictException e) {
                                throw preconditionFailedOrConflict(e);
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/policies/{id}/versions", Permission.POLICY_READ).tag("policies").deviceFree(POLICIES).summary("Every version, newest first")
                        .returns(Policy[].class).handle(request -> {
                            policy(request);
                            return policies.versions(request.path("id")).stream().map(this::shown).toList();
                        }),
                AdminRoute.get("/api/v1/policies/{id}/versions/{version}", Permission.POLICY_READ).tag("policies").deviceFree(POLICIES)
                        .summary("One version as it was saved, read-only (secrets hidden); the description is the policy's current one")
                        .returns(Policy.class).handle(request -> {
                            policy(request);
                            long version = versionNumber(request.path("version"), "version");
                            return shown(policies.version(request.path("id"), version).orElseThrow(() -> noVersion(request, version)));
                        }),
                AdminRoute.get("/api/v1/policies/{id}/diff", Permission.POLICY_READ).tag("policies").deviceFree(POLICIES)
                        .summary("What changed between two versions, setting by setting and field by field with the forms' labels; "
                                + "secret fields say only whether they changed")
                        .query("from", "a version number (required)").query("to", "a version number; default the current version")
                        .returns(PolicyDiff.class).handle(request -> {
                            Policy policy = policy(request);
                            long from = versionNumber(request.query("from").orElseThrow(
                                    () -> ApiException.badRequest("Say which version to compare from, as ?from=<version>.")), "from");
                            long to = request.query("to").isPresent() ? versionNumber(request.query("to").get(), "to") : policy.version();
                            return policies.diff(policy.id(), from, to).orElseThrow(() -> noVersion(request,
                                    policies.version(policy.id(), from).isEmpty() ? from : to));
                        }),
                AdminRoute.post("/api/v1/policies/{id}/versions/{version}/rollback", Permission.POLICY_WRITE).tag("policies")
                        .summary("Roll back to a version: saves a new version with its name and settings (validated again); "
                                + "If-Match with the current ETag is required").returns(Policy.class).handle(request -> {
                            OptionalLong expected = requireIfMatch(request);
                            policy(request);
                            long version = versionNumber(request.path("version"), "version");
                            try {
                                Policy policy = policies.rollback(request.actor(), request.path("id"), version, expected)
                                        .orElseThrow(() -> noVersion(request, version));
                                return ApiResponse.ok(shown(policy)).withHeader("ETag", etag(policy));
                            } catch (PolicyConflictException e) {
                                throw preconditionFailedOrConflict(e);
                            }
                        }),
                AdminRoute.get("/api/v1/policies/{id}/assignments", Permission.POLICY_READ).tag("policies")
                        .deviceFree("a policy's assignments name groups and priorities, not devices").summary("The groups a policy applies to")
                        .returns(PolicyAssignment[].class).handle(request -> {
                            policy(request);
                            return policies.assignments(Optional.of(request.path("id")), Optional.empty());
                        }),
                AdminRoute.put("/api/v1/policies/{id}/assignments/{groupId}", Permission.POLICY_WRITE).tag("policies").scopeEnforced()
                        .summary("Assign a policy to a group with a priority (higher wins), or change the priority").body(Assignment.class)
                        .returns(PolicyAssignment.class).handle(request -> policies.assign(request.actor(), request.path("id"),
                                request.path("groupId"), request.body(Assignment.class).priority())),
                AdminRoute.delete("/api/v1/policies/{id}/assignments/{groupId}", Permission.POLICY_WRITE).tag("policies").scopeEnforced()
                        .summary("Stop applying a policy to a group").status(204).handle(request -> {
                            if (!policies.unassign(request.actor(), request.path("id"), request.path("groupId"))) {
                                throw ApiException.notFound("The policy is not assigned to that group.");
                            }
                            return ApiResponse.noContent();
                        }));
    }

    private static OptionalLong requireIfMatch(ApiRequest request) {
        OptionalLong expected = request.ifMatch();
        if (expected.isEmpty()) {
            throw new ApiException(Problem.of(428, "precondition-required", "If-Match required",
                    "Send the policy's ETag in If-Match, so a concurrent change is not overwritten."));
        }
        return expected;
    }

    private static ApiException preconditionFailedOrConflict(PolicyConflictException e) {
        return e.getMessage().contains("is at version")
                ? new ApiException(Problem.of(412, "precondition-failed", "The policy changed", e.getMessage()))
                : ApiException.conflict(e.getMessage());
    }

    private static long versionNumber(String text, String name) {
        try {
            long version = Long.parseLong(text);
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException e) {
            // answered below, as for a number out of range
        }
        throw ApiException.badRequest(name + " must be a version number (1 or more), not '" + text + "'.");
    }

    private static ApiException noVersion(ApiRequest request, long version) {
        return ApiException.notFound("Policy '" + request.path("id") + "' has no version " + version + ".");
    }

    private Policy policy(ApiRequest request) {
        return kernel.policies().get(request.path("id")).orElseThrow(() -> notFound(request));
    }

    static String etag(Policy policy) {
        return "\"" + policy.version() + "\"";
    }

    private static ApiException notFound(ApiRequest request) {
        return ApiException.notFound("No policy has the id '" + request.path("id") + "'.");
    }

    /**
     * A policy as admins read it: secret fields (passwords, shared secrets) are sealed at rest and never sent back; to
     * keep one when editing, leave it out.
     */
    private Policy shown(Policy policy) {
        return new Policy(policy.id(), policy.name(), policy.description(), policy.settings().stream()
                .map(setting -> new Setting(setting.type(), setting.key(),
                        SettingSecrets.hidden(kernel.policies().settingTypes().get(setting.type()), setting.value())))
                .toList(), policy.version(), policy.updatedBy(), policy.createdAt(), policy.updatedAt());
    }
}
