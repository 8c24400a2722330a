package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.apple.AccountDrivenEnrollment;
import dev.shepherd.apple.PushCertificates;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;
import java.util.Set;

/**
 * Account-driven user enrollment of personal iPhones and iPads: {@code /.well-known/com.apple.remotemanagement} and
 * {@code /mdm/apple-ios/account-enrollment}. The iOS plugin holds the well-known path for the server.
 */
@Extension
public final class IosAccountDrivenEnrollment extends AccountDrivenEnrollment {

    @Inject
    public IosAccountDrivenEnrollment(DeviceRegistry registry, CertificateAuthority authority, ServerSigner signer, PluginConfig config,
                                      PluginIdentity identity, PushCertificates pushCertificates, PluginStorage storage,
                                      SecretSealer sealer, ServerAddress address, Clock clock) {
        super(registry, authority, signer, config, identity, pushCertificates, storage, sealer, address, clock, Platform.IOS,
                SettingProfiles.Os.IOS, Set.of("iPhone", "iPad"));
    }
}
