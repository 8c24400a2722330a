package dev.shepherd.api.threat;

import org.pf4j.ExtensionPoint;

import java.time.Duration;
import java.util.Optional;

/**
 * A mobile threat-defense or endpoint-detection integration that feeds device threat levels into compliance and
 * conditional access.
 *
 * <p>A connector delivers by pull, by push, or both. <b>Pull:</b> a connector whose {@link #pollInterval()} is
 * present is polled by the kernel, on one node of a cluster, on the plugin's executor with a time limit, with the
 * cursor the previous poll returned; failures back off and show in the connector's health, and a slow or failing
 * connector never delays another. <b>Push:</b> a connector that receives vendor webhooks on a
 * {@link dev.shepherd.api.http.DeviceEndpoint} (or reads a vendor's event stream) hands what it received to the
 * injectable {@link ThreatSignals}.
 *
 * <p>The kernel keeps the threat state per device and per connector, matches vendor devices to managed ones (see
 * {@link VendorDevice}), publishes changes as events, and judges freshness: a connector that has not been heard from
 * (a successful poll, or any push) for longer than its stale age makes its verdicts stale, and a stale verdict never
 * counts as secure.
 *
 * @since 0.1.0 (revised in 0.12.0)
 */
public interface ThreatDefenseConnector extends ExtensionPoint {

    /**
     * The connector's stable id, such as {@code defender} or {@code lookout}: lower case, digits and dashes. The
     * kernel keeps it with every verdict, so it must never change.
     *
     * @return the id
     * @since 0.1.0
     */
    String id();

    /**
     * The vendor's name as admins see it.
     *
     * @return the name
     * @since 0.12.0
     */
    String displayName();

    /**
     * What an admin must still do before the connector works (credentials missing, say), answered without a remote
     * call. The kernel does not poll a connector that is not set up and shows the reason in its health.
     *
     * @return the missing step in words an admin can act on, or empty when the connector is set up
     * @since 0.12.0
     */
    default Optional<String> setupProblem() {
        return Optional.empty();
    }

    /**
     * How often the kernel polls this connector; empty for a connector that only receives pushes.
     *
     * @return the interval, at least one second, or empty
     * @since 0.12.0
     */
    default Optional<Duration> pollInterval() {
        return Optional.of(Duration.ofMinutes(5));
    }

    /**
     * How long the connector may stay silent before its verdicts are stale; empty for the server's default
     * ({@code threat.staleAfter}). An admin's per-connector setting overrides both.
     *
     * @return the age, or empty
     * @since 0.12.0
     */
    default Optional<Duration> staleAfter() {
        return Optional.empty();
    }

    /**
     * The assessments that changed since a cursor. Called only when {@link #pollInterval()} is present and
     * {@link #setupProblem()} is empty.
     *
     * @param cursor the {@link ThreatPoll#nextCursor()} of the previous successful poll, or empty for the first poll
     *        (which should report every device the vendor knows)
     * @return what changed and where to resume
     * @throws ThreatDefenseException when the vendor cannot answer now; the kernel keeps the cursor and retries later
     * @since 0.12.0
     */
    default ThreatPoll poll(Optional<String> cursor) throws ThreatDefenseException {
        throw new UnsupportedOperationException(id() + " is a push-only connector and is never polled");
    }
}
