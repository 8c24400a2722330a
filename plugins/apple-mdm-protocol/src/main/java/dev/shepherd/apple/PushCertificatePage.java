package dev.shepherd.apple;

import dev.shepherd.api.console.ConsolePage;

/**
 * The console page for the APNs push certificate ({@code console/push-certificate.js} in this library), over the
 * plugin's {@link PushCertificateEndpoint}. Each Apple platform plugin registers a subclass, so the page is listed
 * under the plugin whose certificate it manages.
 */
public abstract class PushCertificatePage implements ConsolePage {

    /** The page's id, which the plugin's setup requirement links to. */
    static final String ID = "push-certificate";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String title() {
        return "Push certificate";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "push-certificate.js";
    }

    @Override
    public String description() {
        return "Upload and renew the APNs certificate that wakes devices; see its expiry and how pushes have gone.";
    }
}
