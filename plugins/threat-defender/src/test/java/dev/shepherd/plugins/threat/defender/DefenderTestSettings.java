package dev.shepherd.plugins.threat.defender;

import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** Settings and a connection pointed at a {@link LocalDefender}, for the unit tests. */
final class DefenderTestSettings {

    private DefenderTestSettings() {
    }

    /** Settings for the fake: small pages and look-up budgets so paging and resuming show with a few machines. */
    static DefenderSettings settings(LocalDefender defender, int pageSize, int alertLookupsPerPoll) {
        return new DefenderSettings(defender.url(), URI.create(DefenderSettings.DEFENDER_PORTAL_URL), Duration.ofSeconds(5), Optional.empty(),
                pageSize, alertLookupsPerPoll, 50, 100, 1_500, Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofSeconds(5), 1024 * 1024);
    }

    static DefenderCredentials credentials(LocalDefender defender) {
        return new DefenderCredentials(LocalDefender.TENANT, LocalDefender.CLIENT_ID, LocalDefender.CLIENT_SECRET, defender.url(), Optional.empty());
    }

    static DefenderConnection connection(DefenderSettings settings, Clock clock) {
        return new DefenderConnection(settings, new MemoryPluginStorage(), TestSecrets.sealer(), clock);
    }
}
