package dev.shepherd.plugins.windows.push;

import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.api.config.PluginIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Wake-ups through WNS: the pusher, with real storage and settings, gets an access token from a token endpoint and
 * sends raw notifications to channel URIs on a WNS stand-in over HTTPS, and copes with its refusals.
 */
class WnsPusherTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String SID = "ms-app://s-1-15-2-1234567890-0987654321";
    private static final String SECRET = "client secret+/=";

    @TempDir
    Path home;
    private LocalWns wns;
    private MemoryPluginStorage storage;
    private WnsPusher pusher;

    @BeforeEach
    void start() throws Exception {
        wns = LocalWns.start(home);
        storage = new MemoryPluginStorage();
        pusher = pusher(Map.of());
    }

    @AfterEach
    void stop() {
        pusher.close();
        wns.close();
    }

    @Test
    void aTokenIsFetchedOnceAndEveryWakeIsARawNotificationWithIt() {
        channel("device-1", "/d/channel-1");
        channel("device-2", "/d/channel-2");

        assertThat(pusher.wake("device-1")).isTrue();
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 1);
        assertThat(pusher.wake("device-2")).isTrue();
        assertThat(pusher.wake("device-1")).isTrue();
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 3);

        assertThat(wns.tokenRequests()).as("the token is reused until it expires").hasSize(1);
        LocalWns.TokenRequest tokenRequest = wns.tokenRequests().get(0);
        assertThat(tokenRequest.contentType()).isEqualTo("application/x-www-form-urlencoded");
        assertThat(tokenRequest.form()).containsExactly(Map.entry("grant_type", "client_credentials"), Map.entry("client_id", SID),
                Map.entry("client_secret", SECRET), Map.entry("scope", "notify.windows.com"));
        assertThat(wns.notifications()).hasSize(3).allSatisfy(notification -> {
            assertThat(notification.headers()).containsEntry("x-wns-type", "wns/raw")
                    .containsEntry("content-type", "application/octet-stream")
                    .containsEntry("authorization", "Bearer token-1");
            assertThat(notification.body()).isNotEmpty();
        });
        assertThat(wns.notificationsTo("/d/channel-1")).hasSize(2);
        assertThat(wns.notificationsTo("/d/channel-2")).hasSize(1);
    }

    @Test
    void aRefusedTokenIsRenewedAndTheNotificationSentAgain() {
        channel("device-1", "/d/channel-1");
        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 1);

        wns.expireToken();
        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 2);

        assertThat(wns.tokenRequests()).hasSize(2);
        assertThat(wns.notificationsTo("/d/channel-1")).extracting(notification -> notification.headers().get("authorization"))
                .containsExactly("Bearer token-1", "Bearer token-1", "Bearer token-2");
        assertThat(pusher.statistics().retried()).as("a renewed token is no retry").isZero();
    }

    @Test
    void aGoneChannelIsForgottenUntilTheDeviceReportsANewOne() {
        channel("device-1", "/d/expired");
        wns.answer("/d/expired", 410);
        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().gone() == 1);

        assertThat(storage.get(WnsPusher.channelKey("device-1"))).isEmpty();
        assertThat(pusher.wake("device-1")).as("no channel, no push").isFalse();

        channel("device-1", "/d/renewed");
        wns.answer("/d/renewed", 404);
        assertThat(pusher.wake("device-1")).isTrue();
        await().atMost(WAIT).until(() -> pusher.statistics().gone() == 2);
        assertThat(wns.notifications()).extracting(LocalWns.Notification::path).containsExactly("/d/expired", "/d/renewed");
    }

    @Test
    void throttlingAndWnsTroubleAreRetriedWithBackoffAndRefusalsAreNot() {
        channel("device-1", "/d/busy");
        channel("device-2", "/d/refused");
        wns.answer("/d/busy", 503, 406, 429);
        wns.answer("/d/refused", 403);

        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 1);
        assertThat(wns.notificationsTo("/d/busy")).hasSize(4);
        assertThat(pusher.statistics().retried()).isEqualTo(3);

        pusher.wake("device-2");
        await().atMost(WAIT).until(() -> pusher.statistics().failed() == 1);
        assertThat(wns.notificationsTo("/d/refused")).hasSize(1);
        assertThat(pusher.statistics().retried()).as("a refusal is not retried").isEqualTo(3);
        assertThat(pusher.statistics().lastError()).hasValueSatisfying(error -> assertThat(error).contains("403"));
    }

    @Test
    void retriesStopAfterTheLastAttempt() throws Exception {
        pusher.close();
        pusher = pusher(Map.of("wnsMaxAttempts", "2"));
        channel("device-1", "/d/down");
        wns.answer("/d/down", 500, 500, 500);

        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().failed() == 1);
        assertThat(wns.notificationsTo("/d/down")).hasSize(2);
    }

    @Test
    void channelsOffTheAllowedHostsAreNeverContacted() {
        storage.put(WnsPusher.channelKey("elsewhere"), wns.url("127.0.0.1", "/d/elsewhere").toString().getBytes(StandardCharsets.UTF_8));
        storage.put(WnsPusher.channelKey("plain"), ("http://localhost:" + wns.url("localhost", "/").getPort() + "/d/plain")
                .getBytes(StandardCharsets.UTF_8));
        storage.put(WnsPusher.channelKey("userinfo"), wns.url("evil@localhost", "/d/userinfo").toString().getBytes(StandardCharsets.UTF_8));

        assertThat(pusher.wake("elsewhere")).isFalse();
        assertThat(pusher.wake("plain")).isFalse();
        assertThat(pusher.wake("userinfo")).isFalse();
        assertThat(pusher.wake("no-channel")).isFalse();
        assertThat(pusher.statistics().lastError()).hasValueSatisfying(error -> assertThat(error)
                .contains("not an https URI on an allowed WNS host").doesNotContain("/d/"));

        // A wake that is queued shows the queue works, and nothing went to the refused channels before or with it.
        channel("device-1", "/d/channel-1");
        pusher.wake("device-1");
        await().atMost(WAIT).until(() -> pusher.statistics().delivered() == 1);
        assertThat(wns.notifications()).extracting(LocalWns.Notification::path).containsExactly("/d/channel-1");
    }

    @Test
    void withoutCredentialsNothingIsSent() throws Exception {
        pusher.close();
        pusher = new WnsPusher(storage, new MapPluginConfig(Map.of("wnsTokenUrl", wns.tokenUrl().toString())), identity());
        channel("device-1", "/d/channel-1");
        assertThat(pusher.wake("device-1")).isFalse();
        assertThat(wns.tokenRequests()).isEmpty();
    }

    @Test
    void theAllowListMatchesHostsAndSubdomainsOnly() {
        WnsPusher production = new WnsPusher(storage, new MapPluginConfig(Map.of()), identity());
        try {
            assertThat(production.allowed(URI.create("https://wns2-par02p.notify.windows.com/w/?token=abc"))).isTrue();
            assertThat(production.allowed(URI.create("https://notify.windows.com/w/"))).isFalse();
            assertThat(production.allowed(URI.create("https://notify.windows.com.evil.example/w/"))).isFalse();
            assertThat(production.allowed(URI.create("https://evilnotify.windows.com/w/"))).isFalse();
            assertThat(production.allowed(URI.create("http://db5.notify.windows.com/w/"))).isFalse();
        } finally {
            production.close();
        }
    }

    private WnsPusher pusher(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("wnsPackageSid", SID, "wnsClientSecret", SECRET,
                "wnsTokenUrl", wns.tokenUrl().toString(), "wnsAllowedHosts", "localhost",
                "wnsTrustedCertificate", wns.trustedCertificate().toString(), "wnsRetryDelay", "PT0.05S"));
        settings.putAll(extra);
        return new WnsPusher(storage, new MapPluginConfig(settings), identity());
    }

    private static PluginIdentity identity() {
        return new PluginIdentity("windows", "0.1.0", "/mdm/windows");
    }

    private void channel(String deviceId, String path) {
        storage.put(WnsPusher.channelKey(deviceId), wns.url("localhost", path).toString().getBytes(StandardCharsets.UTF_8));
    }
}
