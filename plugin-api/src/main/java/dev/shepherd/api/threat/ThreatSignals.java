package dev.shepherd.api.threat;

import java.util.List;

/**
 * Where a connector hands the kernel what a vendor pushed to it (a webhook, an event stream). Injectable into any
 * extension. The kernel treats pushed assessments exactly like polled ones.
 *
 * @since 0.12.0
 */
public interface ThreatSignals {

    /**
     * Records assessments a vendor pushed, durably, before returning: answer the vendor's delivery only after this
     * returns, so nothing acknowledged is lost. Reporting an empty list records that the vendor was heard from (a
     * heartbeat), which keeps the connector's verdicts fresh.
     *
     * @param connectorId the {@link ThreatDefenseConnector#id()} of a connector of the calling plugin
     * @param assessments what the vendor reported
     * @return how the assessments were matched and what they changed
     * @throws IllegalArgumentException when the calling plugin has no connector with that id, or the report exceeds the
     *         kernel's bounds (at most 1,000 assessments and 100 threats per assessment; see the server's threat-defense
     *         documentation): nothing was recorded, and sending the same again will not help. Any other runtime
     *         exception also means nothing was recorded, but retrying later may succeed: answer the vendor so it
     *         redelivers
     * @since 0.12.0
     */
    ThreatReport report(String connectorId, List<ThreatAssessment> assessments);

    /**
     * How a report was taken.
     *
     * @param matched assessments matched to a managed device
     * @param unmatched assessments kept as unmatched for an admin to link
     * @param changed devices whose level or threats changed
     * @since 0.12.0
     */
    record ThreatReport(int matched, int unmatched, int changed) {
    }
}
