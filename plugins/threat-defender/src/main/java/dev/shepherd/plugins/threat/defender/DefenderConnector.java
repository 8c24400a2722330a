package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatDefenseConnector;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Microsoft Defender for Endpoint as a threat-defense connector ({@value #ID}), polled.
 *
 * <p>Each poll reads one page of machines ({@code GET /api/machines}): the first sweep and then one every
 * {@link DefenderSettings#fullSweepEvery()} read every machine, the sweeps between only the machines Defender saw
 * since the previous sweep started less {@link DefenderSettings#overlap()} ({@code $filter=lastSeen gt …}). A page
 * with a further one returns {@code more} with Defender's {@code @odata.nextLink} in the cursor, so the kernel reads
 * it at once. For each machine whose risk is above None the poll reads its alerts, at most
 * {@link DefenderSettings#alertLookupsPerPoll()} of them and only while Defender's rate limits allow; what is left of
 * the page is reported by the next poll, at the next interval. Machines and alerts map to assessments as
 * {@link DefenderVerdicts} documents.
 */
@Extension
public final class DefenderConnector implements ThreatDefenseConnector {

    /** The connector's id, kept with every verdict. */
    public static final String ID = "defender";
    private static final Logger log = LoggerFactory.getLogger(DefenderConnector.class);
    private static final int MAX_CURSOR = 4_000;

    private final DefenderConnection connection;
    private final DefenderVerdicts verdicts;
    private final Clock clock;

    /**
     * @param connection the plugin's link to Defender
     * @param clock the server's clock
     */
    @Inject
    public DefenderConnector(DefenderConnection connection, Clock clock) {
        this.connection = requireNonNull(connection, "connection is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.verdicts = new DefenderVerdicts(connection.settings().portalUrl(), connection.settings().maxAlertsPerMachine());
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Microsoft Defender for Endpoint";
    }

    @Override
    public Optional<String> setupProblem() {
        return connection.credentials().isPresent() ? Optional.empty()
                : Optional.of("Enter the Entra tenant id and the app registration's client id and secret on the plugin's "
                + "Defender settings page (PUT /api/v1/plugins/threat-defender/settings)");
    }

    @Override
    public Optional<Duration> pollInterval() {
        return Optional.of(connection.settings().pollInterval());
    }

    @Override
    public Optional<Duration> staleAfter() {
        return connection.settings().staleAfter();
    }

    @Override
    public ThreatPoll poll(Optional<String> cursor) throws ThreatDefenseException {
        DefenderClient client = connection.client().orElseThrow(() -> new ThreatDefenseException(setupProblem().orElse("not set up")));
        DefenderCursor at = cursor.map(text -> DefenderCursor.parse(text).orElseGet(() -> {
            log.warn("The stored Defender cursor is not one this version wrote; reading every machine afresh");
            return DefenderCursor.start();
        })).orElseGet(DefenderCursor::start);
        try {
            // A sweep begun on another API root (an admin changed the region) starts again on the current one.
            boolean resume = at.inSweep() && client.isMachinesPage(at.page().orElseThrow());
            return poll(client, resume ? at : startSweep(client, at.inSweep() ? DefenderCursor.start() : at));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ThreatDefenseException("The Defender poll was interrupted", e);
        }
    }

    private DefenderCursor startSweep(DefenderClient client, DefenderCursor previous) {
        Instant now = clock.instant();
        DefenderSettings settings = connection.settings();
        boolean full = previous.seenAfter().isEmpty() || previous.lastFullSweep().isEmpty()
                || !now.isBefore(previous.lastFullSweep().get().plus(settings.fullSweepEvery()));
        Optional<Instant> seenAfter = full ? Optional.empty() : previous.seenAfter();
        return new DefenderCursor(seenAfter, Optional.of(now), full ? Optional.of(now) : previous.lastFullSweep(),
                Optional.of(client.firstMachinesPage(seenAfter)), 0);
    }

    private ThreatPoll poll(DefenderClient client, DefenderCursor at) throws ThreatDefenseException, InterruptedException {
        DefenderClient.MachinePage page = client.machines(at.page().orElseThrow());
        Instant readAt = clock.instant();
        List<ThreatAssessment> assessments = new ArrayList<>();
        int lookups = 0;
        int next = Math.min(at.done(), page.machines().size());
        for (; next < page.machines().size(); next++) {
            DefenderClient.Machine machine = page.machines().get(next);
            if (!DefenderVerdicts.assessed(machine)) {
                continue;
            }
            List<DefenderClient.Alert> alerts = List.of();
            if (DefenderVerdicts.atRisk(machine)) {
                if (lookups == connection.settings().alertLookupsPerPoll() || !client.canCall()) {
                    break;
                }
                lookups++;
                alerts = client.alerts(machine.id());
            }
            assessments.add(verdicts.assessment(machine, alerts, readAt));
        }
        if (next < page.machines().size()) {
            // The alert look-ups ran out: the rest of this page at the next interval, when the rate limits allow.
            return new ThreatPoll(assessments, cursorText(new DefenderCursor(at.seenAfter(), at.sweepStarted(), at.lastFullSweep(),
                    at.page(), next)), false);
        }
        if (page.nextLink().isPresent()) {
            return new ThreatPoll(assessments, cursorText(new DefenderCursor(at.seenAfter(), at.sweepStarted(), at.lastFullSweep(),
                    page.nextLink(), 0)), true);
        }
        Instant sweepStarted = at.sweepStarted().orElse(readAt);
        DefenderCursor between = new DefenderCursor(Optional.of(sweepStarted.minus(connection.settings().overlap())), Optional.empty(),
                at.lastFullSweep(), Optional.empty(), 0);
        return new ThreatPoll(assessments, cursorText(between), false);
    }

    /** The kernel keeps cursors of at most 4,000 characters; a next-page link longer than that is Defender's anomaly. */
    private static Optional<String> cursorText(DefenderCursor cursor) throws ThreatDefenseException {
        String text = cursor.format();
        if (text.length() > MAX_CURSOR) {
            throw new ThreatDefenseException("Defender's next-page link is too long to resume from (" + text.length()
                    + " characters in the cursor, at most " + MAX_CURSOR + ")");
        }
        return Optional.of(text);
    }
}
