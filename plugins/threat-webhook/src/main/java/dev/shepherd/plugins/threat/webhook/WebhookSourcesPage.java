package dev.shepherd.plugins.threat.webhook;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/** The console page of the webhook sources: their URLs, mappings and secrets, and their last deliveries. */
@Extension
public final class WebhookSourcesPage implements ConsolePage {

    @Override
    public String id() {
        return "sources";
    }

    @Override
    public String title() {
        return "Webhook sources";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "webhook-sources.js";
    }

    @Override
    public String description() {
        return "Define the senders of signed threat webhooks, their payload mappings and secrets, and see their last deliveries.";
    }
}
