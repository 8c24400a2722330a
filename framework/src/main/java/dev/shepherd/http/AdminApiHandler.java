package dev.shepherd.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.app.AppConflictException;
import dev.shepherd.app.InvalidConfigurationException;
import dev.shepherd.command.CommandRefusedException;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.compliance.ComplianceConflictException;
import dev.shepherd.group.GroupConflictException;
import dev.shepherd.policy.InvalidSettingsException;
import dev.shepherd.policy.PolicyConflictException;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminRoles;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.Principal;
import dev.shepherd.security.Secrets;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Serves the admin API: finds the route, refuses changes another site may have made ({@link CrossSiteGuard}, 403 or
 * 415), authenticates (401), authorises by permission (403), checks the CSRF token of cookie-authenticated changes
 * (403), then calls the handler. Service errors map to problem responses:
 * invalid input 400, conflicts 409; anything unexpected is a 500 without internals, logged with its stack trace.
 */
public final class AdminApiHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(AdminApiHandler.class);
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    public static final String CSRF_HEADER = "X-CSRF-Token";

    private record Compiled(AdminRoute route, Pattern pattern) {
    }

    private final List<Compiled> routes = new CopyOnWriteArrayList<>();
    private final AdminAuthenticator authenticator;
    private final HttpIo io;
    private final long maxBodyBytes;
    private final Supplier<String> publicUrl;
    /** Routes contributed at run time (plugins' admin endpoints), consulted after the kernel's own. */
    private final List<Supplier<List<AdminRoute>>> dynamicRoutes = new CopyOnWriteArrayList<>();

    public AdminApiHandler(List<AdminRoute> routes, AdminAuthenticator authenticator, HttpIo io, long maxBodyBytes) {
        this(routes, authenticator, io, maxBodyBytes, () -> "");
    }

    /** @param publicUrl the server's public base URL, an origin changes are accepted from besides the Host's own */
    public AdminApiHandler(List<AdminRoute> routes, AdminAuthenticator authenticator, HttpIo io, long maxBodyBytes,
                           Supplier<String> publicUrl) {
        this.publicUrl = requireNonNull(publicUrl, "publicUrl is null");
        routes.forEach(route -> this.routes.add(new Compiled(route, route.pattern())));
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.io = requireNonNull(io, "io is null");
        this.maxBodyBytes = maxBodyBytes;
    }

    private AdminApiHandler(List<AdminRoute> routes, HttpIo io, long maxBodyBytes, Supplier<String> publicUrl) {
        this.publicUrl = requireNonNull(publicUrl, "publicUrl is null");
        routes.forEach(route -> {
            if (!route.isPublic()) {
                throw new IllegalArgumentException(route.method() + " " + route.template() + " needs an admin permission");
            }
            this.routes.add(new Compiled(route, route.pattern()));
        });
        this.authenticator = null;
        this.io = requireNonNull(io, "io is null");
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * A handler of routes that authenticate their callers themselves and grant no admin permission (the self-service
     * portal's, whose callers are directory users): the same cross-site guard, body rules and problem answers as the
     * admin API, and no admin authentication at all, so no admin credential means anything there.
     *
     * @throws IllegalArgumentException when a route needs an admin permission
     */
    public static AdminApiHandler withoutAdmins(List<AdminRoute> routes, HttpIo io, long maxBodyBytes, Supplier<String> publicUrl) {
        return new AdminApiHandler(routes, io, maxBodyBytes, publicUrl);
    }

    /** Adds a source of routes that come and go, such as plugins' admin endpoints. */
    public void addDynamicRoutes(Supplier<List<AdminRoute>> source) {
        if (authenticator == null) {
            throw new IllegalStateException("this handler serves its own public routes only");
        }
        dynamicRoutes.add(requireNonNull(source, "source is null"));
    }

    /** @return every route served now, for documentation and for the tests that check each is protected */
    public List<AdminRoute> routes() {
        List<AdminRoute> all = new ArrayList<>(routes.stream().map(Compiled::route).toList());
        dynamicRoutes.forEach(source -> all.addAll(source.get()));
        return all;
    }

    public ObjectMapper json() {
        return io.json();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }
        String path = exchange.getRequestPath();
        String method = exchange.getRequestMethod().toString();
        List<String> allowedMethods = new ArrayList<>();
        List<Compiled> candidates = new ArrayList<>(routes);
        dynamicRoutes.forEach(source -> source.get().forEach(route -> candidates.add(new Compiled(route, route.pattern()))));
        for (Compiled compiled : candidates) {
            Matcher matcher = compiled.pattern().matcher(path);
            if (!matcher.matches()) {
                continue;
            }
            if (!compiled.route().method().equals(method)) {
                allowedMethods.add(compiled.route().method());
                continue;
            }
            serve(exchange, compiled.route(), matcher);
            return;
        }
        if (!allowedMethods.isEmpty()) {
            exchange.getResponseHeaders().put(Headers.ALLOW, String.join(", ", allowedMethods));
            io.sendProblem(exchange, Problem.methodNotAllowed(method));
        } else {
            io.sendProblem(exchange, Problem.notFound("There is no API resource at " + path + "."));
        }
    }

    private void serve(HttpServerExchange exchange, AdminRoute route, Matcher matcher) {
        HttpMetricsHandler.route(exchange, route.template());
        Optional<Problem> crossSite = CrossSiteGuard.foreignSite(exchange, publicUrl.get());
        if (crossSite.isPresent()) {
            io.sendProblem(exchange, crossSite.get());
            return;
        }
        Principal principal = null;
        if (!route.isPublic()) {
            AdminAuthenticator.Outcome outcome = authenticator.authenticate(exchange);
            if (outcome instanceof AdminAuthenticator.Outcome.Locked locked) {
                exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(locked.retryAfter().toSeconds()));
                io.sendProblem(exchange, Problem.of(429, "locked", "Too many failed sign-ins",
                        "Sign-in is locked for " + Math.max(1, locked.retryAfter().toMinutes()) + " minute(s) after repeated failures."));
                return;
            }
            if (!(outcome instanceof AdminAuthenticator.Outcome.Authenticated authenticated)) {
                // Never a Basic challenge: it would make a browser ask for, then cache and replay, a password.
                exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"Shepherd\"");
                boolean basicRefused = !authenticator.basicAuth() && Optional.ofNullable(exchange.getRequestHeaders()
                        .getFirst(Headers.AUTHORIZATION)).map(header -> header.regionMatches(true, 0, "Basic ", 0, 6)).orElse(false);
                io.sendProblem(exchange, basicRefused ? Problem.of(401, "unauthorized", "Authentication required",
                        "HTTP Basic is off on this server (security.basicAuth); use an API token (Authorization: Bearer) or sign in.")
                        : Problem.unauthorized());
                return;
            }
            principal = authenticated.principal();
            if (!principal.role().allows(route.permission().get())) {
                io.sendProblem(exchange, Problem.forbidden("The " + principal.role().name().toLowerCase() + " role lacks the "
                        + route.permission().get().name().toLowerCase() + " permission that " + route.method() + " "
                        + route.template() + " needs."));
                return;
            }
            if (principal.scoped() && route.scoping().kind() == AdminRoute.Scoping.Kind.FLEET_ONLY) {
                io.sendProblem(exchange, Problem.of(403, "out-of-scope", "Outside your scope", route.method() + " "
                        + route.template() + " acts on the whole fleet, and your role is granted over some device groups only."));
                return;
            }
            if (principal.via() == Principal.Via.SESSION && !SAFE_METHODS.contains(route.method())) {
                String presented = exchange.getRequestHeaders().getFirst(CSRF_HEADER);
                if (presented == null || !Secrets.equal(Secrets.sha256(presented), principal.sessionCsrfHash().orElse(""))) {
                    io.sendProblem(exchange, Problem.of(403, "csrf", "Missing or wrong CSRF token",
                            "Changes made with a session cookie must carry the session's token in the " + CSRF_HEADER + " header."));
                    return;
                }
            }
        }
        Optional<Problem> formBody = CrossSiteGuard.formBody(exchange);
        if (formBody.isPresent()) {
            io.sendProblem(exchange, formBody.get());
            return;
        }
        Map<String, String> parameters = new HashMap<>();
        for (String name : route.parameterNames()) {
            String value = matcher.group(name);
            if (value != null) {
                parameters.put(name, value);
            }
        }
        // Routes that name a group in their path act on the group as a whole: a scoped caller must hold it.
        if (principal != null && principal.scoped() && parameters.containsKey("groupId")
                && !principal.scope().includesGroup(parameters.get("groupId"))) {
            io.sendProblem(exchange, Problem.of(403, "out-of-scope", "Outside your scope",
                    "The group '" + parameters.get("groupId") + "' is not one of the device groups your role is granted over."));
            return;
        }
        try {
            Object result = route.handler().handle(new ApiRequest(exchange, parameters, principal, io.json(), maxBodyBytes));
            respond(exchange, route, result);
        } catch (ApiException e) {
            io.sendProblem(exchange, e.problem());
        } catch (InvalidSettingsException e) {
            io.sendProblem(exchange, new Problem("https://shepherd.dev/problems/invalid-settings", "Invalid settings", 400,
                    "The policy's settings do not validate.", e.problems()));
        } catch (InvalidConfigurationException e) {
            io.sendProblem(exchange, new Problem("https://shepherd.dev/problems/invalid-configuration", "Invalid configuration", 400,
                    e.getMessage(), e.problems()));
        } catch (DeviceConflictException | GroupConflictException | PolicyConflictException | ComplianceConflictException
                 | AppConflictException | CommandRefusedException
                 | EnrollmentRefusedException | AdminUserStore.DuplicateUserException | AdminRoles.DuplicateRoleException
                 | AdminRoles.RoleInUseException e) {
            io.sendProblem(exchange, Problem.conflict(e.getMessage()));
        } catch (IllegalArgumentException e) {
            io.sendProblem(exchange, Problem.badRequest(e.getMessage()));
        } catch (Exception e) {
            log.error("{} {} failed", route.method(), exchange.getRequestPath(), e);
            if (!exchange.isResponseStarted()) {
                io.sendProblem(exchange, Problem.of(500, "internal", "Internal error",
                        "The server could not complete the request; the error was logged."));
            }
        }
    }

    private void respond(HttpServerExchange exchange, AdminRoute route, Object result) {
        if (exchange.isResponseStarted()) {
            return; // the handler streamed its own answer
        }
        ApiResponse response = result instanceof ApiResponse explicit ? explicit
                : new ApiResponse(route.successStatus(), Optional.ofNullable(result), Map.of());
        response.headers().forEach((name, value) -> exchange.getResponseHeaders().put(new HttpString(name), value));
        if (response.body().isEmpty() || response.status() == 204) {
            exchange.setStatusCode(response.status());
            exchange.endExchange();
        } else {
            io.sendJson(exchange, response.status(), response.body().get());
        }
    }
}
