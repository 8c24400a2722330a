package dev.shepherd.rest;

import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.group.GroupService;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.security.AdminRoles;
import dev.shepherd.security.AdminUser;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.CustomRole;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Principal;
import dev.shepherd.security.Role;
import dev.shepherd.server.Kernel;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * Admin roles: the built-in presets and the custom roles made from the existing permissions. Nobody grants what they
 * do not hold, and no change may leave the server without an enabled account that can manage admins.
 */
final class RoleResource {

    /** A role as the API shows it; a built-in's name is its constant (ADMIN, OPERATOR, ...), as it always was. */
    record RoleView(String id, String name, String description, Set<Permission> permissions, boolean builtIn) {
        static RoleView of(Role role) {
            // In the enum's order, so a role reads the same each time.
            return new RoleView(role.id(), role.name(), role.description(), new TreeSet<>(role.permissions()), role.builtIn());
        }
    }

    /** A custom role's content, for creating and for replacing one. */
    record RoleBody(String name, Optional<String> description, Set<Permission> permissions) {
        RoleBody {
            requireNonNull(name, "name is null");
            description = description == null ? Optional.empty() : description;
            requireNonNull(permissions, "permissions is null");
        }
    }

    private final Kernel kernel;
    private final AdminUserStore admins;
    private final AdminRoles roles;

