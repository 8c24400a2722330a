package dev.shepherd.plugins.ios;

import dev.shepherd.apple.ApnsPusher;
import dev.shepherd.apple.PushCertificateEndpoint;
import dev.shepherd.apple.PushCertificateRequests;
import dev.shepherd.apple.PushCertificates;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** The APNs push certificate for iPhone and iPad, at {@code /api/v1/plugins/apple-ios/push-certificate}. */
@Extension
public final class IosPushCertificateEndpoint extends PushCertificateEndpoint {

    @Inject
    public IosPushCertificateEndpoint(PushCertificates certificates, PushCertificateRequests requests, ApnsPusher pusher) {
        super(certificates, requests, pusher);
    }
}
