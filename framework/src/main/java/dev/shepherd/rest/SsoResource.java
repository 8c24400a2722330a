package dev.shepherd.rest;

import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.SignInRequest;
import dev.shepherd.api.identity.SignInStart;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectorySignIn;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.enrollment.EnrollmentSignInPage;
import dev.shepherd.group.GroupService;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.json.Json;
import dev.shepherd.plugin.PluginCallException;
import dev.shepherd.plugin.SignInProviders;
import dev.shepherd.portal.SelfServicePortal;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.AdminUser;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Role;
import dev.shepherd.security.RoleMappings;
import dev.shepherd.security.Secrets;
import dev.shepherd.security.SignInAudit;
import dev.shepherd.security.SignInFailures;
import dev.shepherd.security.SsoFlows;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.CookieImpl;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Single sign-on through the {@link dev.shepherd.api.identity.SignInProvider} plugins, for the console and the
 * self-service portal, and the role mappings that decide which console role a directory group opens.
 *
 * <p>The kernel owns the flow: it makes the {@code state}, keeps the plugin's pending secret server-side
 * ({@link SsoFlows}) bound to the browser by the {@value #FLOW_COOKIE} cookie, checks the callback's {@code state}
 * against it, uses each flow once, and starts the session. A refusal sends the browser back to its sign-in page with
 * an error code (never free text, which a link could forge) and is audited; refusals count against the address like
 * wrong passwords, and a locked address cannot start a sign-in.
 *
 * <p>A sign-in for a device's enrollment ({@code for=enrollment}, started from the enrollment sign-in page) carries
 * that page's context, validated by the page and sealed in the flow; after the same checks, the directory admits the
 * person as for the portal and the page goes on as after a right password ({@link EnrollmentSignInPage#finishSso}).
 */
final class SsoResource {

    static final String FLOW_COOKIE = "shepherd_sso";
    static final String CALLBACK = "/api/v1/auth/sso-callback";
    /** The callback's parameters: an identity provider sends a handful, each far shorter. */
    private static final int MAX_PARAMETERS = 20;
    private static final int MAX_PARAMETER_CHARS = 8192;

    /**
     * A "Sign in with …" button.
     *
     * @param id the provider's id
     * @param displayName the button's words
     * @param consoleUrl where the console's button goes
     * @param portalUrl where the portal's button goes
     */
    record SignInOption(String id, String displayName, String consoleUrl, String portalUrl) {
    }

    /**
     * What a sign-in for a device's enrollment goes on with.
     *
     * @param page the enrollment sign-in page
     * @param people the directory's people, whom the admitted identity is read from
     */
    record Enrollment(EnrollmentSignInPage page, DirectoryService people) {
        Enrollment {
            requireNonNull(page, "page is null");
            requireNonNull(people, "people is null");
        }
    }

    /**
     * A new role mapping.
     *
     * @param scope the device groups the role is granted over: empty for the whole fleet, absent for the creator's scope
     */
    record NewRoleMapping(String provider, String group, String roleId, Optional<List<String>> scope) {
        NewRoleMapping {
            requireNonNull(provider, "provider is null");
            requireNonNull(group, "group is null");
            requireNonNull(roleId, "roleId is null");
            scope = scope == null ? Optional.empty() : scope;
        }
    }

    /** Why a sign-in was refused, as the sign-in pages know the codes. */
    private enum Refusal {
        /** The flow was not this browser's, was used already or expired, or the state did not match. */
        EXPIRED("sso-expired"),
        /** The identity provider or the plugin refused. */
        REFUSED("sso-refused"),
        /** The person's groups open no console role. */
        NO_ROLE("sso-no-role"),
        /** The account exists but is disabled, or belongs to another way of signing in. */
        ACCOUNT("sso-account"),
        /** The provider is not running or failed. */
        UNAVAILABLE("sso-unavailable");

        final String code;

        Refusal(String code) {
            this.code = code;
        }
    }

    /** A refused sign-in on its way back to the sign-in page. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Refusal refusal;

        Refused(Refusal refusal, String reason) {
            super(reason, null, false, false);
            this.refusal = refusal;
        }
    }

    private final SignInProviders providers;
    private final SsoFlows flows;
    private final RoleMappings mappings;
    private final GroupService groups;
    private final AdminUserStore admins;
    private final AdminAuthenticator authenticator;
    private final AdminSessions adminSessions;
    private final AdminSessions portalSessions;
    private final DirectorySignIn directory;
    private final SignInFailures failures;
    private final Optional<String> publicUrl;
    private final AuditLog audit;
    /** Audits an address's lockout as password sign-ins do. */
    private final AdminAuthenticator.SignInEvents signInEvents;
    private final Json json;
    private final Clock clock;
    private final Enrollment enrollment;

    SsoResource(SignInProviders providers, SsoFlows flows, RoleMappings mappings, GroupService groups, AdminUserStore admins, AdminAuthenticator authenticator,
                AdminSessions adminSessions, AdminSessions portalSessions, DirectorySignIn directory, SignInFailures failures,
                Optional<String> publicUrl, AuditLog audit, Json json, Clock clock, Enrollment enrollment) {
        this.enrollment = requireNonNull(enrollment, "enrollment is null");
        this.publicUrl = requireNonNull(publicUrl, "publicUrl is null");
        this.providers = requireNonNull(providers, "providers is null");
        this.flows = requireNonNull(flows, "flows is null");
        this.mappings = requireNonNull(mappings, "mappings is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.admins = requireNonNull(admins, "admins is null");
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.adminSessions = requireNonNull(adminSessions, "adminSessions is null");
        this.portalSessions = requireNonNull(portalSessions, "portalSessions is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.failures = requireNonNull(failures, "failures is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.signInEvents = new SignInAudit(audit, json);
        this.clock = requireNonNull(clock, "clock is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.open("GET", "/api/v1/auth/sign-in-providers").tag("auth")
                        .summary("The running single sign-on providers, for the sign-in pages' \"Sign in with …\" buttons")
                        .handle(request -> providers.list().stream().map(provider -> new SignInOption(provider.id(), provider.displayName(),
                                startPath(provider.id(), SsoFlows.Audience.CONSOLE), startPath(provider.id(), SsoFlows.Audience.PORTAL))).toList()),
                AdminRoute.open("GET", "/api/v1/auth/sso/{provider}").tag("auth")
                        .summary("Starts a single sign-on: sends the browser to the provider (302), for=console (default), portal or"
                                + " enrollment (with the enrollment sign-in page's fields: appru, or link, platform and mode, or client=apple,"
                                + " link and user-identifier)")
                        .query("for", "console, portal or enrollment").status(302).handle(this::begin),
                AdminRoute.open("GET", CALLBACK).tag("auth")
                        .summary("Where the identity provider sends the browser back: finishes the sign-in and opens the console or the portal (303),"
                                + " or goes on with a device's enrollment as the enrollment sign-in page does")
                        .status(303).handle(this::callback),
                AdminRoute.get("/api/v1/role-mappings", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Which console role each directory group of a single sign-on provider opens, in the order they apply")
                        .handle(request -> mappings.list()),
                AdminRoute.post("/api/v1/role-mappings", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Maps a provider's directory group to a console role").body(NewRoleMapping.class)
                        .returns(RoleMappings.RoleMapping.class).status(201).handle(this::createMapping),
                AdminRoute.delete("/api/v1/role-mappings/{id}", Permission.ADMIN_MANAGE).tag("admins")
                        .summary("Removes a role mapping: the group opens the console no longer from the next sign-in on").status(204)
                        .handle(request -> {
                            if (!mappings.delete(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("There is no role mapping with the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }));
    }

    private Object createMapping(ApiRequest request) {
        NewRoleMapping body = request.body(NewRoleMapping.class);
        Role role = RoleResource.existing(admins.roles(), body.roleId());
        // A mapping grants the role to whoever the directory puts in the group: nobody grants what they do not hold.
        RoleResource.requireCovered(request.principal(), role);
        DeviceScope scope = body.scope().map(groupIds -> RoleResource.requestedScope(groups, groupIds)).orElse(request.principal().scope());
        RoleResource.requireScopeCovered(request.principal(), scope);
        try {
            return ApiResponse.created(mappings.create(request.actor(), body.provider(), body.group(), role.id(), scope));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static String startPath(String provider, SsoFlows.Audience audience) {
        return "/api/v1/auth/sso/" + provider + "?for=" + audience.name().toLowerCase(Locale.ROOT);
    }

    private ApiResponse begin(ApiRequest request) {
        SsoFlows.Audience audience = switch (request.query("for").orElse("console")) {
            case "console" -> SsoFlows.Audience.CONSOLE;
            case "portal" -> SsoFlows.Audience.PORTAL;
            case "enrollment" -> SsoFlows.Audience.ENROLLMENT;
            default -> throw ApiException.badRequest("for must be console, portal or enrollment");
        };
        Optional<String> context = Optional.empty();
        if (audience == SsoFlows.Audience.ENROLLMENT) {
            // Validated now, as the page's own form is, and kept in the flow: nothing the identity provider echoes decides
            // which client gets the result.
            Map<String, String> fields = new HashMap<>();
            request.exchange().getQueryParameters().forEach((name, values) -> fields.put(name, Optional.ofNullable(values.peekFirst()).orElse("")));
            context = Optional.of(enrollment.page().ssoContext(fields).orElseThrow(() -> ApiException.badRequest("A sign-in for enrollment"
                    + " needs the enrollment sign-in page's fields: appru (an ms-app:// address), or an enrollment link, or client=apple with one, or a device endpoint path (return) with its state.")));
        }
        String remote = request.remote();
        if (failures.count(AdminAuthenticator.addressSubject(remote), AdminAuthenticator.ADDRESS_WINDOW) >= AdminAuthenticator.MAX_FAILURES_PER_ADDRESS) {
            throw ApiException.signInLocked(request.exchange(), AdminAuthenticator.ADDRESS_WINDOW);
        }
        String providerId = request.path("provider");
        SignInProviders.Running provider = providers.find(providerId)
                .orElseThrow(() -> ApiException.notFound("There is no single sign-on provider '" + providerId + "' running."));
        String state = Secrets.random("");
        String browserId = Secrets.random("");
        SignInStart start;
        try {
            start = provider.begin(new SignInRequest(redirectUri(request.exchange()), state));
        } catch (PluginCallException e) {
            throw new ApiException(Problem.of(e.kind() == PluginCallException.Kind.REFUSED ? e.status() : 503, "sso-unavailable",
                    "Single sign-on is unavailable", e.kind() == PluginCallException.Kind.REFUSED ? e.getMessage()
                            : "The sign-in provider '" + providerId + "' cannot start a sign-in now. Try again later."));
        }
        flows.start(browserId, provider.id(), audience, state, start.pending(), context);
        // SameSite=Lax, not Strict: the identity provider sends the browser back with a top-level GET from its own
        // site, and only Lax cookies go with a cross-site navigation. A Lax cookie still stays off cross-site
        // subrequests and POSTs; it is HttpOnly, Secure, scoped to the callback, and names a flow that is used once
        // and expires in minutes.
        request.exchange().setResponseCookie(new CookieImpl(FLOW_COOKIE, browserId).setPath(CALLBACK).setHttpOnly(true)
                .setSecure(true).setSameSiteMode("Lax").setMaxAge((int) SsoFlows.LIFETIME.toSeconds()));
        return redirect(302, start.authorizationUri().toString());
    }

    private ApiResponse callback(ApiRequest request) {
        HttpServerExchange exchange = request.exchange();
        Cookie cookie = exchange.getRequestCookie(FLOW_COOKIE);
        exchange.setResponseCookie(new CookieImpl(FLOW_COOKIE, "").setPath(CALLBACK).setHttpOnly(true).setSecure(true)
                .setSameSiteMode("Lax").setMaxAge(0));
        Optional<SsoFlows.Flow> taken = cookie == null || cookie.getValue().isEmpty() ? Optional.empty() : flows.take(cookie.getValue());
        if (taken.isEmpty()) {
            refused(request, "unknown", "no sign-in under way in this browser, or it expired or was used already");
            // Without a flow there is no telling which sign-in page the browser came from; the console's is the default.
            return redirect(303, "/#sso-error=" + Refusal.EXPIRED.code);
        }
        SsoFlows.Flow flow = taken.get();
        if (flow.audience() == SsoFlows.Audience.ENROLLMENT) {
            return enrollmentCallback(request, flow);
        }
        String home = flow.audience() == SsoFlows.Audience.CONSOLE ? "/" : SelfServicePortal.MOUNT;
        try {
            Identity identity = authenticate(request, flow);
            String csrf = flow.audience() == SsoFlows.Audience.CONSOLE ? startConsole(request, flow.provider(), identity)
                    : startPortal(request, flow.provider(), identity);
            // The CSRF token travels in the fragment, which browsers never send to a server nor put in a Referer; the
            // page takes it into its tab's storage and clears it from the address bar.
            return redirect(303, home + "#sso=" + csrf);
        } catch (Refused refusal) {
            refused(request, flow.provider(), refusal.getMessage());
            return redirect(303, home + "#sso-error=" + refusal.refusal.code);
        }
    }

    /**
     * Finishes a sign-in for a device's enrollment: the same checks as the console's and the portal's, the same admission
     * to the directory as the portal's, then the enrollment sign-in page answers as after a right password. A refusal
     * goes back to that page, for the same client, with its code.
     */
    private ApiResponse enrollmentCallback(ApiRequest request, SsoFlows.Flow flow) {
        if (flow.context().isEmpty()) {
            refused(request, flow.provider(), "the enrollment sign-in has no context");
            return redirect(303, "/#sso-error=" + Refusal.EXPIRED.code);
        }
        String context = flow.context().get();
        try {
            DirectoryUser person = admit(authenticate(request, flow));
            // The page answers the exchange itself (its HTML, its redirect); the route then has nothing more to send.
            enrollment.page().finishSso(request.exchange(), context, person, flow.provider());
            return null;
        } catch (Refused refusal) {
            refused(request, flow.provider(), refusal.getMessage());
            return redirect(303, enrollment.page().ssoRetryAddress(context, refusal.refusal.code));
        }
    }

    /** Checks the callback's state against the flow's, then has the plugin finish the protocol. */
    private Identity authenticate(ApiRequest request, SsoFlows.Flow flow) throws Refused {
        Map<String, String> parameters = parameters(request.exchange());
        String state = parameters.getOrDefault("state", "");
        if (!Secrets.equal(Secrets.sha256(state), flow.stateHash())) {
            throw new Refused(Refusal.EXPIRED, "the state the browser brought back is not the one this sign-in sent");
        }
        return complete(flow, request, state, parameters);
    }

    private Identity complete(SsoFlows.Flow flow, ApiRequest request, String state, Map<String, String> parameters) throws Refused {
        SignInProviders.Running provider = providers.find(flow.provider())
                .orElseThrow(() -> new Refused(Refusal.UNAVAILABLE, "the provider is not running"));
        Identity identity;
        try {
            identity = provider.complete(new SignInRequest(redirectUri(request.exchange()), state), Map.copyOf(parameters), flow.pending());
        } catch (PluginCallException e) {
            throw e.kind() == PluginCallException.Kind.REFUSED ? new Refused(Refusal.REFUSED, e.getMessage())
                    : new Refused(Refusal.UNAVAILABLE, "the provider failed: " + e.getMessage());
        }
        if (identity == null) {
            throw new Refused(Refusal.UNAVAILABLE, "the provider returned no identity");
        }
        // Whatever the plugin calls itself, the person is kept under the provider the flow was started with.
        return new Identity(flow.provider(), identity.username(), identity.displayName(), identity.email(), identity.groups());
    }

    /** @return the new console session's CSRF token */
    private String startConsole(ApiRequest request, String provider, Identity identity) throws Refused {
        RoleMappings.Grant grant = mappings.grantFor(provider, identity.groups()).orElseThrow(() -> new Refused(Refusal.NO_ROLE,
                identity.username() + "'s groups " + identity.groups() + " are mapped to no role"));
        Role role = grant.role();
        DeviceScope scope = grant.scope();
        String username = identity.username();
        if (directory.deactivated(identity)) {
            throw new Refused(Refusal.ACCOUNT, "the directory has deactivated " + username);
        }
        Optional<String> existing = admins.provider(username);
        AdminUser account;
        try {
            if (existing.isEmpty()) {
                account = admins.createExternal(username, role, provider, scope);
                audit.append(new AuditRecord(Actor.SYSTEM, "admin.create", "admin", username, Optional.empty(),
                        Optional.of(json.write(Map.of("role", role.id(), "provider", provider, "scope", RoleResource.auditedScope(scope))))));
            } else if (!existing.get().equals(provider)) {
                // A local account (or another provider's) of the same name is not taken over by a directory's sign-in.
                throw new Refused(Refusal.ACCOUNT, "the admin account '" + username + "' signs in with " + existing.get() + ", not " + provider);
            } else {
                AdminUser before = admins.find(username).orElseThrow(() -> new Refused(Refusal.ACCOUNT, "the account vanished"));
                if (before.disabled()) {
                    throw new Refused(Refusal.ACCOUNT, "the admin account '" + username + "' is disabled");
                }
                account = before;
                if (!before.role().id().equals(role.id()) || !before.scope().equals(scope)) {
                    // The role and its scope follow the directory's groups at every sign-in.
                    account = admins.update(username, Optional.of(role), Optional.empty(), Optional.of(scope)).orElseThrow();
                    authenticator.forget(username);
                    audit.append(new AuditRecord(Actor.SYSTEM, "admin.update", "admin", username,
                            Optional.of(json.write(Map.of("role", before.role().id(), "scope", RoleResource.auditedScope(before.scope())))),
                            Optional.of(json.write(Map.of("role", role.id(), "provider", provider, "scope", RoleResource.auditedScope(scope))))));
                }
            }
        } catch (AdminUserStore.DuplicateUserException e) {
            throw new Refused(Refusal.ACCOUNT, "the admin account '" + username + "' was created by another sign-in at the same time");
        } catch (IllegalArgumentException e) {
            throw new Refused(Refusal.ACCOUNT, "the username '" + username + "' cannot be an admin's: " + e.getMessage());
        }
        AdminSessions.Started session = adminSessions.start(account.username(), request.remote());
        audit.append(new AuditRecord(Actor.admin(username), "auth.login", "admin", username, Optional.empty(),
                Optional.of(json.write(Map.of("remote", request.remote(), "provider", provider, "role", role.id())))));
        // The same cookie as a password sign-in's; Strict is fine here, as the console's own page sends the requests.
        boolean secure = request.exchange().getConnection().getSslSessionInfo() != null;
        request.exchange().setResponseCookie(new CookieImpl(AdminAuthenticator.SESSION_COOKIE, session.id())
                .setPath("/").setHttpOnly(true).setSecure(secure).setSameSiteMode("Strict")
                .setMaxAge((int) Duration.between(clock.instant(), session.expiresAt()).toSeconds()));
        return session.csrfToken();
    }

    /**
     * Finds or adds the directory person a device user's sign-in identifies, as the portal and enrollment both do.
     *
     * @return the person's directory id
     */
    private String admittedUserId(Identity identity) throws Refused {
        Optional<UserAuthenticator.SignedInUser> admitted;
        try {
            admitted = directory.admit(identity);
        } catch (IllegalArgumentException e) {
            throw new Refused(Refusal.ACCOUNT, "the directory cannot keep " + identity.username() + ": " + e.getMessage());
        }
        return admitted.orElseThrow(() -> new Refused(Refusal.ACCOUNT, "the directory has deactivated " + identity.username()))
                .directoryUserId();
    }

    /** @return the active directory person an enrollment's sign-in identifies */
    private DirectoryUser admit(Identity identity) throws Refused {
        return enrollment.people().get(admittedUserId(identity)).filter(DirectoryUser::active)
                .orElseThrow(() -> new Refused(Refusal.ACCOUNT, "the directory has deactivated " + identity.username()));
    }

    /** @return the new portal session's CSRF token */
    private String startPortal(ApiRequest request, String provider, Identity identity) throws Refused {
        String userId = admittedUserId(identity);
        AdminSessions.Started session = portalSessions.start(userId, request.remote());
        audit.append(new AuditRecord(Actor.user(userId), "portal.login", "user", userId, Optional.empty(),
                Optional.of(json.write(Map.of("remote", request.remote(), "provider", provider)))));
        request.exchange().setResponseCookie(SelfServicePortal.sessionCookie(session.id())
                .setMaxAge((int) Duration.between(clock.instant(), session.expiresAt()).toSeconds()));
        return session.csrfToken();
    }

    /** Audits a refused sign-in and counts it against the address, as a wrong password is. */
    private void refused(ApiRequest request, String provider, String reason) {
        String remote = request.remote();
        int fromAddress = failures.record(AdminAuthenticator.addressSubject(remote), AdminAuthenticator.ADDRESS_WINDOW);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("remote", remote);
        detail.put("reason", reason.length() > 500 ? reason.substring(0, 500) : reason);
        audit.append(new AuditRecord(Actor.SYSTEM, "auth.sso_refused", "sign_in_provider", provider, Optional.empty(),
                Optional.of(json.write(detail))));
        if (fromAddress == AdminAuthenticator.MAX_FAILURES_PER_ADDRESS) {
            signInEvents.locked(provider, remote, AdminAuthenticator.ADDRESS_WINDOW, true);
        }
    }

    private static Map<String, String> parameters(HttpServerExchange exchange) throws Refused {
        Map<String, Deque<String>> query = exchange.getQueryParameters();
        if (query.size() > MAX_PARAMETERS) {
            throw new Refused(Refusal.REFUSED, "the callback has too many parameters");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        for (Map.Entry<String, Deque<String>> entry : query.entrySet()) {
            // A parameter given twice is ambiguous; OAuth 2.0 forbids it (RFC 6749, 3.1).
            if (entry.getValue().size() != 1 || entry.getValue().getFirst().length() > MAX_PARAMETER_CHARS) {
                throw new Refused(Refusal.REFUSED, "the callback's parameter '" + clip(entry.getKey()) + "' is repeated or too long");
            }
            parameters.put(entry.getKey(), entry.getValue().getFirst());
        }
        return parameters;
    }

    private static String clip(String text) {
        String printable = text.replaceAll("\\p{Cntrl}", "?");
        return printable.length() > 40 ? printable.substring(0, 40) : printable;
    }

    /**
     * The callback's address: on the configured public URL (behind a proxy that ends TLS, the request itself looks like
     * plain HTTP), else on the address the browser used, so the flow cookie set for that host comes back. Register
     * {@code <public URL>/api/v1/auth/sso-callback} with the identity provider.
     */
    private URI redirectUri(HttpServerExchange exchange) {
        String base = publicUrl.map(url -> url.endsWith("/") ? url.substring(0, url.length() - 1) : url)
                .orElseGet(() -> exchange.getRequestScheme() + "://" + exchange.getHostAndPort());
        return URI.create(base + CALLBACK);
    }

    private static ApiResponse redirect(int status, String location) {
        return new ApiResponse(status, Optional.empty(), Map.of("Location", location, "Cache-Control", "no-store"));
    }
}
