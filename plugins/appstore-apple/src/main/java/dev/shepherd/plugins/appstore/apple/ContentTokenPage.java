package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page for the Apps and Books content token ({@code console/content-token.js}), over the plugin's
 * {@link ContentTokenEndpoint}: upload or replace the {@code .vpptoken} file, see the organisation, location and expiry,
 * take over a location another MDM manages, remove the token.
 */
@Extension
public final class ContentTokenPage implements ConsolePage {

    @Override
    public String id() {
        return "content-token";
    }

    @Override
    public String title() {
        return "Apps and Books token";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "content-token.js";
    }

    @Override
    public String description() {
        return "Upload the content token of Apple's Apps and Books for Organizations; see its location and expiry.";
    }
}
