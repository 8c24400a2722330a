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
 * Account-driven enrollment of iPhones and iPads, user enrollment of personal ones and device enrollment of the
 * organisation's: {@code /.well-known/com.apple.remotemanagement} for the {@code iPhone} and {@code iPad} model families,
 * and {@code /mdm/apple-ios/account-enrollment}. The macOS plugin claims the same well-known path; the kernel asks each
 * claimant in turn, and each answers only for its own model families.
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
