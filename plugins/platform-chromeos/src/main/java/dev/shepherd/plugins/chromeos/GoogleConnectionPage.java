package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page for the connection to Google Admin ({@code console/google-connection.js} in this plugin), at
 * {@code #/plugins/chromeos/google}: the service account and how calls to Google have gone, the key's upload, and a
 * sync followed to its outcome. It calls only {@link ServiceAccountEndpoint} and {@link SyncEndpoint}; device actions
 * stay with the devices.
 */
@Extension
public final class GoogleConnectionPage implements ConsolePage {

    /** The page\'s id, which the plugin\'s setup requirement links to. */
    static final String ID = "google";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String title() {
        return "Google Admin connection";
    }

    @Override
    public String permission() {
        // The permission of both endpoints the page calls: an admin who sees the page can use all of it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "google-connection.js";
    }

    @Override
    public String description() {
        return "Upload the Google service account key, see whether Shepherd reaches Google Admin, and sync the Chromebooks now.";
    }
}
