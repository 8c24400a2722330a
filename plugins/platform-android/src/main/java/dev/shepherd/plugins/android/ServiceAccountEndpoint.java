package dev.shepherd.plugins.android;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/android/service-account}: admins upload (PUT, the JSON key file), read (GET: which account
 * and project; never the key) and remove (DELETE) the service account Shepherd calls Google as.
 */
@Extension
public final class ServiceAccountEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(ServiceAccountEndpoint.class);

    private final ServiceAccounts accounts;

    @Inject
    public ServiceAccountEndpoint(ServiceAccounts accounts) {
        this.accounts = requireNonNull(accounts, "accounts is null");
    }

    @Override
    public String path() {
        return "/service-account";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 32 * 1024;
    }

    @Override
    public String summary() {
        return "The Google service account for the Android Management API: PUT its JSON key, GET which account it is, DELETE it";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> accounts.current().map(ServiceAccountEndpoint::describe)
                    .orElseGet(() -> Problems.problem(404, "Not found", "No service-account key has been uploaded."));
            case "PUT" -> {
                try {
                    ServiceAccounts.Credentials credentials = accounts.upload(request.body());
                    log.info("Service account {} of project {} uploaded by {}", credentials.clientEmail(), credentials.projectId(),
                            request.adminUsername());
                    yield describe(credentials);
                } catch (IllegalArgumentException e) {
                    yield Problems.problem(400, "Bad request", e.getMessage());
                }
            }
            case "DELETE" -> accounts.remove() ? DeviceResponse.empty(204)
                    : Problems.problem(404, "Not found", "No service-account key has been uploaded.");
            default -> Problems.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private static DeviceResponse describe(ServiceAccounts.Credentials credentials) {
        return Problems.json(200, Map.of("clientEmail", credentials.clientEmail(), "projectId", credentials.projectId()));
    }
}
