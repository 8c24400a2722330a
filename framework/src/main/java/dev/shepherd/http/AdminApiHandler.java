package dev.shepherd.http;

import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminUser;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Serves the admin API: matches the route, authenticates (401), authorises by role (403), then calls the
 * handler. Unexpected errors become a 500 problem without internals; the stack trace goes to the log only.
 */
public final class AdminApiHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(AdminApiHandler.class);

    private record Compiled(AdminRoute route, Pattern pattern) {
    }

    private final List<Compiled> routes;
    private final AdminAuthenticator authenticator;
    private final HttpIo io;

    public AdminApiHandler(List<AdminRoute> routes, AdminAuthenticator authenticator, HttpIo io) {
        this.routes = routes.stream().map(route -> new Compiled(route, route.pattern())).toList();
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.io = requireNonNull(io, "io is null");
    }

    /** @return every route, for documentation and for the tests that check each is protected */
    public List<AdminRoute> routes() {
        return routes.stream().map(Compiled::route).toList();
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
        for (Compiled compiled : routes) {
            Matcher matcher = compiled.pattern().matcher(path);
            if (!matcher.matches()) {
                continue;
            }
            if (!compiled.route().method().equals(method)) {
                allowedMethods.add(compiled.route().method());
                continue;
            }
            serve(exchange, compiled, matcher);
            return;
        }
        if (!allowedMethods.isEmpty()) {
            exchange.getResponseHeaders().put(Headers.ALLOW, String.join(", ", allowedMethods));
            io.sendProblem(exchange, Problem.methodNotAllowed(method));
        } else {
            io.sendProblem(exchange, Problem.notFound("There is no API resource at " + path + "."));
        }
    }

    private void serve(HttpServerExchange exchange, Compiled compiled, Matcher matcher) {
        AdminAuthenticator.Outcome outcome = authenticator.authenticate(exchange);
        if (outcome instanceof AdminAuthenticator.Outcome.Locked locked) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(locked.retryAfter().toSeconds()));
            io.sendProblem(exchange, Problem.of(429, "locked", "Too many failed sign-ins",
                    "This account is locked for " + locked.retryAfter().toMinutes() + " minutes after repeated failures."));
            return;
        }
        if (!(outcome instanceof AdminAuthenticator.Outcome.Authenticated authenticated)) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Basic realm=\"Shepherd\", charset=\"UTF-8\"");
            io.sendProblem(exchange, Problem.unauthorized());
            return;
        }
        AdminUser user = authenticated.user();
        if (!compiled.route().roles().contains(user.role())) {
            io.sendProblem(exchange, Problem.of(403, "forbidden", "Forbidden",
                    "The " + user.role().name().toLowerCase() + " role may not " + compiled.route().method() + " "
                            + compiled.route().template() + "."));
            return;
        }
        Map<String, String> parameters = new HashMap<>();
        for (String name : parameterNames(compiled.route().template())) {
            parameters.put(name, matcher.group(name));
        }
        try {
            compiled.route().handler().handle(exchange, user, Map.copyOf(parameters));
        } catch (Exception e) {
            log.error("{} {} failed", compiled.route().method(), exchange.getRequestPath(), e);
            if (!exchange.isResponseStarted()) {
                io.sendProblem(exchange, Problem.of(500, "internal", "Internal error",
                        "The server could not complete the request; the error was logged."));
            }
        }
    }

    private static Set<String> parameterNames(String template) {
        Set<String> names = new java.util.LinkedHashSet<>();
        Matcher matcher = Pattern.compile("\\{([a-zA-Z]+)}").matcher(template);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }
}
