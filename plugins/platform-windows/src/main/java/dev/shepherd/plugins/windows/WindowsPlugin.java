package dev.shepherd.plugins.windows;

import dev.shepherd.plugins.windows.push.WnsPusher;
import jakarta.inject.Inject;
import org.pf4j.Plugin;

import static java.util.Objects.requireNonNull;

/**
 * The lifecycle of the Windows plugin: stopping it (on removal or upgrade) stops its WNS sender, so the old
 * generation's threads do not outlive it.
 */
public final class WindowsPlugin extends Plugin {

    private final WnsPusher pusher;

    @Inject
    public WindowsPlugin(WnsPusher pusher) {
        this.pusher = requireNonNull(pusher, "pusher is null");
    }

    @Override
    public void stop() {
        pusher.close();
    }
}