    RoleResource(Kernel kernel, AdminUserStore admins) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.admins = requireNonNull(admins, "admins is null");
        this.roles = admins.roles();
    }

    /** @return the role with that id, or a 400 naming the unknown id (a request body refers to it) */
    private static final String ROLES = "roles are named sets of permissions, not devices; granting one is scoped on the account";

    static Role existing(AdminRoles roles, String id) {
        return roles.find(requireNonNull(id, "role is null"))
                .orElseThrow(() -> ApiException.badRequest("there is no role '" + id + "'"));
    }

    /** Refuses (403) a role with permissions the acting admin lacks: nobody grants what they do not hold. */
    static void requireCovered(Principal actor, Role role) {
        if (!actor.role().covers(role)) {
            throw ApiException.forbidden("You cannot grant the role '" + role.name() + "': it holds permissions your role lacks.");
        }
    }

    /**
     * The scope a request asks for: no group is the whole fleet, otherwise groups that exist now (a grant naming a
     * group nobody made is a mistake, refused with 400).
     */
    static DeviceScope requestedScope(GroupService groups, List<String> groupIds) {
        if (groupIds.isEmpty()) {
            return DeviceScope.FLEET;
        }
        DeviceScope scope;
        try {
            scope = DeviceScope.groups(groupIds);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("scope: " + e.getMessage());
        }
        scope.groupIds().orElseThrow().forEach(groupId -> {
            if (groups.get(groupId).isEmpty()) {
                throw ApiException.badRequest("scope: there is no device group '" + groupId + "'");
            }
        });
        return scope;
    }

    /** The scope as the audit log records it: the group ids, or "fleet". */
    static Object auditedScope(DeviceScope scope) {
        return scope.groupIds().<Object>map(List::copyOf).orElse("fleet");
    }

    /** Refuses (403) a scope wider than the acting admin's own: nobody grants devices they cannot reach. */
    static void requireScopeCovered(Principal actor, DeviceScope scope) {
        if (!actor.scope().covers(scope)) {
            throw ApiException.forbidden("You cannot grant a scope wider than your own (" + actor.scope() + ").");
        }
    }

    /**
     * Refuses (403) acting on an account whose scope reaches devices the acting admin's does not: taking it over
     * (a new password, a removed second factor) would widen the actor's reach.
     */
    static void requireWithinScope(Principal actor, AdminUser account) {
        if (!actor.scope().covers(account.scope())) {
            throw ApiException.forbidden("The account '" + account.username() + "' reaches devices outside your scope.");
        }
    }

    /**
     * Refuses (409) a change after which no enabled account could manage admins over the whole fleet: an admin
     * manager scoped to some groups cannot grant the rest, so the fleet would be locked out.
     *
     * @param after each account as it would be after the change
     */
    static void requireAdminManagerLeft(List<AdminUser> accounts, Function<AdminUser, AdminUser> after) {
        boolean someoneLeft = accounts.stream().map(after).anyMatch(account -> !account.disabled()
                && account.role().allows(Permission.ADMIN_MANAGE) && account.scope().isFleet());
        if (!someoneLeft) {
            throw ApiException.conflict("this would leave no enabled account that can manage admins over the whole fleet");
        }
    }

    /**
     * Refuses (403) editing or deleting a role held by an account reaching devices outside the acting admin's scope:
     * a scoped admin would otherwise change what someone may do on devices they cannot reach themselves.
     */
    private void requireHoldersWithinScope(Principal actor, Role role) {
        admins.list().stream().filter(account -> account.role().id().equals(role.id())).forEach(account -> {
            if (!actor.scope().covers(account.scope())) {
                throw ApiException.forbidden("The role '" + role.name() + "' is held by '" + account.username()
                        + "', whose scope reaches devices outside yours.");
            }
        });
    }

    private CustomRole custom(String id) {
        return roles.find(id).filter(role -> !role.builtIn()).map(CustomRole.class::cast)
                .orElseThrow(() -> roles.find(id).isPresent()
                        ? ApiException.conflict("the built-in role '" + id + "' cannot be changed; make a custom role from it instead")
                        : ApiException.notFound("There is no role '" + id + "'."));
    }

    private Object create(ApiRequest request) throws AdminRoles.DuplicateRoleException {
        RoleBody body = request.body(RoleBody.class);
        requireCovered(request.principal(), new CustomRole("new", body.name(), "", body.permissions()));
        CustomRole created = roles.create(body.name(), body.description().orElse(""), body.permissions());
        kernel.audit().append(new AuditRecord(request.actor(), "role.create", "role", created.id(), Optional.empty(),
                Optional.of(kernel.json().write(RoleView.of(created)))));
        return ApiResponse.created(RoleView.of(created));
    }

    private Object update(ApiRequest request) throws AdminRoles.DuplicateRoleException {
        CustomRole before = custom(request.path("id"));
        RoleBody body = request.body(RoleBody.class);
        CustomRole proposed = new CustomRole(before.id(), body.name(), body.description().orElse(""), body.permissions());
        requireCovered(request.principal(), before);
        requireCovered(request.principal(), proposed);
        requireHoldersWithinScope(request.principal(), before);
        requireAdminManagerLeft(admins.list(), account -> account.role().id().equals(before.id())
                ? new AdminUser(account.id(), account.username(), proposed, account.createdAt(), account.disabled(), account.scope()) : account);
        CustomRole after = roles.update(before.id(), body.name(), body.description().orElse(""), body.permissions())
                .orElseThrow(() -> ApiException.notFound("There is no role '" + before.id() + "'."));
        kernel.audit().append(new AuditRecord(request.actor(), "role.update", "role", after.id(),
                Optional.of(kernel.json().write(RoleView.of(before))), Optional.of(kernel.json().write(RoleView.of(after)))));
        return RoleView.of(after);
    }

    private Object delete(ApiRequest request) throws AdminRoles.RoleInUseException {
        CustomRole role = custom(request.path("id"));
        requireCovered(request.principal(), role);
        if (!roles.delete(role.id())) {
            throw ApiException.notFound("There is no role '" + role.id() + "'.");
        }
        kernel.audit().append(new AuditRecord(request.actor(), "role.delete", "role", role.id(),
                Optional.of(kernel.json().write(RoleView.of(role))), Optional.empty()));
        return ApiResponse.noContent();
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/roles", Permission.API_TOKEN_OWN).tag("admins").deviceFree(ROLES)
                        .summary("The roles and their permissions: the four built-in presets, then the custom roles by name")
                        .returns(RoleView[].class).handle(request -> roles.list().stream().map(RoleView::of).toList()),
                AdminRoute.post("/api/v1/roles", Permission.ADMIN_MANAGE).tag("admins").deviceFree(ROLES)
                        .summary("Make a custom role from permissions you hold yourself").body(RoleBody.class)
                        .returns(RoleView.class).status(201).handle(this::create),
                AdminRoute.put("/api/v1/roles/{id}", Permission.ADMIN_MANAGE).tag("admins").scopeEnforced()
                        .summary("Replace a custom role's name, description and permissions; its holders have the new rights from their next request")
                        .body(RoleBody.class).returns(RoleView.class).handle(this::update),
                AdminRoute.delete("/api/v1/roles/{id}", Permission.ADMIN_MANAGE).tag("admins").deviceFree(ROLES)
                        .summary("Delete a custom role (409 while an account or an unrevoked API token holds it)")
                        .status(204).handle(this::delete));
    }
}
