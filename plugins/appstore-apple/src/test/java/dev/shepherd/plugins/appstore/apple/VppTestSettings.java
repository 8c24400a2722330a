package dev.shepherd.plugins.appstore.apple;

import java.time.Duration;

/** Settings pointing the plugin at a {@link LocalVpp}, with short waits so tests of backoff stay quick. */
final class VppTestSettings {

    private VppTestSettings() {
    }

    static VppSettings against(LocalVpp vpp) {
        return against(vpp, 8 * 1024 * 1024);
    }

    static VppSettings against(LocalVpp vpp, int maxResponseBytes) {
        return new VppSettings(vpp.serviceUrl(), vpp.lookupUrl(), "us", 3, Duration.ofSeconds(2), Duration.ofSeconds(5),
                Duration.ofSeconds(5), maxResponseBytes);
    }
}
