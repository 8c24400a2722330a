package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.apple.ApplePlatformSupport;
import dev.shepherd.apple.PushCertificates;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;

/** iPhone and iPad: Apple's enrollment profile, settings as configuration profiles, commands. */
@Extension
public final class IosPlatform extends ApplePlatformSupport {

    @Inject
    public IosPlatform(CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                       PluginStorage storage, SecretSealer sealer) {
        super(authority, signer, config, identity, new PushCertificates(storage, sealer, Clock.systemUTC()), Platform.IOS, SettingProfiles.Os.IOS);
    }
}
