package dev.shepherd.rest;

import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.AdminUser;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.ApiToken;
import dev.shepherd.security.ApiTokens;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Principal;
import dev.shepherd.security.Role;
import io.undertow.server.handlers.Cookie;
import io.undertow.util.Headers;
import dev.shepherd.server.Kernel;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Admin accounts, roles and API tokens. */
final class AdminResource {

    /**
     * A local account has a password; an account of an identity provider names the provider instead.
     *
     * @param scope the device groups the role is granted over ({@code []} the whole fleet); absent, the creator's own scope
     */
    record NewAdmin(String username, Optional<String> password, String role, Optional<String> provider, Optional<List<String>> scope) {
        NewAdmin {
            requireNonNull(username, "username is null");
            requireNonNull(role, "role is null");
            password = password == null ? Optional.empty() : password;
            provider = provider == null ? Optional.empty() : provider;
            scope = scope == null ? Optional.empty() : scope;
            if (password.isPresent() == provider.isPresent()) {
                throw new IllegalArgumentException("give a password for a local account, or the identity provider's id, not both");
            }
        }

        @Override
        public String toString() {
            return "NewAdmin[username=" + username + ", role=" + role + "]";
        }
    }

    /**
     * @param role the id of the role to give (a built-in's constant or a custom role's id)
     * @param scope the device groups the role is granted over from now on ({@code []} the whole fleet); absent, unchanged
     */
    record AdminChange(Optional<String> role, Optional<Boolean> disabled, Optional<List<String>> scope) {
        AdminChange {
            role = role == null ? Optional.empty() : role;
            disabled = disabled == null ? Optional.empty() : disabled;
            scope = scope == null ? Optional.empty() : scope;
        }
    }

    /** @param scope the device groups the token reaches ({@code []} the whole fleet); absent, the creator's own scope */
    record NewToken(String name, Optional<String> role, Optional<Integer> validForDays, Optional<List<String>> scope) {
        NewToken {
            requireNonNull(name, "name is null");
            scope = scope == null ? Optional.empty() : scope;
        }
    }

    record CreatedToken(ApiToken token, String secret) {
    }

    /** An admin's own password change: the current password proves it is them, not someone at an open console. */
    record PasswordChange(String currentPassword, String newPassword) {
        PasswordChange {
            requireNonNull(currentPassword, "currentPassword is null");
            requireNonNull(newPassword, "newPassword is null");
        }

        @Override
        public String toString() {
            return "PasswordChange[hidden]";
        }
    }

    record PasswordReset(String newPassword) {
        PasswordReset {
            requireNonNull(newPassword, "newPassword is null");
        }

        @Override
        public String toString() {
            return "PasswordReset[hidden]";
        }
    }

    record Unlocked(String username, boolean wasLocked) {
    }

    private final Kernel kernel;
    private final AdminUserStore admins;
    private final AdminSessions sessions;
    private final ApiTokens tokens;
    private final AdminAuthenticator authenticator;

    AdminResource(Kernel kernel, AdminUserStore admins, AdminSessions sessions, ApiTokens tokens, AdminAuthenticator authenticator) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.admins = requireNonNull(admins, "admins is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
    }

    /** A password the rules refuse, answered as a problem of the body's field that carried it (a form shows it there). */
    private void requireAcceptablePassword(String username, char[] password, String pointer) {
        try {
            admins.checkPassword(username, password);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidField(pointer, e.getMessage());
        }
    }

