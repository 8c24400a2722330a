package dev.shepherd.plugins.threat.webhook;

import dev.shepherd.api.threat.ThreatDefenseConnector;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The push-only connector every source's deliveries are reported under: the kernel never polls it, and judges its
 * freshness by the deliveries and heartbeats it receives. Vendor device ids carry the source's name
 * ({@code zimperium:6}), so sources never mix their devices.
 */
@Extension
public final class WebhookConnector implements ThreatDefenseConnector {

    /** The connector's id, kept with every verdict; never changes. */
    static final String ID = "webhook";

    private final WebhookSources sources;

    @Inject
    public WebhookConnector(WebhookSources sources) {
        this.sources = requireNonNull(sources, "sources is null");
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Signed webhooks";
    }

    @Override
    public Optional<String> setupProblem() {
        return sources.all().isEmpty()
                ? Optional.of("Add a webhook source (Plugins → threat-webhook → Webhook sources) and give its URL and secret to the sender.")
                : Optional.empty();
    }

    @Override
    public Optional<Duration> pollInterval() {
        return Optional.empty();
    }
}
