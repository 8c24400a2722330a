package dev.shepherd.plugins.macos;

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

/** The Automated Device Enrollment server tokens for Macs, at {@code /api/v1/plugins/apple-macos/ade}. */
@Extension
public final class MacAdeServerTokenEndpoint extends AdeServerTokenEndpoint {

    @Inject
    public MacAdeServerTokenEndpoint(AdeServerTokens tokens, DeviceRegistry registry, GroupDirectory groups, PluginStorage storage, PluginConfig config,
                                     ServerAddress address, PluginIdentity identity, AdeSyncScheduler schedule) {
        super(tokens, new AdeDeviceSync(tokens, registry, groups, storage, config, Platform.MACOS), schedule, address, identity);
    }
}
