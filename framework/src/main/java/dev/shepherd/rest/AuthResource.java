package dev.shepherd.rest;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.json.Json;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.AdminUser;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Principal;
import dev.shepherd.security.Role;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.CookieImpl;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/** Sign-in, sign-out and who am I. */
final class AuthResource {

    record Credentials(String username, String password) {
        Credentials {
            requireNonNull(username, "username is null");
            requireNonNull(password, "password is null");
        }
    }

    record SignedIn(String username, Role role, String roleName, Set<Permission> permissions, String csrfToken, Instant expiresAt) {
    }

    /**
     * The password was right and the account has a second factor: no session yet. Send the pending token back with a
     * code from the authenticator app, or a recovery code, within the time given.
     */
    record SecondFactorRequired(String secondFactor, String pendingToken, Instant expiresAt) {
        @Override
        public String toString() {
            return "SecondFactorRequired[expiresAt=" + expiresAt + "]";
        }
    }

    /** The second step of a sign-in: the pending token and either a current code or an unused recovery code. */
    record SecondFactor(String pendingToken, Optional<String> code, Optional<String> recoveryCode) {
        SecondFactor {
            requireNonNull(pendingToken, "pendingToken is null");
            code = code == null ? Optional.empty() : code;
            recoveryCode = recoveryCode == null ? Optional.empty() : recoveryCode;
            if (code.isPresent() == recoveryCode.isPresent()) {
                throw new IllegalArgumentException("give a code or a recovery code, not both");
            }
        }

        @Override
        public String toString() {
            return "SecondFactor[hidden]";
        }
    }

    /** @param scope the device groups the role is granted over; {@code null} for the whole fleet */
    record Me(String username, Role role, String roleName, Set<Permission> permissions, Principal.Via via, DeviceScope scope) {
    }

    private final AdminAuthenticator authenticator;
    private final AdminSessions sessions;
    private final AuditLog audit;
    private final AdminTotp totp;
    private final Json json;

    AuthResource(AdminAuthenticator authenticator, AdminSessions sessions, AuditLog audit, AdminTotp totp, Json json) {
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.totp = requireNonNull(totp, "totp is null");
        this.json = requireNonNull(json, "json is null");
    }

    /** Starts the session of a completed sign-in: the cookie (HttpOnly, SameSite=Strict) and the CSRF token in the answer. */
    private SignedIn startSession(ApiRequest request, Principal principal, boolean withSecondFactor) {
        AdminSessions.Started session = sessions.start(principal.username(), request.remote());
        audit.append(new AuditRecord(principal.actor(), "auth.login", "admin", principal.username(), Optional.empty(),
                Optional.of(json.write(withSecondFactor ? Map.of("remote", request.remote(), "secondFactor", true)
                        : Map.of("remote", request.remote())))));
        boolean secure = request.exchange().getConnection().getSslSessionInfo() != null;
        request.exchange().setResponseCookie(new CookieImpl(AdminAuthenticator.SESSION_COOKIE, session.id())
                .setPath("/").setHttpOnly(true).setSecure(secure).setSameSiteMode("Strict")
                .setMaxAge((int) Duration.between(Instant.now(), session.expiresAt()).toSeconds()));
        return new SignedIn(principal.username(), principal.role(), principal.role().name(), principal.role().permissions(), session.csrfToken(),
                session.expiresAt());
    }

