package dev.shepherd.plugins.threat.defender;

import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Defender client against {@link LocalDefender}: tokens, paging, throttling, outages and refusals. */
class DefenderClientTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private LocalDefender defender;
    private DefenderSettings settings;

    @BeforeEach
    void start() throws Exception {
        defender = LocalDefender.start(clock);
        settings = DefenderTestSettings.settings(defender, 1_000, 25);
        defender.machine("m1", "alice-iphone", "None", Optional.of("0b6f1c2d-0000-4000-8000-000000000001"));
    }

    @AfterEach
    void stop() {
        defender.close();
    }

    private DefenderClient client(DefenderCredentials credentials) {
        return new DefenderClient(credentials, settings, HttpClient.newHttpClient(), clock,
                new CallBudget(settings.callsPerMinute(), settings.callsPerHour(), clock));
    }

    private DefenderClient client() {
        return client(DefenderTestSettings.credentials(defender));
    }

    @Test
    void theTokenIsFetchedOnceAndReusedUntilShortlyBeforeItExpires() throws Exception {
        DefenderClient client = client();
        client.machines(client.firstMachinesPage(Optional.empty()));
        client.machines(client.firstMachinesPage(Optional.empty()));
        assertThat(defender.tokensIssued()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(56)); // an hour's token is renewed five minutes before its end
        client.machines(client.firstMachinesPage(Optional.empty()));
        assertThat(defender.tokensIssued()).isEqualTo(2);
    }

    @Test
    void aTokenRevokedEarlyIsReplacedOnDefendersFirst401() throws Exception {
        DefenderClient client = client();
        client.machines(client.firstMachinesPage(Optional.empty()));
        defender.expireTokens();

        assertThat(client.machines(client.firstMachinesPage(Optional.empty())).machines()).extracting(DefenderClient.Machine::id).containsExactly("m1");
        assertThat(defender.tokensIssued()).isEqualTo(2);
    }

    @Test
    void aTokenRefusedEvenWhenFreshIsAnErrorNamingThePermissionsNotTheSecret() {
        defender.refuseAllTokens();
        DefenderClient client = client();

        assertThatThrownBy(() -> client.machines(client.firstMachinesPage(Optional.empty()))).isInstanceOf(ThreatDefenseException.class)
                .hasMessageContaining("even when just issued").hasMessageContaining("Machine.Read.All")
                .hasMessageNotContaining(LocalDefender.CLIENT_SECRET);
        assertThat(defender.tokensIssued()).as("one refresh, then the error").isEqualTo(2);
    }

    @Test
    void aWrongSecretIsRefusedInWordsAnAdminActsOnWithoutTheSecret() {
        DefenderClient client = client(new DefenderCredentials(LocalDefender.TENANT, LocalDefender.CLIENT_ID, "not-the-secret-value",
                defender.url(), Optional.empty()));

        assertThatThrownBy(client::checkCredentials).isInstanceOf(DefenderClient.CredentialsRefusedException.class)
                .hasMessageContaining("invalid_client").hasMessageContaining("AADSTS7000215").hasMessageContaining("client secret's value")
                .hasMessageNotContaining("not-the-secret-value").hasMessageNotContaining("Trace ID");
    }

    @Test
    void anUnknownTenantOrAppIsRefusedToo() {
        assertThatThrownBy(() -> client(new DefenderCredentials("contoso.onmicrosoft.com", LocalDefender.CLIENT_ID, LocalDefender.CLIENT_SECRET,
                defender.url(), Optional.empty())).checkCredentials()).isInstanceOf(DefenderClient.CredentialsRefusedException.class)
                .hasMessageContaining("AADSTS90002");
        assertThatThrownBy(() -> client(new DefenderCredentials(LocalDefender.TENANT, "11111111-2222-4333-8444-555555555555",
                LocalDefender.CLIENT_SECRET, defender.url(), Optional.empty())).checkCredentials())
                .isInstanceOf(DefenderClient.CredentialsRefusedException.class).hasMessageContaining("unauthorized_client");
    }

    @Test
    void anAppWithoutDefendersPermissionsIsToldWhichToGrant() {
        defender.appRoles(Set.of("Alert.Read.All"));
        DefenderClient client = client();

        assertThatThrownBy(() -> client.machines(client.firstMachinesPage(Optional.empty()))).isInstanceOf(ThreatDefenseException.class)
                .hasMessageContaining("Machine.Read.All").hasMessageContaining("admin consent");
    }

    @Test
    void throttlingCarriesDefendersRetryAfterAndAnOutageIsAFailure() throws Exception {
        DefenderClient client = client();
        defender.throttle(1, 42);
        assertThatThrownBy(() -> client.machines(client.firstMachinesPage(Optional.empty()))).isInstanceOf(ThreatDefenseException.class)
                .satisfies(e -> assertThat(((ThreatDefenseException) e).retryAfter()).contains(Duration.ofSeconds(42)));

        defender.fail(1);
        assertThatThrownBy(() -> client.machines(client.firstMachinesPage(Optional.empty()))).isInstanceOf(ThreatDefenseException.class)
                .hasMessageContaining("503").hasMessageContaining("ServiceUnavailable");

        assertThat(client.machines(client.firstMachinesPage(Optional.empty())).machines()).hasSize(1);
    }

    @Test
    void theClientStopsBeforeDefendersRateLimitWithTheWaitItNeeds() throws Exception {
        settings = new DefenderSettings(settings.loginUrl(), settings.portalUrl(), settings.pollInterval(), Optional.empty(), 1_000, 25, 50,
                3, 10, settings.overlap(), settings.fullSweepEvery(), settings.timeout(), settings.maxResponseBytes());
        DefenderClient client = client();
        for (int call = 0; call < 3; call++) {
            client.machines(client.firstMachinesPage(Optional.empty()));
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(client.canCall()).isFalse();
        assertThatThrownBy(() -> client.machines(client.firstMachinesPage(Optional.empty())))
                .satisfies(e -> assertThat(((ThreatDefenseException) e).retryAfter()).contains(Duration.ofSeconds(30)));
        assertThat(defender.requests()).filteredOn(request -> request.startsWith("GET /api/")).hasSize(3);

        clock.advance(Duration.ofSeconds(30));
        assertThat(client.canCall()).isTrue();
    }

    @Test
    void pagesAreFollowedThroughDefendersNextLinkAndFullPagesThroughSkip() throws Exception {
        for (int i = 2; i <= 5; i++) {
            defender.machine("m" + i, "device-" + i, "Low", Optional.empty());
        }
        defender.serverPageSize(2); // the server cuts pages short of $top and links the rest
        DefenderClient client = client();
        DefenderClient.MachinePage first = client.machines(client.firstMachinesPage(Optional.empty()));
        assertThat(first.machines()).extracting(DefenderClient.Machine::id).containsExactly("m1", "m2");
        DefenderClient.MachinePage second = client.machines(first.nextLink().orElseThrow());
        DefenderClient.MachinePage third = client.machines(second.nextLink().orElseThrow());
        assertThat(List.of(second, third)).flatExtracting(DefenderClient.MachinePage::machines).extracting(DefenderClient.Machine::id)
                .containsExactly("m3", "m4", "m5");
        assertThat(third.nextLink()).isEmpty();

        settings = DefenderTestSettings.settings(defender, 3, 25); // $top=3: a full page asks on with $skip
        defender.serverPageSize(LocalDefender.MAX_TOP);
        DefenderClient small = client();
        DefenderClient.MachinePage top = small.machines(small.firstMachinesPage(Optional.empty()));
        assertThat(top.nextLink().orElseThrow().getRawQuery()).contains("$skip=3");
        assertThat(small.machines(top.nextLink().orElseThrow()).machines()).extracting(DefenderClient.Machine::id).containsExactly("m4", "m5");
    }

    @Test
    void aNextLinkOffTheApiRootIsNotFollowedSoTheTokenStaysHome() {
        DefenderClient client = client();
        assertThatThrownBy(() -> client.machines(URI.create("https://attacker.example/api/machines?$skip=10")))
                .isInstanceOf(ThreatDefenseException.class).hasMessageContaining("not followed");
        assertThat(defender.tokensIssued()).isZero();
    }

    @Test
    void theMachineTagAndChangedSinceBecomeDefendersODataFilter() throws Exception {
        defender.machine("m2", "kiosk-1", "High", Optional.empty(), "Kiosk's");
        DefenderClient client = client(new DefenderCredentials(LocalDefender.TENANT, LocalDefender.CLIENT_ID, LocalDefender.CLIENT_SECRET,
                defender.url(), Optional.of("Kiosk's")));

        assertThat(client.machines(client.firstMachinesPage(Optional.of(clock.instant().minusSeconds(60)))).machines())
                .extracting(DefenderClient.Machine::id).containsExactly("m2");
        assertThat(defender.requests()).anyMatch(request -> request.contains(
                "$filter=lastSeen gt 2026-12-04T09:59:00Z and machineTags/any(tag: tag eq 'Kiosk''s')"));
    }

    @Test
    void noMachinesIsAnEmptyPageAndAnUnknownMachineHasNoAlerts() throws Exception {
        DefenderClient client = client();
        assertThat(client.machines(client.firstMachinesPage(Optional.of(clock.instant().plusSeconds(60)))).machines()).isEmpty();
        assertThat(client.alerts("gone")).isEmpty();
    }

    @Test
    void aSlowDefenderTimesOutAsAFailure() {
        settings = new DefenderSettings(settings.loginUrl(), settings.portalUrl(), settings.pollInterval(), Optional.empty(), 1_000, 25, 50,
                100, 1_500, settings.overlap(), settings.fullSweepEvery(), Duration.ofMillis(200), settings.maxResponseBytes());
        defender.slowness(Duration.ofSeconds(2));
        DefenderClient client = client();
        assertThatThrownBy(client::checkCredentials).isInstanceOf(ThreatDefenseException.class).hasMessageContaining("cannot be reached");
    }
}
