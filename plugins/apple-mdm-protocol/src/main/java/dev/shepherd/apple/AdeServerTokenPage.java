package dev.shepherd.apple;

import dev.shepherd.api.console.ConsolePage;

/**
 * The console page for Automated Device Enrollment's server tokens and their ADE profiles ({@code console/ade-tokens.js}
 * in this library), over the plugin's {@link AdeServerTokenEndpoint}. Each Apple platform plugin registers a subclass.
 */
public abstract class AdeServerTokenPage implements ConsolePage {

    @Override
    public String id() {
        return "ade-tokens";
    }

    @Override
    public String title() {
        return "ADE server tokens";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "ade-tokens.js";
    }

    @Override
    public String description() {
        return "Connect Apple Business or School Manager: download the public key, upload each MDM server's token, watch their expiry,"
                + " and choose the ADE profile each device gets by serial number, group or default.";
    }
}
