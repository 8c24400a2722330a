package dev.shepherd.plugins.ios;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.apple.AdeDeviceSync;
import dev.shepherd.apple.AdeServerTokenEndpoint;
import dev.shepherd.apple.AdeSyncScheduler;
import dev.shepherd.apple.AdeServerTokens;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** The Automated Device Enrollment server tokens for iPhone and iPad, at {@code /api/v1/plugins/apple-ios/ade}. */
@Extension
public final class IosAdeServerTokenEndpoint extends AdeServerTokenEndpoint {

    @Inject
    public IosAdeServerTokenEndpoint(AdeServerTokens tokens, DeviceRegistry registry, GroupDirectory groups, PluginStorage storage, PluginConfig config,
                                     ServerAddress address, PluginIdentity identity, AdeSyncScheduler schedule) {
        super(tokens, new AdeDeviceSync(tokens, registry, groups, storage, config, Platform.IOS), schedule, address, identity);
    }
}
