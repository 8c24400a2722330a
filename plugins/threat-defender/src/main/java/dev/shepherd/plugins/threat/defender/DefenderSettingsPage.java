package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page for the Defender connection ({@code console/defender-settings.js}), over the plugin's
 * {@link DefenderSettingsEndpoint}: the Entra tenant, the app's client id and secret, the API region and the machine
 * tag. The connector's health (last poll, errors, matched and unmatched devices) is the kernel's threats page.
 */
@Extension
public final class DefenderSettingsPage implements ConsolePage {

    @Override
    public String id() {
        return "defender-settings";
    }

    @Override
    public String title() {
        return "Defender connection";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "defender-settings.js";
    }

    @Override
    public String description() {
        return "Connect Microsoft Defender for Endpoint through an Entra app registration: tenant, client id and secret, API region.";
    }
}
