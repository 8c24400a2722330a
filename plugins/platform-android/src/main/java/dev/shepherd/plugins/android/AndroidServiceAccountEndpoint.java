package dev.shepherd.plugins.android;

import dev.shepherd.google.ServiceAccount;
import dev.shepherd.google.ServiceAccountEndpoint;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /api/v1/plugins/android/service-account}: admins upload (PUT, the JSON key file), read (GET: which account
 * and project; never the key) and remove (DELETE) the service account Shepherd calls Google as.
 */
@Extension
public final class AndroidServiceAccountEndpoint extends ServiceAccountEndpoint {

    @Inject
    public AndroidServiceAccountEndpoint(AndroidServiceAccountKeys keys) {
        super(keys);
    }

    @Override
    public String summary() {
        return "The Google service account for the Android Management API: PUT its JSON key, GET which account it is, DELETE it";
    }

    @Override
    protected Map<String, Object> describe(ServiceAccount account) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clientEmail", account.clientEmail());
        body.put("projectId", account.projectId());
        return body;
    }
}
