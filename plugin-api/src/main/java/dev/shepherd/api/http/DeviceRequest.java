package dev.shepherd.api.http;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * A request from a device to a plugin's device-facing endpoint.
 *
 * <p>The kernel has already bounded the body to the endpoint's {@link DeviceEndpoint#maxBodyBytes()} and
 * resolved the TLS client certificate chain (presented directly, or forwarded by a configured trusted proxy).
 *
 * @param method HTTP method in upper case, such as {@code PUT}
 * @param path path below the plugin's mount point, always starting with {@code /} (for
 *        {@code /mdm/apple-ios/checkin} this is {@code /checkin})
 * @param query query parameters, each name mapped to its values in order
 * @param headers request headers; names are lower case
 * @param body the request body, empty when there is none
 * @param clientCertificates the client certificate chain, leaf first; empty when none was presented
 * @param remoteAddress the peer's address as text
 */
public record DeviceRequest(
        String method,
        String path,
        Map<String, List<String>> query,
        Map<String, List<String>> headers,
        byte[] body,
        List<X509Certificate> clientCertificates,
        String remoteAddress) {

    /** Validates and copies every part, so a request never changes after it is made. */
    public DeviceRequest {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        query = Map.copyOf(requireNonNull(query, "query is null"));
        TreeMap<String, List<String>> lowerCased = new TreeMap<>();
        requireNonNull(headers, "headers is null").forEach((name, values) ->
                lowerCased.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        headers = Map.copyOf(lowerCased);
        body = requireNonNull(body, "body is null").clone();
        clientCertificates = List.copyOf(requireNonNull(clientCertificates, "clientCertificates is null"));
        requireNonNull(remoteAddress, "remoteAddress is null");
    }

    /**
     * The first value of a header.
     *
     * @param name header name, in any case
     * @return the value, or empty when the header is absent
     */
    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /**
     * The first value of a query parameter.
     *
     * @param name parameter name, case sensitive
     * @return the value, or empty when the parameter is absent
     */
    public Optional<String> queryParameter(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /**
     * The body, copied, so the caller may keep or change it.
     *
     * @return the request body
     */
    @Override
    public byte[] body() {
        return body.clone();
    }
}
