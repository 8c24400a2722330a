package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.console.ConsolePage;
import dev.shepherd.api.console.ExternalOrigin;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The console page showing Google's managed Play iframe ({@code console/managed-play.js}) over the plugin's
 * {@link ManagedPlayEndpoint}: it asks for a web token for the console's own address, loads Google's iframe script,
 * opens the iframe in SELECT mode, and adds the app the admin selects to the store's catalog. The console admits
 * Google's script and the iframe's page because the page declares their origins, taken from the plugin's settings
 * {@code iframeScriptUrl} and {@code iframeUrl} (Google's by default).
 */
@Extension
public final class ManagedPlayPage implements ConsolePage {

    private final PlaySettings settings;

    @Inject
    public ManagedPlayPage(PlayContext context) {
        this.settings = requireNonNull(context, "context is null").settings();
    }

    @Override
    public String id() {
        return "managed-play";
    }

    @Override
    public String title() {
        return "Managed Google Play";
    }

    @Override
    public String permission() {
        // The endpoint's permission: an admin who sees the page can use it.
        return "app_manage";
    }

    @Override
    public String module() {
        return "managed-play.js";
    }

    @Override
    public String description() {
        return "Search managed Google Play, approve public apps and publish private ones in Google's iframe, and add them to the catalog.";
    }

    /** Google's script (and the modules it loads from its own origin) and the iframe's page; nothing else. */
    @Override
    public Set<ExternalOrigin> externalOrigins() {
        return Set.of(ExternalOrigin.script(PlaySettings.origin(settings.iframeScriptUrl())),
                ExternalOrigin.frame(PlaySettings.origin(settings.iframeUrl())));
    }
}
