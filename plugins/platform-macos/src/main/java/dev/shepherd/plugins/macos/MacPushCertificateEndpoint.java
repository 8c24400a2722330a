package dev.shepherd.plugins.macos;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.apple.PushCertificateEndpoint;
import dev.shepherd.apple.PushCertificates;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;

/** The APNs push certificate for Macs, at {@code /api/v1/plugins/apple-macos/push-certificate}. */
@Extension
public final class MacPushCertificateEndpoint extends PushCertificateEndpoint {

    @Inject
    public MacPushCertificateEndpoint(PluginStorage storage, SecretSealer sealer) {
        super(new PushCertificates(storage, sealer, Clock.systemUTC()));
    }
}
