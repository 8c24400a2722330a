package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.apple.AdeEnrollment;
import dev.shepherd.apple.AdeServerTokens;
import dev.shepherd.apple.PushCertificates;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;

/** Where iPhones and iPads Apple Business Manager assigned to this server ask for their enrollment profile: {@code /mdm/apple-ios/ade/enroll}. */
@Extension
public final class IosAdeEnrollment extends AdeEnrollment {

    @Inject
    public IosAdeEnrollment(DeviceRegistry registry, AdeServerTokens tokens, GroupDirectory groups, PluginStorage storage, CertificateAuthority authority,
                          ServerSigner signer, PluginConfig config, PluginIdentity identity, PushCertificates pushCertificates,
                          ServerAddress address, Clock clock) {
        super(registry, tokens, groups, storage, authority, signer, config, identity, pushCertificates, address, clock, Platform.IOS,
                SettingProfiles.Os.IOS);
    }
}
