package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/chromeos/service-account}: admins upload (PUT, the service account's JSON key as Google
 * Cloud hands it out), read (GET: the account, the admin it acts for, the scopes to delegate, how calls to Google have
 * gone) and remove (DELETE) the Google service account. The key is stored sealed and never shown or logged.
 */
@Extension
public final class ServiceAccountEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(ServiceAccountEndpoint.class);

    private final ServiceAccountKeys keys;
    private final GoogleApi google;

    @Inject
    public ServiceAccountEndpoint(ServiceAccountKeys keys, GoogleApi google) {
        this.keys = requireNonNull(keys, "keys is null");
        this.google = requireNonNull(google, "google is null");
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
        return 64 * 1024;
    }

    @Override
    public String summary() {
        return "The Google service account: PUT its JSON key, GET the account and how calls to Google have gone, DELETE it";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> keys.current().map(this::status)
                    .orElseGet(() -> Responses.problem(404, "Not found", "No service account key has been uploaded."));
            case "PUT" -> {
                try {
                    ServiceAccountKeys.ServiceAccount account = keys.upload(request.body());
                    log.info("Google service account {} (key {}) uploaded by {}", account.clientEmail(), account.keyId(), request.adminUsername());
                    yield status(account);
                } catch (IllegalArgumentException e) {
                    yield Responses.problem(400, "Bad request", e.getMessage());
                }
            }
            case "DELETE" -> keys.remove() ? DeviceResponse.empty(204)
                    : Responses.problem(404, "Not found", "No service account key has been uploaded.");
            default -> Responses.methodNotAllowed("GET, PUT, DELETE");
        };
    }

    private DeviceResponse status(ServiceAccountKeys.ServiceAccount account) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clientEmail", account.clientEmail());
        body.put("clientId", account.clientId());
        body.put("keyId", account.keyId());
        body.put("projectId", account.projectId());
        body.put("adminUser", google.settings().adminUser().orElse(null));
        body.put("customerId", google.settings().customerId());
        body.put("scopes", GoogleApi.SCOPES.split(" "));
        body.put("connected", google.connected());
        GoogleApi.Statistics statistics = google.statistics();
        Map<String, Object> calls = new LinkedHashMap<>();
        calls.put("calls", statistics.calls());
        calls.put("retried", statistics.retried());
        calls.put("tokensFetched", statistics.tokensFetched());
        calls.put("failed", statistics.failed());
        statistics.lastError().ifPresent(error -> calls.put("lastError", error));
        statistics.lastErrorAt().ifPresent(at -> calls.put("lastErrorAt", at.toString()));
        body.put("google", calls);
        return Responses.json(200, body);
    }
}
