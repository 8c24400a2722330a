package dev.shepherd.google;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/service-account}: admins upload (PUT, the JSON key file as Google Cloud hands it
 * out), read (GET) and remove (DELETE) the service account the plugin calls Google as. The key is stored sealed and
 * never shown or logged; GET and PUT answer with what the plugin chooses to tell about the account
 * ({@link #describe}), never the key.
 *
 * <p>Each plugin registers a subclass, annotated {@code @Extension}, with an {@code @Inject} constructor.
 */
public abstract class ServiceAccountEndpoint implements AdminEndpoint {

    /** The endpoint's path below the plugin's admin mount point. */
    public static final String PATH = "/service-account";
    private static final String NONE_UPLOADED = "No service-account key has been uploaded.";
    private static final Logger log = LoggerFactory.getLogger(ServiceAccountEndpoint.class);

    private final ServiceAccountKeys keys;

    /** @param keys the plugin's service-account keys */
    protected ServiceAccountEndpoint(ServiceAccountKeys keys) {
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public final String path() {
        return PATH;
    }

    @Override
    public final String permission() {
        return "plugin_manage";
    }

    /** A key file is about 2.5 KB; the bound leaves room for formatting without inviting large bodies. */
    @Override
    public final int maxBodyBytes() {
        return 64 * 1024;
    }

    /** @return the summary for the OpenAPI document, naming the API the account is for */
    @Override
    public abstract String summary();

    /**
     * What GET and PUT answer: the account (never its key) and whatever else the plugin's admins need beside it.
     *
     * @param account the stored account
     * @return the JSON body
     */
    protected abstract Map<String, Object> describe(ServiceAccount account);

    @Override
    public final DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> keys.current().map(account -> JsonResponses.json(200, describe(account)))
                    .orElseGet(() -> JsonResponses.problem(404, "Not found", NONE_UPLOADED));
            case "PUT" -> {
                try {
                    ServiceAccount account = keys.upload(request.body());
                    log.info("Google service account {} (project {}, key {}) uploaded by {}", account.clientEmail(), account.projectId(),
                            account.keyId(), request.adminUsername());
                    yield JsonResponses.json(200, describe(account));
                } catch (IllegalArgumentException e) {
                    yield JsonResponses.problem(400, "Bad request", e.getMessage());
                }
            }
            case "DELETE" -> keys.remove() ? DeviceResponse.empty(204) : JsonResponses.problem(404, "Not found", NONE_UPLOADED);
            default -> JsonResponses.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }
}
