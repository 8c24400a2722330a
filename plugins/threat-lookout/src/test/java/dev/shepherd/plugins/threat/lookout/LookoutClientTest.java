package dev.shepherd.plugins.threat.lookout;

import dev.shepherd.api.threat.ThreatDefenseException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client against {@link LocalLookout}: the token exchange, paging, throttling, outages and refusals. */
class LookoutClientTest {

    private final LookoutTestbed bed = new LookoutTestbed();

    @AfterEach
    void close() {
        bed.close();
    }

    @Test
    void theApplicationKeyIsExchangedOnceAndTheTokenIsFetchedAgainWhenLookoutRefusesIt() throws Exception {
        bed.lookout.addDevice(Optional.empty(), "SECURE");

        bed.client.devices(Optional.empty(), 10);
        bed.client.devices(Optional.empty(), 10);
        assertThat(bed.lookout.tokensIssued()).isEqualTo(1);

        bed.lookout.expireTokens();
        assertThat(bed.client.devices(Optional.empty(), 10).items()).hasSize(1);
        assertThat(bed.lookout.tokensIssued()).isEqualTo(2);
        assertThat(bed.lookout.received()).filteredOn(request -> request.path().equals(LookoutClient.TOKEN_PATH)).hasSize(2);
    }

    @Test
    void devicesAndOpenThreatsArePagedByTheLastOid() throws Exception {
        String first = bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.lookout.addDevice(Optional.empty(), "SECURE");
        String open = bed.lookout.openThreat(first, "TROJAN", "HIGH");
        bed.lookout.resolveThreat(bed.lookout.openThreat(first, "ADWARE", "LOW"));

        LookoutClient.Page page = bed.client.devices(Optional.empty(), 2);
        assertThat(page.items()).hasSize(2);
        assertThat(page.full()).isTrue();
        LookoutClient.Page last = bed.client.devices(page.lastOid(), 2);
        assertThat(last.items()).hasSize(1);
        assertThat(last.full()).isFalse();
        assertThat(bed.lookout.received()).filteredOn(request -> request.path().equals(LookoutClient.DEVICES_PATH))
                .extracting(request -> request.query().get("oid")).containsExactly(null, page.lastOid().orElseThrow());

        assertThat(bed.client.openThreats(Optional.empty(), 10).items())
                .extracting(threat -> threat.path("guid").asText()).containsExactly(open);
        assertThat(bed.lookout.received()).filteredOn(request -> request.path().equals(LookoutClient.THREATS_PATH))
                .extracting(request -> request.query().get("status")).containsExactly("OPEN");
    }

    @Test
    void throttlingCarriesLookoutsRetryAfter() throws Exception {
        bed.client.devices(Optional.empty(), 10);
        bed.lookout.throttleNext(1, 7);

        assertThatThrownBy(() -> bed.client.devices(Optional.empty(), 10))
                .isInstanceOfSatisfying(ThreatDefenseException.class, e -> {
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
                    assertThat(e.getMessage()).contains("HTTP 429");
                });
        assertThat(bed.client.devices(Optional.empty(), 10).items()).isEmpty();
    }

    @Test
    void outagesAreFailuresAnAdminCanRead() throws Exception {
        bed.client.devices(Optional.empty(), 10);
        bed.lookout.failNext(1);
        assertThatThrownBy(() -> bed.client.devices(Optional.empty(), 10))
                .isInstanceOf(ThreatDefenseException.class).hasMessageContaining("HTTP 502");

        bed.lookout.down(true);
        assertThatThrownBy(() -> bed.client.readStream(Optional.empty(), Instant.now(), Duration.ofSeconds(1), Duration.ofMillis(200), 10))
                .isInstanceOfSatisfying(ThreatDefenseException.class, e -> {
                    assertThat(e.getMessage()).contains("unavailable (HTTP 503)");
                    assertThat(e.retryAfter()).isEmpty();
                });

        bed.lookout.close();
        assertThatThrownBy(() -> bed.client.devices(Optional.empty(), 10))
                .isInstanceOf(ThreatDefenseException.class).hasMessageContaining("could not be reached");
    }

    @Test
    void aRefusedApplicationKeyIsSaidWithoutRepeatingIt() {
        bed.lookout.revokeApplicationKeys();

        assertThatThrownBy(() -> bed.client.devices(Optional.empty(), 10))
                .isInstanceOf(ThreatDefenseException.class)
                .hasMessageContaining("Lookout refused the application key (invalid_client)")
                .hasMessageContaining("System > Application Keys")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(bed.applicationKey));
    }

    @Test
    void theStreamIsReadFromAnEventIdAndStopsWhenQuiet() throws Exception {
        String device = bed.lookout.addDevice(Optional.empty(), "SECURE");
        LookoutClient.StreamRead fromStart = bed.client.readStream(Optional.empty(), Instant.now().minusSeconds(60),
                Duration.ofSeconds(3), Duration.ofMillis(300), 100);
        assertThat(fromStart.events()).extracting(event -> event.path("type").asText()).containsExactly("DEVICE");

        bed.lookout.setSecurityStatus(device, "THREATS_MEDIUM");
        long started = System.nanoTime();
        LookoutClient.StreamRead resumed = bed.client.readStream(fromStart.lastEventId(), Instant.EPOCH,
                Duration.ofSeconds(3), Duration.ofMillis(300), 100);
        assertThat(resumed.events()).extracting(event -> event.path("device").path("security_status").asText())
                .containsExactly("THREATS_MEDIUM");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        List<LocalLookout.Received> reads = bed.lookout.received().stream()
                .filter(request -> request.path().equals(LookoutClient.STREAM_PATH)).toList();
        LocalLookout.Received last = reads.get(reads.size() - 1);
        assertThat(last.query().get("id")).isEqualTo(fromStart.lastEventId().orElseThrow());
        assertThat(last.lastEventId()).isEqualTo(fromStart.lastEventId());
        assertThat(last.query().get("types")).isEqualTo("DEVICE,THREAT");
        assertThat(reads.get(0).query()).containsKey("start_time").doesNotContainKey("id");
    }

    @Test
    void retryAfterIsReadInSecondsAndAsADate() {
        Instant now = Instant.parse("2026-12-05T00:00:00Z");
        assertThat(LookoutClient.retryAfter(Optional.of("12"), now)).contains(Duration.ofSeconds(12));
        assertThat(LookoutClient.retryAfter(Optional.of("Sat, 05 Dec 2026 00:01:30 GMT"), now)).contains(Duration.ofSeconds(90));
        assertThat(LookoutClient.retryAfter(Optional.of("soon"), now)).isEmpty();
    }
}
