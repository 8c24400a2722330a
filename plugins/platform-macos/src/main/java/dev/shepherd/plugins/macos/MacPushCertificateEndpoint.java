package dev.shepherd.plugins.macos;

import dev.shepherd.apple.ApnsPusher;
import dev.shepherd.apple.PushCertificateEndpoint;
import dev.shepherd.apple.PushCertificateRequests;
import dev.shepherd.apple.PushCertificates;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** The APNs push certificate for Macs, at {@code /api/v1/plugins/apple-macos/push-certificate}. */
@Extension
public final class MacPushCertificateEndpoint extends PushCertificateEndpoint {

    @Inject
    public MacPushCertificateEndpoint(PushCertificates certificates, PushCertificateRequests requests, ApnsPusher pusher) {
        super(certificates, requests, pusher);
    }
}
