package dev.shepherd.api.http;

import org.pf4j.ExtensionPoint;

import java.util.Set;

/**
 * A device-facing HTTP endpoint contributed by a plugin.
 *
 * <p>The kernel mounts every endpoint of plugin {@code p} under {@code /mdm/p}; {@link #path()} selects the
 * part of that space this endpoint serves (the longest matching prefix wins). Endpoints disappear when
 * their plugin stops. Devices are not admins: these routes carry no admin authentication, so an endpoint
 * must authenticate the device itself, typically from {@link DeviceRequest#clientCertificates()} or a
 * signed body.
 *
 * <p>Bad input from a device should be answered with a 4xx response, or refused from anywhere below
 * {@link #handle} with a {@link RequestRefusedException}. Any other exception or error thrown from {@link #handle}
 * fails that one request (the device gets a problem+json 500, the stack trace is logged) and counts as a failure of
 * the plugin: many failures in a row, or a call that hangs past the server's call timeout, take the plugin out of
 * service for a cool-down (its circuit breaker opens) until a trial call succeeds.
 */
public interface DeviceEndpoint extends ExtensionPoint {

    /**
     * The path prefix below the plugin's mount point that this endpoint serves.
     *
     * @return a path starting with {@code /}; {@code /} serves everything
     */
    default String path() {
        return "/";
    }

    /**
     * Exact paths at the root of the server that this endpoint also answers, for clients that derive the URL from a
     * domain name rather than being told it: Windows looks for {@code /EnrollmentServer/Discovery.svc} on
     * {@code enterpriseenrollment.<domain>}, for instance. Such a request reaches {@link #handle} with the root path
     * itself as {@link DeviceRequest#path()}. Paths are matched without regard to case. The first running plugin to
     * claim a path is asked first (a newer generation of the same plugin takes its place); when it answers 404, the
     * first claim of each other plugin is asked in turn, and the first answer other than 404 is sent (since 0.12.1:
     * two plugins may share a path such as Apple's {@code /.well-known/com.apple.remotemanagement}, each answering
     * for its own devices). A path under the kernel's own routes ({@code /api}, {@code /mdm}, {@code /scep},
     * {@code /enroll}, {@code /health}) cannot be claimed.
     *
     * @return root paths starting with {@code /}, usually none
     */
    default Set<String> wellKnownPaths() {
        return Set.of();
    }

    /**
     * The largest request body this endpoint accepts; larger requests are answered 413 without calling it.
     *
     * @return a byte count
     */
    default int maxBodyBytes() {
        return 1024 * 1024;
    }

    /**
     * Answers one request. Called concurrently from many threads.
     *
     * @param request the request
     * @return the response
     * @throws Exception when the plugin fails; see the type's description
     */
    DeviceResponse handle(DeviceRequest request) throws Exception;
}
