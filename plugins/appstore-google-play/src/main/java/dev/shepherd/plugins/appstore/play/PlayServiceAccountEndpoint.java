package dev.shepherd.plugins.appstore.play;

import dev.shepherd.google.ServiceAccount;
import dev.shepherd.google.ServiceAccountEndpoint;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /api/v1/plugins/appstore-google-play/service-account}: admins upload (PUT, the JSON key file), read (GET:
 * which account, and which enterprise the store is for; never the key) and remove (DELETE) the service account the
 * store calls Google as.
 */
@Extension
public final class PlayServiceAccountEndpoint extends ServiceAccountEndpoint {

    private final PlaySettings settings;

    @Inject
    public PlayServiceAccountEndpoint(PlayServiceAccountKeys keys, PlayContext context) {
        super(keys);
        this.settings = context.settings();
    }

    @Override
    public String summary() {
        return "The Google service account for managed Google Play: PUT its JSON key, GET which account it is, DELETE it";
    }

    @Override
    protected Map<String, Object> describe(ServiceAccount account) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clientEmail", account.clientEmail());
        body.put("projectId", account.projectId());
        settings.enterprise().ifPresent(enterprise -> body.put("enterprise", enterprise));
        return body;
    }
}
