package dev.shepherd.plugins.macos;

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
 * Account-driven enrollment of Macs, user enrollment of personal ones and device enrollment of the organisation's:
 * {@code /.well-known/com.apple.remotemanagement} for the {@code Mac} model family, and
 * {@code /mdm/apple-macos/account-enrollment}. The iOS plugin claims the same well-known path; the kernel asks each
 * claimant in turn, and each answers only for its own model families.
 */
@Extension
public final class MacAccountDrivenEnrollment extends AccountDrivenEnrollment {

    @Inject
    public MacAccountDrivenEnrollment(DeviceRegistry registry, CertificateAuthority authority, ServerSigner signer, PluginConfig config,
                                      PluginIdentity identity, PushCertificates pushCertificates, PluginStorage storage,
                                      SecretSealer sealer, ServerAddress address, Clock clock) {
        super(registry, authority, signer, config, identity, pushCertificates, storage, sealer, address, clock, Platform.MACOS,
                SettingProfiles.Os.MACOS, Set.of("Mac"));
    }
}
