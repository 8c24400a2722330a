package dev.shepherd.api.http;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * A request from an authenticated, authorised admin to a plugin's admin endpoint.
 *
 * @param method HTTP method in upper case
 * @param path path below the plugin's admin mount point ({@code /api/v1/plugins/{pluginId}}), starting with {@code /}
 * @param query query parameters
 * @param headers request headers, names lower case; credentials are removed
 * @param body the body, bounded by {@link AdminEndpoint#maxBodyBytes()}
 * @param adminUsername who is calling
 * @param adminRole their role in force, such as {@code ADMIN}
 */
public record AdminRequest(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                           byte[] body, String adminUsername, String adminRole) {

    /** Validates and copies every part. */
    public AdminRequest {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        query = Map.copyOf(requireNonNull(query, "query is null"));
        TreeMap<String, List<String>> lowerCased = new TreeMap<>();
        requireNonNull(headers, "headers is null").forEach((name, values) -> lowerCased.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        headers = Map.copyOf(lowerCased);
        body = requireNonNull(body, "body is null").clone();
        requireNonNull(adminUsername, "adminUsername is null");
        requireNonNull(adminRole, "adminRole is null");
    }

    /**
     * The first value of a query parameter.
     *
     * @param name parameter name
     * @return the value, or empty when absent
     */
    public Optional<String> queryParameter(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /**
     * The body, copied.
     *
     * @return the request body
     */
    @Override
    public byte[] body() {
        return body.clone();
    }
}
