package dev.shepherd.plugins.macos;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.apple.ApnsPusher;
import dev.shepherd.apple.ApplePlatformSupport;
import dev.shepherd.apple.PushCertificates;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** Macs: Apple's enrollment profile, settings as configuration profiles (FileVault for encryption), commands. */
@Extension
public final class MacPlatform extends ApplePlatformSupport {

    @Inject
    public MacPlatform(CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                       PushCertificates pushCertificates, ApnsPusher pusher, PluginStorage storage, SecretSealer sealer,
                       PolicyService policies) {
        super(authority, signer, config, identity, pushCertificates, pusher, storage, sealer, policies, Platform.MACOS,
                SettingProfiles.Os.MACOS);
    }
}