    private Object secondStep(ApiRequest request) {
        SecondFactor body = request.body(SecondFactor.class);
        String remote = request.remote();
        Optional<String> pending = totp.takePending(body.pendingToken(), remote);
        if (pending.isEmpty()) {
            throw new ApiException(Problem.of(401, "unauthorized", "Sign-in failed",
                    "The sign-in expired or was already used. Sign in with your password again."));
        }
        String username = pending.get();
        Optional<Duration> locked = authenticator.secondFactorLocked(username, remote);
        if (locked.isPresent()) {
            throw ApiException.signInLocked(request.exchange(), locked.get());
        }
        boolean passed = body.code().isPresent() ? totp.verifyCode(username, body.code().get())
                : totp.useRecoveryCode(username, body.recoveryCode().get());
        Optional<AdminUser> user = authenticator.account(username);
        if (!passed || user.isEmpty()) {
            authenticator.secondFactorFailed(username, remote);
            throw new ApiException(Problem.of(401, "unauthorized", "Sign-in failed",
                    "The code is wrong or was already used. Sign in with your password again."));
        }
        authenticator.secondFactorPassed(username);
        if (body.recoveryCode().isPresent()) {
            audit.append(new AuditRecord(Actor.admin(username), "auth.recovery_code_used", "admin", username, Optional.empty(),
                    Optional.of(json.write(Map.of("remote", remote, "recoveryCodesLeft", totp.status(username).recoveryCodesLeft())))));
        }
        return startSession(request, new Principal(username, user.get().role(), Principal.Via.SESSION, Optional.empty(), user.get().scope()), true);
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.open("POST", "/api/v1/auth/login").tag("auth").summary("Sign in: starts a session (cookie) and returns its CSRF token; 202 with a pending token when the account needs a TOTP code")
                        .body(Credentials.class).returns(SignedIn.class).alsoReturns(202, SecondFactorRequired.class).handle(request -> {
                            Credentials credentials = request.body(Credentials.class);
                            char[] password = credentials.password().toCharArray();
                            AdminAuthenticator.Outcome outcome;
                            try {
                                outcome = authenticator.checkPassword(credentials.username(), password, request.remote());
                            } finally {
                                Arrays.fill(password, '\0');
                            }
                            if (outcome instanceof AdminAuthenticator.Outcome.Locked locked) {
                                throw ApiException.signInLocked(request.exchange(), locked.retryAfter());
                            }
                            if (!(outcome instanceof AdminAuthenticator.Outcome.Authenticated authenticated)) {
                                throw new ApiException(Problem.of(401, "unauthorized", "Sign-in failed", "The username or password is wrong."));
                            }
                            Principal principal = authenticated.principal();
                            if (!authenticator.passwordSignInAllowed(principal.username())) {
                                audit.append(new AuditRecord(principal.actor(), "auth.local_sign_in_refused", "admin", principal.username(),
                                        Optional.empty(), Optional.of(json.write(Map.of("remote", request.remote())))));
                                throw new ApiException(Problem.of(403, "local-sign-in-restricted", "Sign in with your organisation",
                                        "Password sign-in is kept for break-glass accounts. Use the \"Sign in with\" button for your organisation."));
                            }
                            if (totp.active(principal.username())) {
                                AdminTotp.Pending pending = totp.beginPending(principal.username(), request.remote());
                                audit.append(new AuditRecord(principal.actor(), "auth.second_factor_required", "admin", principal.username(),
                                        Optional.empty(), Optional.of(json.write(Map.of("remote", request.remote())))));
                                return new ApiResponse(202, Optional.of(new SecondFactorRequired("totp", pending.token(),
                                        pending.expiresAt())), Map.of());
                            }
                            return startSession(request, principal, false);
                        }),
                AdminRoute.open("POST", "/api/v1/auth/login/second-factor").tag("auth")
                        .summary("Second step of a sign-in for an account with TOTP: the pending token and a current code or a recovery code; starts the session")
                        .body(SecondFactor.class).returns(SignedIn.class).handle(this::secondStep),
                AdminRoute.post("/api/v1/auth/logout", Permission.API_TOKEN_OWN).tag("auth").summary("Sign out: ends the session")
                        .deviceFree("ends the caller's own session")
                        .status(204).handle(request -> {
                            Cookie cookie = request.exchange().getRequestCookie(AdminAuthenticator.SESSION_COOKIE);
                            if (cookie != null) {
                                sessions.end(cookie.getValue());
                            }
                            request.exchange().setResponseCookie(new CookieImpl(AdminAuthenticator.SESSION_COOKIE, "")
                                    .setPath("/").setHttpOnly(true).setMaxAge(0));
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/auth/me", Permission.API_TOKEN_OWN).tag("auth").summary("The signed-in admin, what they may do and over which devices")
                        .deviceFree("the caller's own account and grant").returns(Me.class)
                        .handle(request -> new Me(request.principal().username(), request.principal().role(), request.principal().role().name(),
                                request.principal().role().permissions(), request.principal().via(), request.principal().scope())));
    }
}
