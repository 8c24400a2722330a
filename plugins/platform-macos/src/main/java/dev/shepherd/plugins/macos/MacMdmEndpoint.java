package dev.shepherd.plugins.macos;

import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceSetup;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.EventPublisher;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.apple.AdeSyncScheduler;
import dev.shepherd.apple.ApnsPusher;
import dev.shepherd.apple.AppleMdmEndpoint;
import dev.shepherd.apple.SettingProfiles;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.pf4j.Extension;

import java.time.Clock;

/** Apple's MDM check-in and command endpoints for Macs, at {@code /mdm/apple-macos/checkin} and {@code /connect}. */
@Extension
@Singleton
public final class MacMdmEndpoint extends AppleMdmEndpoint {

    @Inject
    public MacMdmEndpoint(DeviceRegistry registry, CommandBus commands, CertificateAuthority authority, PluginStorage storage,
                          SecretSealer sealer, PolicyService policies, DeviceSetup setup, PluginConfig config, ServerSigner signer,
                          ServerAddress address, PluginIdentity identity, EventPublisher events, AdeSyncScheduler schedule, ApnsPusher pusher,
                          Clock clock) {
        super(registry, commands, authority, storage, sealer, policies, setup, config, signer, address, identity, events, schedule, pusher, clock, Platform.MACOS, SettingProfiles.Os.MACOS);
    }
}
