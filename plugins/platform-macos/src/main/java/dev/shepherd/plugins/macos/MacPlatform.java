package dev.shepherd.plugins.macos;

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

/** Macs: Apple's enrollment profile, settings as configuration profiles (FileVault for encryption), commands. */
@Extension
public final class MacPlatform extends ApplePlatformSupport {

    @Inject
    public MacPlatform(CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                       PluginStorage storage, SecretSealer sealer) {
        super(authority, signer, config, identity, new PushCertificates(storage, sealer, Clock.systemUTC()), Platform.MACOS, SettingProfiles.Os.MACOS);
    }
}
