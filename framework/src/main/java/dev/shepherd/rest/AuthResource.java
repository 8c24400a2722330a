package dev.shepherd.rest;

import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Principal;
import io.undertow.server.handlers.Cookie;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
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

    record SignedIn(String username, AdminRole role, Set<Permission> permissions, String csrfToken, Instant expiresAt) {
    }

    record Me(String username, AdminRole role, Set<Permission> permissions, Principal.Via via) {
    }

    private final AdminAuthenticator authenticator;
    private final AdminSessions sessions;
    private final dev.shepherd.audit.AuditLog audit;

    AuthResource(AdminAuthenticator authenticator, AdminSessions sessions, dev.shepherd.audit.AuditLog audit) {
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.audit = requireNonNull(audit, "audit is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.open("POST", "/api/v1/auth/login").tag("auth").summary("Sign in: starts a session (cookie) and returns its CSRF token")
                        .body(Credentials.class).returns(SignedIn.class).handle(request -> {
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
                            AdminSessions.Started session = sessions.start(principal.username(), request.remote());
                            audit.append(new dev.shepherd.audit.AuditRecord(principal.actor(), "auth.login", "admin", principal.username(),
                                    java.util.Optional.empty(), java.util.Optional.of("{\"remote\":\"" + request.remote() + "\"}")));
                            boolean secure = request.exchange().getConnection().getSslSessionInfo() != null;
                            request.exchange().setResponseCookie(new io.undertow.server.handlers.CookieImpl(AdminAuthenticator.SESSION_COOKIE, session.id())
                                    .setPath("/").setHttpOnly(true).setSecure(secure).setSameSiteMode("Strict")
                                    .setMaxAge((int) java.time.Duration.between(Instant.now(), session.expiresAt()).toSeconds()));
                            return new SignedIn(principal.username(), principal.role(), principal.role().permissions(), session.csrfToken(),
                                    session.expiresAt());
                        }),
                AdminRoute.post("/api/v1/auth/logout", Permission.API_TOKEN_OWN).tag("auth").summary("Sign out: ends the session")
                        .status(204).handle(request -> {
                            Cookie cookie = request.exchange().getRequestCookie(AdminAuthenticator.SESSION_COOKIE);
                            if (cookie != null) {
                                sessions.end(cookie.getValue());
                            }
                            request.exchange().setResponseCookie(new io.undertow.server.handlers.CookieImpl(AdminAuthenticator.SESSION_COOKIE, "")
                                    .setPath("/").setHttpOnly(true).setMaxAge(0));
                            return ApiResponse.noContent();
                        }),
                AdminRoute.get("/api/v1/auth/me", Permission.API_TOKEN_OWN).tag("auth").summary("The signed-in admin and what they may do")
                        .returns(Me.class).handle(request -> new Me(request.principal().username(), request.principal().role(),
                                request.principal().role().permissions(), request.principal().via())));
    }
}
