package dev.shepherd.plugins.threat.lookout;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatPoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connector as the kernel polls it, against {@link LocalLookout}: a full read a page at a time, then the event
 * stream from the last event read whole, so disconnects lose nothing and repeats double nothing.
 */
class LookoutConnectorTest {

    private LookoutTestbed bed = new LookoutTestbed();

    @AfterEach
    void close() {
        bed.close();
    }

    @Test
    void theFirstPollsReadTheOpenThreatsThenTheDevicesAPageAtATimeAndReportEveryDevice() throws Exception {
        DeviceId serverId = DeviceId.random();
        String compromised = bed.lookout.addDevice(Optional.of(serverId.toString()), "SECURE");
        String clean = bed.lookout.addDevice(Optional.of("intune-4f1c"), "SECURE");
        String risky = bed.lookout.addDevice(Optional.empty(), "SECURE");
        String trojan = bed.lookout.openThreat(compromised, "TROJAN", "HIGH");
        String adware = bed.lookout.openThreat(compromised, "ADWARE", "LOW");
        bed.lookout.openThreat(risky, "RISKWARE", "MEDIUM");
        bed.lookout.resolveThreat(bed.lookout.openThreat(clean, "SPYWARE", "HIGH"));

        List<ThreatPoll> polls = new ArrayList<>();
        do {
            polls.add(bed.poll());
        } while (polls.get(polls.size() - 1).more());

        // Two pages of open threats (page size 2), then two pages of devices.
        assertThat(polls).extracting(ThreatPoll::more).containsExactly(true, true, true, false);
        assertThat(polls.get(0).assessments()).isEmpty();
        assertThat(polls.get(1).assessments()).isEmpty();
        assertThat(bed.cursor()).hasValueSatisfying(cursor -> assertThat(cursor).startsWith("STREAM_FROM_TIME|"));
        Map<String, ThreatAssessment> byDevice = byDevice(polls);
        assertThat(byDevice).containsOnlyKeys(compromised, clean, risky);

        ThreatAssessment high = byDevice.get(compromised);
        assertThat(high.level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(high.threats()).extracting(Threat::id).containsExactly(trojan, adware);
        assertThat(high.threats().get(0).name()).isEqualTo("Trojan");
        assertThat(high.vendorVerdict()).contains("security_status=THREATS_HIGH");
        assertThat(high.device().serverDeviceId()).contains(serverId);

        assertThat(byDevice.get(clean).level()).isEqualTo(ThreatLevel.NONE);
        assertThat(byDevice.get(clean).threats()).isEmpty();
        assertThat(byDevice.get(clean).device().serverDeviceId()).isEmpty();
        assertThat(byDevice.get(clean).device().identifiers()).containsEntry(LookoutMapping.MDM_EXTERNAL_ID, "intune-4f1c");
        assertThat(byDevice.get(risky).level()).isEqualTo(ThreatLevel.MEDIUM);
    }

    @Test
    void aDeviceThatGoesHighInTheStreamIsHighAfterOnePollAndClearedWhenLookoutResolvesTheThreat() throws Exception {
        String device = bed.lookout.addDevice(Optional.of(DeviceId.random().toString()), "SECURE");
        bed.pollThroughFullRead();
        // The first stream read starts when the full read began, so it may repeat what the pages said: harmless.
        assertThat(bed.poll().assessments()).allSatisfy(assessment -> assertThat(assessment.level()).isEqualTo(ThreatLevel.NONE));

        String threat = bed.lookout.openThreat(device, "ROOT_ENABLER", "HIGH");
        ThreatPoll high = bed.poll();
        assertThat(high.assessments()).singleElement().satisfies(assessment -> {
            assertThat(assessment.device().vendorDeviceId()).isEqualTo(device);
            assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
            assertThat(assessment.threats()).extracting(Threat::id).containsExactly(threat);
        });
        assertThat(high.nextCursor()).hasValueSatisfying(cursor -> assertThat(cursor).startsWith("STREAM_FROM_ID|"));

        bed.lookout.resolveThreat(threat);
        assertThat(bed.poll().assessments()).singleElement().satisfies(assessment -> {
            assertThat(assessment.level()).isEqualTo(ThreatLevel.NONE);
            assertThat(assessment.threats()).isEmpty();
            assertThat(assessment.assessedAt()).isAfterOrEqualTo(high.assessments().get(0).assessedAt());
        });
    }

    @Test
    void aStreamThatDropsInTheMiddleOfAnEventResumesAfterTheLastWholeOneAndLosesNothing() throws Exception {
        String first = bed.lookout.addDevice(Optional.empty(), "SECURE");
        String second = bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.pollThroughFullRead();
        bed.poll();
        bed.lookout.disconnectStreamsAfter(1);

        String malware = bed.lookout.openThreat(first, "MALWARE", "HIGH");
        String phishing = bed.lookout.openThreat(second, "PHISHING", "MEDIUM");
        String exploit = bed.lookout.openThreat(second, "EXPLOIT", "HIGH");

        Map<String, ThreatAssessment> latest = new LinkedHashMap<>();
        int polls = 0;
        ThreatPoll poll;
        do {
            poll = bed.poll();
            poll.assessments().forEach(assessment -> latest.put(assessment.device().vendorDeviceId(), assessment));
            polls++;
        } while (!poll.assessments().isEmpty() && polls < 20);

        // Every connection carried one event whole and half of the next: one event per poll, none skipped.
        assertThat(polls).isGreaterThanOrEqualTo(4);
        assertThat(latest.get(first).threats()).extracting(Threat::id).containsExactly(malware);
        assertThat(latest.get(first).level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(latest.get(second).threats()).extracting(Threat::id).containsExactlyInAnyOrder(phishing, exploit);
        assertThat(latest.get(second).level()).isEqualTo(ThreatLevel.HIGH);
    }

    @Test
    void anEventDeliveredTwiceCountsOnce() throws Exception {
        String device = bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.pollThroughFullRead();
        bed.poll();
        bed.lookout.duplicateStreamBatches(true);

        String threat = bed.lookout.openThreat(device, "SURVEILLANCEWARE", "HIGH");

        assertThat(bed.poll().assessments()).singleElement()
                .satisfies(assessment -> assertThat(assessment.threats()).extracting(Threat::id).containsExactly(threat));
    }

    @Test
    void aPollThatReachesItsEventLimitAsksForMoreAtOnce() throws Exception {
        bed.close();
        bed = new LookoutTestbed(Map.of("pageSize", "2", "streamReadTime", "PT3S", "streamIdleTime", "PT0.3S", "maxEventsPerPoll", "1"));
        String device = bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.pollThroughFullRead();
        bed.poll();
        bed.lookout.setSecurityStatus(device, "THREATS_LOW");
        bed.lookout.setSecurityStatus(device, "THREATS_MEDIUM");

        ThreatPoll first = bed.poll();
        assertThat(first.more()).isTrue();
        assertThat(first.assessments()).singleElement().satisfies(assessment -> assertThat(assessment.level()).isEqualTo(ThreatLevel.LOW));
        ThreatPoll second = bed.poll();
        assertThat(second.assessments()).singleElement().satisfies(assessment -> assertThat(assessment.level()).isEqualTo(ThreatLevel.MEDIUM));
    }

    @Test
    void aFailedPollKeepsTheCursorSoTheNextOneReadsTheSameEventsAgainWithTheSameResult() throws Exception {
        String device = bed.lookout.addDevice(Optional.empty(), "SECURE");
        bed.pollThroughFullRead();
        bed.poll();
        Optional<String> before = bed.cursor();
        String threat = bed.lookout.openThreat(device, "TROJAN", "HIGH");

        // As when the kernel's transaction failed after the poll: the same cursor is used again.
        ThreatPoll once = bed.connector.poll(before);
        ThreatPoll again = bed.connector.poll(before);

        assertThat(again.assessments()).usingRecursiveComparison().isEqualTo(once.assessments());
        assertThat(again.assessments()).singleElement()
                .satisfies(assessment -> assertThat(assessment.threats()).extracting(Threat::id).containsExactly(threat));
    }

    @Test
    void aStreamPositionLookoutNoLongerKeepsStartsAFullReadInsteadOfFailingForever() throws Exception {
        bed.lookout.addDevice(Optional.empty(), "SECURE");

        ThreatPoll unknownId = bed.connector.poll(Optional.of(LookoutCursor.afterEvent("0190ec04-0000-7000-8000-0000000fffff", Instant.now()).format()));
        assertThat(unknownId.more()).isTrue();
        assertThat(unknownId.nextCursor()).hasValueSatisfying(cursor -> assertThat(cursor).startsWith("DEVICES|"));

        ThreatPoll tooOld = bed.connector.poll(Optional.of(new LookoutCursor(LookoutCursor.Phase.STREAM_FROM_TIME,
                Instant.now().minus(Duration.ofDays(11)), Optional.empty()).format()));
        assertThat(tooOld.nextCursor()).hasValueSatisfying(cursor -> assertThat(cursor).startsWith("DEVICES|"));
        assertThat(bed.lookout.received()).filteredOn(request -> request.path().equals(LookoutClient.STREAM_PATH)).hasSize(1);
    }

    private static Map<String, ThreatAssessment> byDevice(List<ThreatPoll> polls) {
        Map<String, ThreatAssessment> byDevice = new LinkedHashMap<>();
        polls.forEach(poll -> poll.assessments().forEach(assessment -> byDevice.put(assessment.device().vendorDeviceId(), assessment)));
        return byDevice;
    }
}
