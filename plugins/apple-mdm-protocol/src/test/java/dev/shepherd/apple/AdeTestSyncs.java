package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.group.PluginGroupDirectory;
import dev.shepherd.server.Kernel;

import java.net.http.HttpClient;
import java.time.Clock;
import java.util.Optional;

/** The iOS plugin's ADE sync as the plugin host wires it, over a test kernel and the stand-in of Apple's service. */
final class AdeTestSyncs {

    private AdeTestSyncs() {
    }

    /**
     * @param tokens the plugin's server tokens, kept in {@code storage}
     * @param apple the stand-in the sync calls; its OAuth checks timestamps against the real time, so the sync's clock is the real one
     */
    static AdeDeviceSync iosSync(Kernel kernel, AdeServerTokens tokens, PluginStorage storage, LocalDeviceAssignment apple) {
        return new AdeDeviceSync(tokens, new PluginDeviceRegistry("apple-ios", kernel.devices(), kernel.enrollmentTokens(), kernel.recoveryKeys()),
                Optional.of(new PluginGroupDirectory("apple-ios", kernel.groups())), storage, apple.uri(), Platform.IOS,
                HttpClient.newHttpClient(), Clock.systemUTC());
    }
}
