package dev.shepherd.http;

import dev.shepherd.security.Permission;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One admin API route: method, path template ({@code /api/v1/devices/{id}}), the permission it needs (none for the
 * few public routes), what it takes and returns, and its handler. Routes are data: the router, the OpenAPI document
 * and the tests that check every route is protected all read the same list, so they cannot drift apart.
 *
 * @param method HTTP method
 * @param template path template with {@code {name}} segments
 * @param permission what the caller needs; empty for public routes
 * @param tag the OpenAPI tag (the resource)
 * @param summary one line for the documentation
 * @param query documented query parameters
 * @param requestBody the JSON body's type, if it takes one
 * @param response the 2xx body's type; {@code Void.class} for none
 * @param successStatus the status of a successful answer
 * @param otherSuccesses other successful answers the route may give, by status, with their body's type (a sign-in
 *                       that still needs its second step answers 202)
 * @param handler the handler
 * @param scoping what the route does for a caller whose grant is scoped to some device groups
 */
public record AdminRoute(String method, String template, Optional<Permission> permission, String tag, String summary,
                         List<QueryParameter> query, Optional<Type> requestBody, Type response, int successStatus, Map<Integer, Type> otherSuccesses,
                         Handler handler, Scoping scoping) {

    /**
     * How a route treats a scoped caller ({@code Principal#scoped()}). Every route states it, and the safe answer is
     * the default: a route nobody thought about refuses scoped callers rather than showing them the fleet.
     *
     * @param kind what the route does
     * @param reason for {@link Kind#DEVICE_FREE}, why the route reveals and changes no device
     */
    public record Scoping(Kind kind, String reason) {

        /** What a route does for a scoped caller. */
        public enum Kind {
            /** It acts on the whole fleet or on fleet-wide configuration: scoped callers are refused with 403. */
            FLEET_ONLY,
            /**
             * Its handler narrows to the caller's scope: a device outside it is answered as absent (404), a group
             * outside it is refused (403), a listing or fan-out reaches only the devices inside it.
             */
            ENFORCED,
            /** It reveals and changes no device (the caller's own account, the setting types), so scope is moot. */
            DEVICE_FREE
        }

        /** The default: scoped callers are refused. */
        public static final Scoping FLEET_ONLY = new Scoping(Kind.FLEET_ONLY, "");
        /** The handler checks the scope itself. */
        public static final Scoping ENFORCED = new Scoping(Kind.ENFORCED, "");

        public Scoping {
            requireNonNull(kind, "kind is null");
            requireNonNull(reason, "reason is null");
            if (kind == Kind.DEVICE_FREE && reason.isBlank()) {
                throw new IllegalArgumentException("a device-free route says why it is");
            }
        }

        /** @param reason why the route reveals and changes no device */
        public static Scoping deviceFree(String reason) {
            return new Scoping(Kind.DEVICE_FREE, reason);
        }
    }

    /** Handles a request that passed authentication and authorisation; returns a body (200) or an {@link ApiResponse}. */
    @FunctionalInterface
    public interface Handler {
        Object handle(ApiRequest request) throws Exception;
    }

    /**
     * A documented query parameter.
     *
     * @param name its name
     * @param description what it does
     */
    public record QueryParameter(String name, String description) {
    }

    private static final Pattern PARAMETER = Pattern.compile("\\{([a-zA-Z]+)}");

    public AdminRoute {
        requireNonNull(method, "method is null");
        requireNonNull(template, "template is null");
        requireNonNull(permission, "permission is null");
        requireNonNull(tag, "tag is null");
        requireNonNull(summary, "summary is null");
        query = List.copyOf(query);
        requireNonNull(requestBody, "requestBody is null");
        requireNonNull(response, "response is null");
        requireNonNull(handler, "handler is null");
        requireNonNull(scoping, "scoping is null");
    }

    public static Builder get(String template, Permission permission) {
        return new Builder("GET", template, Optional.of(permission));
    }

    public static Builder post(String template, Permission permission) {
        return new Builder("POST", template, Optional.of(permission));
    }

    public static Builder put(String template, Permission permission) {
        return new Builder("PUT", template, Optional.of(permission));
    }

    public static Builder patch(String template, Permission permission) {
        return new Builder("PATCH", template, Optional.of(permission));
    }

    public static Builder delete(String template, Permission permission) {
        return new Builder("DELETE", template, Optional.of(permission));
    }

    /** A route with any method, for routes made at run time such as plugins' admin endpoints. */
    public static Builder route(String method, String template, Permission permission) {
        return new Builder(method, template, Optional.of(permission));
    }

    /** A route anyone may call, such as the sign-in. */
    public static Builder open(String method, String template) {
        return new Builder(method, template, Optional.empty());
    }

    public boolean isPublic() {
        return permission.isEmpty();
    }

    /** @return the names of the template's parameters, in order */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        if (template.endsWith("/**")) {
            names.add("rest");
            return names;
        }
        Matcher matcher = PARAMETER.matcher(template);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** @return the template as a regular expression with named groups; a trailing {@code /**} matches any rest */
    Pattern pattern() {
        if (template.endsWith("/**")) {
            return Pattern.compile(Pattern.quote(template.substring(0, template.length() - 3)) + "(?<rest>/.*)?");
        }
        Matcher matcher = PARAMETER.matcher(template);
        StringBuilder regex = new StringBuilder();
        int last = 0;
        while (matcher.find()) {
            regex.append(Pattern.quote(template.substring(last, matcher.start())));
            regex.append("(?<").append(matcher.group(1)).append(">[^/]+)");
            last = matcher.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return Pattern.compile(regex.toString());
    }

    /** Builds a route step by step. */
    public static final class Builder {
        private final String method;
        private final String template;
        private final Optional<Permission> permission;
        private String tag = "general";
        private String summary = "";
        private final List<QueryParameter> query = new ArrayList<>();
        private Optional<Type> requestBody = Optional.empty();
        private Type response = Void.class;
        private int status = 200;
        private final Map<Integer, Type> otherSuccesses = new TreeMap<>();
        private Scoping scoping = Scoping.FLEET_ONLY;

        private Builder(String method, String template, Optional<Permission> permission) {
            this.method = method;
            this.template = template;
            this.permission = permission;
        }

        public Builder tag(String value) {
            tag = value;
            return this;
        }

        public Builder summary(String value) {
            summary = value;
            return this;
        }

        public Builder query(String name, String description) {
            query.add(new QueryParameter(name, description));
            return this;
        }

        public Builder body(Type type) {
            requestBody = Optional.of(type);
            return this;
        }

        public Builder returns(Type type) {
            response = type;
            return this;
        }

        public Builder status(int value) {
            status = value;
            return this;
        }

        /** Documents another successful answer, with the type of its body. */
        public Builder alsoReturns(int value, Type type) {
            otherSuccesses.put(value, requireNonNull(type, "type is null"));
            return this;
        }

        /** The handler narrows what it reveals and changes to a scoped caller's devices (see {@link Scoping.Kind#ENFORCED}). */
        public Builder scopeEnforced() {
            scoping = Scoping.ENFORCED;
            return this;
        }

        /** The route reveals and changes no device, for the reason given, so scoped callers use it as anyone does. */
        public Builder deviceFree(String reason) {
            scoping = Scoping.deviceFree(reason);
            return this;
        }

        public AdminRoute handle(Handler handler) {
            return new AdminRoute(method, template, permission, tag, summary, query, requestBody, response, status,
                    Map.copyOf(otherSuccesses), handler, scoping);
        }
    }
}
