package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.apple.PushCertificateEndpoint;
import dev.shepherd.apple.PushCertificates;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;

/** The APNs push certificate for iPhone and iPad, at {@code /api/v1/plugins/apple-ios/push-certificate}. */
@Extension
public final class IosPushCertificateEndpoint extends PushCertificateEndpoint {

    @Inject
    public IosPushCertificateEndpoint(PluginStorage storage, SecretSealer sealer) {
        super(new PushCertificates(storage, sealer, Clock.systemUTC()));
    }
}
