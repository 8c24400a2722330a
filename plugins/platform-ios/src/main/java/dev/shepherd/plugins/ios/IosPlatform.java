package dev.shepherd.plugins.ios;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.apple.AppleCommands;
import dev.shepherd.apple.Plists;
import org.pf4j.Extension;

import java.util.Optional;

/**
 * The iOS platform as the kernel sees it: which commands have an Apple equivalent. Settings are not compiled to
 * configuration profiles yet, and wake-up pushes (APNs) are not sent yet, so devices fetch their commands at their
 * next check-in.
 */
@Extension
public final class IosPlatform implements PlatformSupport {

    @Override
    public Platform platform() {
        return AppleMdmEndpoint.PLATFORM;
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        return AppleCommands.toPlist(command, Optional.empty()).map(plist -> new NativeCommand("application/xml", Plists.xml(plist)));
    }
}
