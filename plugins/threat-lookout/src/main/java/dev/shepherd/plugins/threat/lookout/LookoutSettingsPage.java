package dev.shepherd.plugins.threat.lookout;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page of the Lookout connector ({@code console/lookout-settings.js}), over {@link LookoutSettingsEndpoint}:
 * set or replace the application key, point the connector at another API address, remove the key.
 */
@Extension
public final class LookoutSettingsPage implements ConsolePage {

    @Override
    public String id() {
        return "settings";
    }

    @Override
    public String title() {
        return "Lookout";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "lookout-settings.js";
    }

    @Override
    public String description() {
        return "Connect Lookout Mobile Endpoint Security: its application key and API address.";
    }
}
