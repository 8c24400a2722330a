package dev.shepherd.api.http;

import org.pf4j.ExtensionPoint;

/**
 * An admin API endpoint contributed by a plugin, such as uploading the push certificate of a platform. Mounted under
 * {@code /api/v1/plugins/{pluginId}}{@link #path()} behind the same authentication as the kernel's admin API; the
 * kernel lets through only admins whose role holds {@link #permission()}, and changes made with a session must carry
 * the CSRF token. Answer with {@link DeviceResponse}; JSON errors should be {@code application/problem+json}.
 */
public interface AdminEndpoint extends ExtensionPoint {

    /**
     * The path prefix below the plugin's admin mount point; the paths {@code /enable} and {@code /disable} are the
     * kernel's.
     *
     * @return a path starting with {@code /}, such as {@code /push-certificate}
     */
    String path();

    /**
     * The permission a caller needs, by name (case-insensitive): one of {@code device_read}, {@code device_write},
     * {@code device_action}, {@code device_wipe}, {@code device_profile}, {@code command_raw}, {@code enrollment_read}, {@code enrollment_write},
     * {@code group_read}, {@code group_write}, {@code policy_read}, {@code policy_write}, {@code command_read},
     * {@code compliance_read}, {@code compliance_write}, {@code access_query}, {@code user_read}, {@code user_write},
     * {@code plugin_read}, {@code plugin_manage}, {@code webhook_read}, {@code webhook_write}, {@code audit_read},
     * {@code admin_manage}, {@code device_recovery_key_read}, {@code app_read}, {@code app_manage} (since 0.8.0). An unknown name keeps the endpoint from being mounted. An endpoint with a destructive
     * effect declares the permission of the kernel action with the same effect (erasing, unenrolling or deprovisioning
     * a device: {@code device_wipe}; installing or removing profiles: {@code device_profile}), never a weaker one,
     * so a role's limits hold whichever way it reaches the effect.
     *
     * @return the permission's name
     */
    String permission();

    /**
     * The largest body accepted in memory; larger requests are answered 413 without calling the endpoint. The
     * server-wide {@code http.maxRequestBytes} bounds it too. Not used when {@link #maxStreamedBodyBytes()} is positive.
     *
     * @return a byte count
     */
    default int maxBodyBytes() {
        return 1024 * 1024;
    }

    /**
     * The largest body this endpoint takes as a file rather than in memory, for uploads too large to hold in the
     * server's heap (app packages, disk images). When positive, the kernel writes the request body to a temporary
     * file of its own under the server's data directory (readable by the server's process only), bounded by this
     * limit <em>instead of</em> the server-wide {@code http.maxRequestBytes} and {@link #maxBodyBytes()}, and hands it
     * over as {@link AdminRequest#bodyFile()} with an empty {@link AdminRequest#body()}. A larger body is answered 413
     * ({@code application/problem+json}) without calling the endpoint, and what was written of it is removed.
     * <p>
     * The file is deleted when {@link #handle} returns or throws: read it during the call, or move it
     * ({@link java.nio.file.Files#move}) to keep it; it lies on the file system of the server's data directory, as
     * the plugin's {@code PluginDataDirectory} does unless an operator mounted that elsewhere, so a move is usually a
     * rename, and a copy otherwise.
     *
     * @return a byte count; 0 (the default) or less for a body read into memory, bounded by {@link #maxBodyBytes()}
     * @since 0.9.0
     */
    default long maxStreamedBodyBytes() {
        return 0;
    }

    /**
     * A one-line description for the OpenAPI document.
     *
     * @return the summary
     */
    default String summary() {
        return "";
    }

    /**
     * Answers one request. A {@link RequestRefusedException} answers it with its 4xx; any other exception or error
     * fails this request only (the admin gets a problem+json 500, the stack trace is logged) and counts towards the
     * plugin's circuit breaker, as described on {@link DeviceEndpoint}.
     *
     * @param request the request
     * @return the response
     * @throws Exception when the plugin fails
     */
    DeviceResponse handle(AdminRequest request) throws Exception;
}
