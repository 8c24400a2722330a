package dev.shepherd.http;

import dev.shepherd.security.AdminRole;
import dev.shepherd.security.AdminUser;
import io.undertow.server.HttpServerExchange;

import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One admin API route: method, path template ({@code /api/v1/plugins/{id}}), the roles allowed to call it,
 * and its handler. Routes are data so tests can enumerate every one of them.
 *
 * @param method HTTP method
 * @param template path template with {@code {name}} segments
 * @param roles roles allowed; others get 403
 * @param handler the handler
 */
public record AdminRoute(String method, String template, Set<AdminRole> roles, Handler handler) {

    /** Handles an authenticated, authorised request. */
    @FunctionalInterface
    public interface Handler {
        void handle(HttpServerExchange exchange, AdminUser user, Map<String, String> pathParameters) throws Exception;
    }

    private static final Pattern PARAMETER = Pattern.compile("\\{([a-zA-Z]+)}");

    public AdminRoute {
        requireNonNull(method, "method is null");
        requireNonNull(template, "template is null");
        roles = Set.copyOf(roles);
        requireNonNull(handler, "handler is null");
    }

    /** @return the template as a regular expression with named groups */
    Pattern pattern() {
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
}
