package dev.shepherd.api.http;

import java.nio.file.Path;
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
 * @param body the body, bounded by {@link AdminEndpoint#maxBodyBytes()}; empty when the body came as {@link #bodyFile()}
 * @param adminUsername who is calling
 * @param adminRole their role in force, such as {@code ADMIN}
 * @param bodyFile for an endpoint whose {@link AdminEndpoint#maxStreamedBodyBytes()} is positive, the file the kernel
 *        wrote the body to (bounded by that limit; an empty body is an empty file), readable by the server's process
 *        only. The kernel deletes it once {@link AdminEndpoint#handle} returns or throws: read it during the call, or
 *        move it ({@link java.nio.file.Files#move}; it sits on the file system of the server's data directory, as
 *        a plugin's {@code PluginDataDirectory} does) to keep it. Empty for every other endpoint. (since 0.9.0)
 */
public record AdminRequest(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                           byte[] body, String adminUsername, String adminRole, Optional<Path> bodyFile) {

    /** Validates and copies every part; a request with a body file has an empty {@code body}. */
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
        requireNonNull(bodyFile, "bodyFile is null");
        if (bodyFile.isPresent() && body.length > 0) {
            throw new IllegalArgumentException("a request with a body file has an empty body");
        }
    }

    /**
     * A request whose body came in memory, as every request did before 0.9.0.
     *
     * @param method HTTP method in upper case
     * @param path path below the plugin's admin mount point, starting with {@code /}
     * @param query query parameters
     * @param headers request headers
     * @param body the body
     * @param adminUsername who is calling
     * @param adminRole their role in force
     */
    public AdminRequest(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                        byte[] body, String adminUsername, String adminRole) {
        this(method, path, query, headers, body, adminUsername, adminRole, Optional.empty());
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
