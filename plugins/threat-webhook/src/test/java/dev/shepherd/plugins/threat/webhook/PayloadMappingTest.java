package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Payload mappings, with example payloads shaped from each vendor's published material:
 * <ul>
 *   <li>Zimperium: a threat as Zimperium's threat API returns it, from the Zimperium v2 integration's documented
 *       context example (https://xsoar.pan.dev/docs/reference/integrations/zimperium-v2, {@code zimperium-threat-search};
 *       severities LOW, NORMAL, ELEVATED, CRITICAL);</li>
 *   <li>CrowdStrike: a Falcon {@code DetectionSummaryEvent} as the streaming API emits it, fields as Elastic documents
 *       them (https://www.elastic.co/guide/en/beats/filebeat/current/exported-fields-crowdstrike.html) and values from
 *       Panther's CrowdStrike detection test log (github.com/panther-labs/panther-analysis,
 *       {@code rules/crowdstrike_rules/crowdstrike_detection_passthrough.yml});</li>
 *   <li>Wazuh: an alert as the manager writes it to {@code alerts.json} and hands it to a custom integration
 *       (https://documentation.wazuh.com/current/user-manual/manager/integration-with-external-apis.html), rule levels
 *       0 to 16 as in Wazuh's rules classification.</li>
 * </ul>
 * CrowdStrike's own workflow documentation sits behind the Falcon console's sign-in and could not be read; the shape
 * here is the streaming event that a Falcon Fusion workflow or an event-stream forwarder relays.
 */
class PayloadMappingTest {

    private static final Instant DELIVERED = Instant.parse("2026-12-05T00:00:00Z");

    @Test
    void shepherdsOwnShapeMapsEveryPart() throws Exception {
        DeviceId serverId = DeviceId.random();
        ThreatAssessment assessment = assess(PayloadMapping.shepherdDefault(), """
                {"type": "device.assessed",
                 "device": {"id": "dev-42", "serverDeviceId": "%s", "serialNumber": "C02XK1JHJG5J", "name": "Ada's iPhone",
                            "identifiers": {"udid": "00008030-001A2D3E3C41802E", "imei": "356938035643809"}},
                 "level": "high", "verdict": "Malicious app installed", "assessedAt": "2026-12-04T23:59:00Z",
                 "threats": [{"id": "t-1", "type": "MALWARE", "name": "FakeBank", "severity": "HIGH",
                              "firstSeen": "2026-12-04T23:50:00Z", "lastSeen": "2026-12-04T23:58:00Z", "link": "https://mtd.example.com/threats/t-1"}]}
                """.formatted(serverId));

        assertThat(assessment.device().vendorDeviceId()).isEqualTo("acme:dev-42");
        assertThat(assessment.device().serverDeviceId()).contains(serverId);
        assertThat(assessment.device().serialNumber()).contains("C02XK1JHJG5J");
        assertThat(assessment.device().name()).contains("Ada's iPhone");
        assertThat(assessment.device().identifiers()).isEqualTo(Map.of("udid", "00008030-001A2D3E3C41802E", "imei", "356938035643809"));
        assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(assessment.vendorVerdict()).isEqualTo("Malicious app installed");
        assertThat(assessment.assessedAt()).isEqualTo(Instant.parse("2026-12-04T23:59:00Z"));
        assertThat(assessment.threats()).containsExactly(new Threat("t-1", "MALWARE", "FakeBank", ThreatLevel.HIGH,
                Instant.parse("2026-12-04T23:50:00Z"), Instant.parse("2026-12-04T23:58:00Z"), Optional.of(URI.create("https://mtd.example.com/threats/t-1"))));
    }

    @Test
    void aClearedDeviceIsLevelNoneWithoutThreatsAndTheDeliveryTimeStandsInForAMissingAssessmentTime() throws Exception {
        ThreatAssessment assessment = assess(PayloadMapping.shepherdDefault(), """
                {"type": "device.assessed", "device": {"id": "dev-42"}, "level": "NONE", "threats": []}
                """);

        assertThat(assessment.level()).isEqualTo(ThreatLevel.NONE);
        assertThat(assessment.threats()).isEmpty();
        assertThat(assessment.assessedAt()).isEqualTo(DELIVERED);
    }

    @Test
    void aHeartbeatEventReportsNoDevice() throws Exception {
        assertThat(PayloadMapping.shepherdDefault().map("acme", json("{\"type\": \"heartbeat\"}"), DELIVERED, DELIVERED))
                .isEqualTo(new PayloadMapping.Heartbeat("heartbeat"));
    }

    @Test
    void aZimperiumThreatMapsItsSeverityWordsAndMillisecondTimes() throws Exception {
        ThreatAssessment assessment = assess(mapping("zimperium-mapping.json"), resource("zimperium-threat.json"), "zimperium");

        assertThat(assessment.device().vendorDeviceId()).isEqualTo("zimperium:6");
        assertThat(assessment.device().identifiers()).containsEntry("mdmDeviceId", "a3c2b1d0-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
                .containsEntry("zdeviceId", "5").containsEntry("owner", "user@example.com");
        assertThat(assessment.level()).isEqualTo(ThreatLevel.CRITICAL);
        assertThat(assessment.vendorVerdict()).isEqualTo("CRITICAL");
        assertThat(assessment.assessedAt()).isEqualTo(Instant.ofEpochMilli(1702393165000L));
        assertThat(assessment.threats()).singleElement().satisfies(threat -> {
            assertThat(threat.id()).isEqualTo("d7");
            assertThat(threat.type()).isEqualTo("Device");
            assertThat(threat.name()).isEqualTo("SYSTEM TAMPERING");
            assertThat(threat.severity()).isEqualTo(ThreatLevel.CRITICAL);
        });
        String elevated = resource("zimperium-threat.json").replace("\"severityName\": \"CRITICAL\"", "\"severityName\": \"ELEVATED\"");
        assertThat(assess(mapping("zimperium-mapping.json"), elevated, "zimperium").level()).isEqualTo(ThreatLevel.HIGH);
        String mitigated = resource("zimperium-threat.json").replace("\"state\": 1,", "\"state\": 2, \"mitigatedAt\": 1702396765000,");
        ThreatAssessment cleared = assess(mapping("zimperium-mapping.json"), mitigated, "zimperium");
        assertThat(cleared.level()).isEqualTo(ThreatLevel.NONE);
        assertThat(cleared.threats()).isEmpty();
    }

    @Test
    void aCrowdStrikeDetectionMapsSeverityNamesSpaceSeparatedTimesAndTheFalconLink() throws Exception {
        ThreatAssessment assessment = assess(mapping("crowdstrike-mapping.json"), resource("crowdstrike-detection.json"), "crowdstrike");

        assertThat(assessment.device().vendorDeviceId()).isEqualTo("crowdstrike:0a1b2c3d4e5f60718293a4b5c6d7e8f9");
        assertThat(assessment.device().name()).contains("macbook");
        assertThat(assessment.device().identifiers()).containsEntry("macAddress", "aa-00-00-00-00-00");
        assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(assessment.vendorVerdict()).startsWith("Prevention/Quarantine");
        assertThat(assessment.assessedAt()).isEqualTo(Instant.parse("2021-09-18T20:38:52Z"));
        assertThat(assessment.threats()).singleElement().satisfies(threat -> {
            assertThat(threat.id()).isEqualTo("ldt:0a1b2c3d4e5f60718293a4b5c6d7e8f9:222222222222222222");
            assertThat(threat.type()).isEqualTo("Malware");
            assertThat(threat.name()).isEqualTo("NGAV");
            assertThat(threat.firstSeen()).isEqualTo(Instant.parse("2021-09-18T20:38:51Z"));
            assertThat(threat.lastSeen()).isEqualTo(Instant.parse("2021-09-18T20:38:52Z"));
            assertThat(threat.link()).hasValueSatisfying(link -> assertThat(link.getHost()).isEqualTo("falcon.us-2.crowdstrike.com"));
        });
    }

    @Test
    void aWazuhAlertMapsItsRuleLevelThroughThresholds() throws Exception {
        ThreatAssessment assessment = assess(mapping("wazuh-mapping.json"), resource("wazuh-alert.json"), "wazuh");

        assertThat(assessment.device().vendorDeviceId()).isEqualTo("wazuh:001");
        assertThat(assessment.device().name()).contains("web-server-01");
        assertThat(assessment.level()).isEqualTo(ThreatLevel.HIGH);
        assertThat(assessment.assessedAt()).isEqualTo(Instant.parse("2024-01-15T10:30:45.123Z"));
        assertThat(assessment.threats()).singleElement().satisfies(threat -> {
            assertThat(threat.id()).isEqualTo("1705314645.1234567");
            assertThat(threat.type()).isEqualTo("syslog");
            assertThat(threat.severity()).isEqualTo(ThreatLevel.HIGH);
        });
        assertThat(assess(mapping("wazuh-mapping.json"), resource("wazuh-alert.json").replace("\"level\": 12", "\"level\": 3"), "wazuh").level())
                .isEqualTo(ThreatLevel.NONE);
        assertThat(assess(mapping("wazuh-mapping.json"), resource("wazuh-alert.json").replace("\"level\": 12", "\"level\": 15"), "wazuh").level())
                .isEqualTo(ThreatLevel.CRITICAL);
    }

    @Test
    void withoutALevelPointerTheWorstThreatSetsTheLevel() throws Exception {
        PayloadMapping mapping = PayloadMapping.parse(json("""
                {"device": {"vendorDeviceId": "/host"}, "threats": {"array": "/alerts", "id": "/id", "severity": "/sev"}}
                """));

        ThreatAssessment assessment = assess(mapping, "{\"host\": \"h1\", \"alerts\": [{\"id\": 1, \"sev\": \"low\"}, {\"id\": 2, \"sev\": \"critical\"}]}");

        assertThat(assessment.level()).isEqualTo(ThreatLevel.CRITICAL);
        assertThat(assessment.threats()).extracting(Threat::id).containsExactly("1", "2");
    }

    @Test
    void aPayloadWithoutTheDeviceIdIsRefusedSayingWhichPointerFoundNothing() {
        assertUnprocessable(PayloadMapping.shepherdDefault(), "{\"device\": {\"name\": \"x\"}, \"level\": \"HIGH\"}", "/device/id");
    }

    @Test
    void anUnknownLevelWordIsRefusedListingTheKnownOnes() {
        assertUnprocessable(PayloadMapping.shepherdDefault(), "{\"device\": {\"id\": \"d\"}, \"level\": \"SEVERE\"}", "SEVERE");
        assertUnprocessable(mapping("zimperium-mapping.json"), "{\"deviceId\": \"6\", \"severityName\": \"BAD\", \"id\": \"x\"}", "ELEVATED");
        assertUnprocessable(PayloadMapping.shepherdDefault(), "{\"device\": {\"id\": \"d\"}, \"level\": 7}", "levelThresholds");
    }

    @Test
    void anAssessmentDatedInTheFutureOrAnUnreadableTimeIsRefused() {
        assertUnprocessable(PayloadMapping.shepherdDefault(), "{\"device\": {\"id\": \"d\"}, \"level\": \"LOW\", \"assessedAt\": \"2027-01-01T00:00:00Z\"}", "future");
        assertUnprocessable(PayloadMapping.shepherdDefault(), "{\"device\": {\"id\": \"d\"}, \"level\": \"LOW\", \"assessedAt\": \"yesterday\"}", "/assessedAt");
        assertUnprocessable(PayloadMapping.shepherdDefault(), "[1, 2]", "not a JSON object");
    }

    @Test
    void mappingsAreValidatedWhenSet() {
        assertThatThrownBy(() -> PayloadMapping.parse(json("{\"level\": \"/level\"}"))).hasMessageContaining("device");
        assertThatThrownBy(() -> PayloadMapping.parse(json("{\"device\": {\"vendorDeviceId\": \"device/id\"}}"))).hasMessageContaining("JSON Pointer");
        assertThatThrownBy(() -> PayloadMapping.parse(json("{\"device\": {\"vendorDeviceId\": \"/id\"}, \"levelValues\": {\"bad\": \"SEVERE\"}}")))
                .hasMessageContaining("NONE, LOW, MEDIUM, HIGH, CRITICAL");
        assertThatThrownBy(() -> PayloadMapping.parse(json("{\"device\": {\"vendorDeviceId\": \"/id\"}, \"levelThresholds\": [{\"atLeast\": 5, \"level\": \"HIGH\"}, {\"atLeast\": 1, \"level\": \"LOW\"}]}")))
                .hasMessageContaining("rising");
        assertThatThrownBy(() -> PayloadMapping.parse(json("{\"device\": {\"vendorDeviceId\": \"/id\"}, \"levle\": \"/x\"}"))).hasMessageContaining("levle");
    }

    @Test
    void timestampsInVendorsFormatsAreRead() throws Exception {
        assertThat(Timestamps.read(json("\"2024-01-15T10:30:45.123+0000\""))).contains(Instant.parse("2024-01-15T10:30:45.123Z"));
        assertThat(Timestamps.read(json("\"2021-09-18 20:38:52Z\""))).contains(Instant.parse("2021-09-18T20:38:52Z"));
        assertThat(Timestamps.read(json("\"2026-12-05T01:00:00+01:00\""))).contains(Instant.parse("2026-12-05T00:00:00Z"));
        assertThat(Timestamps.read(json("\"2026-12-05T00:00:00\""))).contains(Instant.parse("2026-12-05T00:00:00Z"));
        assertThat(Timestamps.read(json("1702393165000"))).contains(Instant.ofEpochMilli(1702393165000L));
        assertThat(Timestamps.read(json("1702393165"))).contains(Instant.ofEpochSecond(1702393165L));
        assertThat(Timestamps.read(json("\"soon\""))).isEmpty();
    }

    private static ThreatAssessment assess(PayloadMapping mapping, String payload) throws Exception {
        return assess(mapping, payload, "acme");
    }

    private static ThreatAssessment assess(PayloadMapping mapping, String payload, String source) throws Exception {
        PayloadMapping.Mapped mapped = mapping.map(source, json(payload), DELIVERED, DELIVERED);
        assertThat(mapped).isInstanceOf(PayloadMapping.Assessed.class);
        return ((PayloadMapping.Assessed) mapped).assessment();
    }

    private static void assertUnprocessable(PayloadMapping mapping, String payload, String detail) {
        assertThatThrownBy(() -> mapping.map("acme", json(payload), DELIVERED, DELIVERED))
                .isInstanceOfSatisfying(DeliveryRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.detail()).contains(detail);
                });
    }

    static PayloadMapping mapping(String resource) {
        return PayloadMapping.parse(json(resource(resource)));
    }

    static String resource(String name) {
        try (InputStream in = PayloadMappingTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String text) {
        return WebhookJson.read(text.getBytes(StandardCharsets.UTF_8)).orElseThrow();
    }
}
