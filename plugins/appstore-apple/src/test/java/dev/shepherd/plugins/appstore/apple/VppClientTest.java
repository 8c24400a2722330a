package dev.shepherd.plugins.appstore.apple;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client against the fake of Apple's service: paging, throttling, Apple's errors, expired and revoked tokens. */
class VppClientTest {

    private final LocalVpp vpp = LocalVpp.start();
    private final VppClient client = new VppClient(VppTestSettings.against(vpp), VppClient.newHttpClient(), Clock.systemUTC());
    private final ContentToken token = ContentToken.parse(vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(200))));

    VppClientTest() {
        IntStream.rangeClosed(1, 5).forEach(n -> vpp.addAsset(new LocalVpp.OwnedAsset("40870978" + n, "STDQ", n, true, true,
                List.of("iOS"), "App " + n, "com.example.app" + n, "1." + n)));
    }

    @AfterEach
    void stop() {
        vpp.close();
    }

    @Test
    void followsEveryPageOfAssets() throws Exception {
        vpp.pageSize(2);

        List<VppClient.Asset> assets = client.assets(token);

        assertThat(assets).extracting(VppClient.Asset::adamId)
                .containsExactly("408709781", "408709782", "408709783", "408709784", "408709785");
        assertThat(assets.get(2).totalCount()).isEqualTo(3);
        assertThat(vpp.requests()).containsExactly("GET /mdm/v2/assets", "GET /mdm/v2/assets?pageIndex=1", "GET /mdm/v2/assets?pageIndex=2");
        assertThat(client.assetPage(token, 2).nextPageIndex()).isEmpty();
        assertThat(client.assetPage(token, 0).nextPageIndex()).hasValue(1);
    }

    @Test
    void waitsOutRetryAfterWhenThrottled() throws Exception {
        vpp.throttleNext(2, 1);
        long started = System.nanoTime();

        assertThat(client.assets(token)).hasSize(5);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(vpp.requests()).hasSize(3);
    }

    @Test
    void triesAgainWhenAppleFails() throws Exception {
        vpp.failNext(1, 0);

        assertThat(client.clientConfig(token).locationName()).isEqualTo("Main office");
        assertThat(vpp.requests()).hasSize(2);
    }

    @Test
    void givesUpOnARetryAfterLongerThanItWaitsAndSaysHowLong() {
        vpp.throttleNext(1, 600);

        assertThatThrownBy(() -> client.assets(token)).isInstanceOfSatisfying(VppException.class, e -> {
            assertThat(e.retriable()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofMinutes(10));
            assertThat(e.errorNumber()).hasValue(VppException.TOO_MANY_REQUESTS);
        });
        assertThat(vpp.requests()).hasSize(1);
    }

    @Test
    void givesUpAfterTheLastAttempt() {
        vpp.failNext(10, 0);

        assertThatThrownBy(() -> client.assets(token)).isInstanceOfSatisfying(VppException.class, e -> {
            assertThat(e.retriable()).isTrue();
            assertThat(e.httpStatus()).isEqualTo(500);
        });
        assertThat(vpp.requests()).hasSize(3);
    }

    @Test
    void anExpiredOrRevokedTokenIsRejectedAtOnceWithApplesError() {
        ContentToken expired = ContentToken.parse(vpp.issueToken("Example Org", "Old office", Instant.now().minusSeconds(60)));
        assertThatThrownBy(() -> client.clientConfig(expired)).isInstanceOfSatisfying(VppException.class, e -> {
            assertThat(e.tokenRejected()).isTrue();
            assertThat(e.retriable()).isFalse();
            assertThat(e.errorNumber()).hasValue(VppException.TOKEN_EXPIRED);
            assertThat(e.getMessage()).contains("401", "9621", "expired");
        });

        vpp.revoke(token.value());
        assertThatThrownBy(() -> client.assets(token)).isInstanceOfSatisfying(VppException.class,
                e -> assertThat(e.errorNumber()).hasValue(VppException.TOKEN_REVOKED));
        assertThat(vpp.requests()).hasSize(2);
    }

    @Test
    void refusesAnswersLargerThanItsBound() {
        VppClient bounded = new VppClient(VppTestSettings.against(vpp, 1024), VppClient.newHttpClient(), Clock.systemUTC());

        assertThatThrownBy(() -> bounded.assets(token)).isInstanceOfSatisfying(VppException.class, e -> {
            assertThat(e.getMessage()).contains("larger than 1024 bytes");
            assertThat(e.retriable()).isFalse();
        });
    }

    @Test
    void associatesAndFollowsTheAsynchronousEvent() throws Exception {
        vpp.holdEvents();
        String eventId = client.associate(token, "408709781", "STDQ", List.of("C02XK1ABJG5H"));
        assertThat(client.status(token, eventId).pending()).isTrue();

        vpp.releaseEvents();
        VppClient.Event done = client.awaitEvent(token, eventId, Duration.ofSeconds(5));
        assertThat(done.complete()).isTrue();
        assertThat(client.assignments(token, "408709781", Optional.of("C02XK1ABJG5H")))
                .containsExactly(new VppClient.Assignment("408709781", "STDQ", Optional.of("C02XK1ABJG5H"), Optional.empty()));

        VppClient.Event exhausted = client.awaitEvent(token, client.associate(token, "408709781", "STDQ", List.of("DMPQ2LL0FK10")), Duration.ofSeconds(5));
        assertThat(exhausted.eventStatus()).isEqualTo("FAILED");
        assertThat(exhausted.failures()).extracting(VppClient.AppleError::errorNumber).containsExactly(VppException.NOT_ENOUGH_LICENCES);

        client.awaitEvent(token, client.disassociate(token, "408709781", "STDQ", List.of("C02XK1ABJG5H")), Duration.ofSeconds(5));
        assertThat(vpp.assignedSerialNumbers("408709781")).isEmpty();
    }

    @Test
    void appleRefusingARequestIsNotTriedAgain() {
        assertThatThrownBy(() -> client.associate(token, "408709781", "STDQ", List.of("not a serial")))
                .isInstanceOfSatisfying(VppException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(400);
                    assertThat(e.errorNumber()).hasValue(VppException.INVALID_ARGUMENT);
                    assertThat(e.retriable()).isFalse();
                });
        assertThat(vpp.requests()).hasSize(1);
    }

    @Test
    void looksAppsUpInTheAppStore() throws Exception {
        VppClient.AppMetadata app = client.metadata(token, List.of("408709782", "999"), "us").get("408709782");

        assertThat(app.name()).isEqualTo("App 2");
        assertThat(app.bundleId()).isEqualTo("com.example.app2");
        assertThat(app.version()).contains("1.2");
        assertThat(app.icon()).hasValueSatisfying(icon -> assertThat(icon.toString()).endsWith("/512x512bb.png"));
        assertThat(client.metadata(token, List.of("999"), "us")).isEmpty();
        assertThat(vpp.requests()).allMatch(request -> request.contains("p=mdm-lockup") && request.contains("cc=us"));
    }

    @Test
    void recordsThisServerAsTheLocationsMdm() throws Exception {
        VppClient.ClientConfig config = client.registerMdm(token, new VppClient.MdmInfo("a1b2", "Shepherd", "appstore-apple 0.1.0"));

        assertThat(config.mdmInfo()).contains(new VppClient.MdmInfo("a1b2", "Shepherd", "appstore-apple 0.1.0"));
        assertThat(client.clientConfig(token).mdmInfo()).isPresent();
    }
}
