package dev.shepherd.plugins.chromeos;

import dev.shepherd.google.GoogleClient;
import dev.shepherd.google.ServiceAccount;
import dev.shepherd.google.ServiceAccountEndpoint;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/chromeos/service-account}: admins upload (PUT, the service account's JSON key as Google
 * Cloud hands it out), read (GET: the account, the admin it acts for, the scopes to delegate, how calls to Google have
 * gone) and remove (DELETE) the Google service account. The key is stored sealed and never shown or logged.
 */
@Extension
public final class ChromeOsServiceAccountEndpoint extends ServiceAccountEndpoint {

    private final GoogleApi google;

    @Inject
    public ChromeOsServiceAccountEndpoint(ChromeOsServiceAccountKeys keys, GoogleApi google) {
        super(keys);
        this.google = requireNonNull(google, "google is null");
    }

    @Override
    public String summary() {
        return "The Google service account: PUT its JSON key, GET the account and how calls to Google have gone, DELETE it";
    }

    @Override
    protected Map<String, Object> describe(ServiceAccount account) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clientEmail", account.clientEmail());
        body.put("clientId", account.clientId());
        body.put("keyId", account.keyId());
        body.put("projectId", account.projectId());
        body.put("adminUser", google.settings().adminUser().orElse(null));
        body.put("customerId", google.settings().customerId());
        body.put("scopes", GoogleApi.SCOPES.split(" "));
        body.put("connected", google.connected());
        GoogleClient.Statistics statistics = google.statistics();
        Map<String, Object> calls = new LinkedHashMap<>();
        calls.put("calls", statistics.calls());
        calls.put("retried", statistics.retried());
        calls.put("tokensFetched", statistics.tokensFetched());
        calls.put("failed", statistics.failed());
        statistics.lastError().ifPresent(error -> calls.put("lastError", error));
        statistics.lastErrorAt().ifPresent(at -> calls.put("lastErrorAt", at.toString()));
        body.put("google", calls);
        return body;
    }
}
