package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.apple.AdeServerTokens;
import dev.shepherd.apple.AdeWebView;
import dev.shepherd.apple.PushCertificates;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Clock;

/**
 * Where Setup Assistant on iPhones and iPads opens the sign-in web view of an ADE profile that requires sign-in:
 * {@code /mdm/apple-ios/ade/web-view}.
 */
@Extension
public final class IosAdeWebView extends AdeWebView {

    @Inject
    public IosAdeWebView(DeviceRegistry registry, AdeServerTokens tokens, GroupDirectory groups, PluginStorage storage, SecretSealer sealer,
                          UserAuthenticator users, CertificateAuthority authority, ServerSigner signer, PluginConfig config,
                          PluginIdentity identity, PushCertificates pushCertificates, ServerAddress address, Clock clock) {
        super(registry, tokens, groups, storage, sealer, users, authority, signer, config, identity, pushCertificates, address, clock,
                Platform.IOS, SettingProfiles.Os.IOS);
    }
}
