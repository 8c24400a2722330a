package dev.shepherd.plugins.android;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page that connects Shepherd to Google ({@code console/enterprise.js} in this plugin's jar), at
 * {@code #/plugins/android/enterprise}: the service-account key upload, the enterprise signup or binding, and how
 * talking to Google goes. It calls only {@link ServiceAccountEndpoint} and {@link EnterpriseEndpoint}, so setting up
 * Android needs no API client.
 */
@Extension
public final class EnterprisePage implements ConsolePage {

    /** The page\'s id, which the plugin\'s setup requirement links to. */
    static final String ID = "enterprise";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String title() {
        return "Android Enterprise";
    }

    @Override
    public String permission() {
        // The permission of both endpoints the page calls: an admin who is offered the page can use all of it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "enterprise.js";
    }

    @Override
    public String description() {
        return "Connect Shepherd to Google: upload the service-account key, sign up for or bind the enterprise, see Google's last error.";
    }
}