    private Object changeOwnPassword(ApiRequest request) {
        String username = request.principal().username();
        if (!admins.isLocal(username)) {
            throw ApiException.conflict("your password is kept by your identity provider; change it there");
        }
        PasswordChange change = request.body(PasswordChange.class);
        char[] current = change.currentPassword().toCharArray();
        char[] replacement = change.newPassword().toCharArray();
        try {
            AdminAuthenticator.Outcome outcome = authenticator.checkPassword(username, current, request.remote());
            if (outcome instanceof AdminAuthenticator.Outcome.Locked locked) {
                request.exchange().getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, locked.retryAfter().toSeconds())));
                throw new ApiException(Problem.of(429, "locked", "Too many failed sign-ins",
                        "Password checks for this account are locked for " + Math.max(1, locked.retryAfter().toMinutes()) + " minute(s)."));
            }
            if (!(outcome instanceof AdminAuthenticator.Outcome.Authenticated)) {
                throw new ApiException(Problem.of(403, "wrong-password", "Wrong password", "The current password is wrong."));
            }
            if (Arrays.equals(current, replacement)) {
                throw ApiException.badRequest("the new password is the current one");
            }
            requireAcceptablePassword(username, replacement, "/newPassword");
            admins.changePassword(username, replacement);
        } finally {
            Arrays.fill(current, '\0');
            Arrays.fill(replacement, '\0');
        }
        authenticator.forget(username);
        Cookie cookie = request.exchange().getRequestCookie(AdminAuthenticator.SESSION_COOKIE);
        if (request.principal().via() == Principal.Via.SESSION && cookie != null) {
            sessions.endAllExcept(username, cookie.getValue());
        } else {
            sessions.endAll(username);
        }
        kernel.audit().append(new AuditRecord(request.actor(), "admin.password_change", "admin", username, Optional.empty(), Optional.empty()));
        return ApiResponse.noContent();
    }

    private DeviceScope requestedScope(List<String> groupIds) {
        return RoleResource.requestedScope(kernel.groups(), groupIds);
    }

    private void localAccount(String username) {
        admins.find(username).orElseThrow(() -> ApiException.notFound("No admin is named '" + username + "'."));
        if (!admins.isLocal(username)) {
            throw ApiException.conflict("the password of '" + username + "' is kept by an identity provider; reset it there");
        }
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/admins", Permission.ADMIN_MANAGE).tag("admins").summary("Admin accounts, with the scope of each one's role")
                        .deviceFree("admin accounts and their grants, not devices").returns(AdminUser[].class)
                        .handle(request -> admins.list()),
                AdminRoute.post("/api/v1/admins", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Create an admin account (passwords: 12 characters at least, not a common or trivial one), its role"
                                + " granted over a scope of device groups at most your own").scopeEnforced().body(NewAdmin.class)
                        .returns(AdminUser.class).status(201).handle(request -> {
                            NewAdmin body = request.body(NewAdmin.class);
                            Role role = RoleResource.existing(admins.roles(), body.role());
                            RoleResource.requireCovered(request.principal(), role);
                            DeviceScope scope = body.scope().map(this::requestedScope).orElse(request.principal().scope());
                            RoleResource.requireScopeCovered(request.principal(), scope);
                            char[] password = body.password().orElse("").toCharArray();
                            try {
                                if (body.provider().isEmpty()) {
                                    requireAcceptablePassword(body.username(), password, "/password");
                                }
                                AdminUser created = body.provider().isPresent()
                                        ? admins.createExternal(body.username(), role, body.provider().get(), scope)
                                        : admins.create(body.username(), password, role, scope);
                                kernel.audit().append(new AuditRecord(request.actor(), "admin.create", "admin", body.username(),
                                        Optional.empty(), Optional.of(kernel.json().write(Map.of("username", body.username(), "role", body.role(),
                                                "provider", body.provider().orElse("local"), "scope", RoleResource.auditedScope(scope))))));
                                return ApiResponse.created(created);
                            } finally {
                                Arrays.fill(password, '\0');
                            }
                        }),
                AdminRoute.patch("/api/v1/admins/{username}", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Change an admin's role or the device groups it is granted over (at most your own scope), or disable"
                                + " the account (ends its sessions)").scopeEnforced().body(AdminChange.class)
                        .returns(AdminUser.class).handle(request -> {
                            String username = request.path("username");
                            AdminUser before = admins.find(username)
                                    .orElseThrow(() -> ApiException.notFound("No admin is named '" + username + "'."));
                            AdminChange change = request.body(AdminChange.class);
                            Optional<Role> role = change.role().map(id -> RoleResource.existing(admins.roles(), id));
                            Optional<DeviceScope> scope = change.scope().map(this::requestedScope);
                            if (username.equals(request.principal().username()) && (change.disabled().orElse(false)
                                    || role.map(newRole -> !newRole.covers(before.role())).orElse(false)
                                    || scope.map(newScope -> !newScope.covers(before.scope())).orElse(false))) {
                                throw ApiException.conflict("you cannot disable, demote or narrow your own account");
                            }
                            // Nobody changes an account more powerful than themselves, nor grants what they do not hold:
                            // neither permissions nor devices.
                            RoleResource.requireCovered(request.principal(), before.role());
                            RoleResource.requireWithinScope(request.principal(), before);
                            role.ifPresent(newRole -> RoleResource.requireCovered(request.principal(), newRole));
                            scope.ifPresent(newScope -> RoleResource.requireScopeCovered(request.principal(), newScope));
                            AdminUser proposed = new AdminUser(before.id(), before.username(), role.orElse(before.role()), before.createdAt(),
                                    change.disabled().orElse(before.disabled()), scope.orElse(before.scope()));
                            RoleResource.requireAdminManagerLeft(admins.list(), account -> account.id().equals(before.id()) ? proposed : account);
                            AdminUser after = admins.update(username, role, change.disabled(), scope).orElseThrow();
                            authenticator.forget(username);
                            if (after.disabled()) {
                                sessions.endAll(username);
                            }
                            kernel.audit().append(new AuditRecord(request.actor(), "admin.update", "admin", username,
                                    Optional.of(kernel.json().write(Map.of("role", before.role(), "disabled", before.disabled(),
                                            "scope", RoleResource.auditedScope(before.scope())))),
                                    Optional.of(kernel.json().write(Map.of("role", after.role(), "disabled", after.disabled(),
                                            "scope", RoleResource.auditedScope(after.scope()))))));
                            return after;
                        }),
                AdminRoute.post("/api/v1/auth/password", Permission.API_TOKEN_OWN).tag("auth").deviceFree("the caller's own password")
                        .summary("Change your own password (the current one is required); your other sessions end")
                        .body(PasswordChange.class).status(204).handle(this::changeOwnPassword),
                AdminRoute.post("/api/v1/admins/{username}/password", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Set a new password for another admin (their sessions end and any lockout is lifted)")
                        .scopeEnforced().body(PasswordReset.class).status(204).handle(request -> {
                            String username = request.path("username");
                            localAccount(username);
                            RoleResource.requireWithinScope(request.principal(), admins.find(username).orElseThrow());
                            char[] password = request.body(PasswordReset.class).newPassword().toCharArray();
                            try {
                                requireAcceptablePassword(username, password, "/newPassword");
                                admins.changePassword(username, password);
                            } finally {
                                Arrays.fill(password, '\0');
                            }
                            authenticator.forget(username);
                            authenticator.unlock(username);
                            sessions.endAll(username);
                            kernel.audit().append(new AuditRecord(request.actor(), "admin.password_reset", "admin", username,
                                    Optional.empty(), Optional.empty()));
                            return ApiResponse.noContent();
                        }),
                AdminRoute.post("/api/v1/admins/{username}/unlock", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Lift the sign-in lockout that repeated wrong passwords put on an account").scopeEnforced().returns(Unlocked.class)
                        .handle(request -> {
                            String username = request.path("username");
                            RoleResource.requireWithinScope(request.principal(), admins.find(username)
                                    .orElseThrow(() -> ApiException.notFound("No admin is named '" + username + "'.")));
                            boolean wasLocked = authenticator.unlock(username);
                            kernel.audit().append(new AuditRecord(request.actor(), "admin.unlock", "admin", username,
                                    Optional.empty(), Optional.of(kernel.json().write(Map.of("wasLocked", wasLocked)))));
                            return new Unlocked(username, wasLocked);
                        }),
                AdminRoute.get("/api/v1/api-tokens", Permission.API_TOKEN_OWN).tag("admins")
                        .summary("API tokens: your own, or everyone's for those who manage admins")
                        .deviceFree("API tokens and their grants, not devices").returns(ApiToken[].class)
                        .handle(request -> tokens.list(request.principal())),
                AdminRoute.post("/api/v1/api-tokens", Permission.API_TOKEN_OWN).tag("admins")
                        .summary("Create an API token (role and scope at most your own; default 90 days); the secret is in this answer only")
                        .scopeEnforced().body(NewToken.class).returns(CreatedToken.class).status(201).handle(request -> {
                            NewToken body = request.body(NewToken.class);
                            int days = body.validForDays().orElse(90);
                            if (days < 1 || days > 366) {
                                throw ApiException.badRequest("validForDays must be between 1 and 366");
                            }
                            DeviceScope scope = body.scope().map(this::requestedScope).orElse(request.principal().scope());
                            RoleResource.requireScopeCovered(request.principal(), scope);
                            ApiTokens.Issued issued = tokens.create(request.principal(), body.name(),
                                    body.role().map(id -> RoleResource.existing(admins.roles(), id)).orElse(request.principal().role()),
                                    scope, Duration.ofDays(days));
                            return ApiResponse.created(new CreatedToken(issued.token(), issued.secret()));
                        }),
                AdminRoute.delete("/api/v1/api-tokens/{id}", Permission.API_TOKEN_OWN).tag("admins").summary("Revoke an API token")
                        .deviceFree("revokes an API token; reveals and changes no device")
                        .status(204).handle(request -> {
                            if (!tokens.revoke(request.principal(), request.path("id"))) {
                                throw ApiException.notFound("No API token of yours has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }));
    }
}
