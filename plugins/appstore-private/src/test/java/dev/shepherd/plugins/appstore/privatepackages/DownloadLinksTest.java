package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DownloadLinksTest {

    private static final String BASE = "https://mdm.example.com/mdm/appstore-private";
    private static final String SHA = "a".repeat(64);
    private static final String OTHER_SHA = "b".repeat(64);

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final SecretSealer sealer = TestSecrets.sealer();
    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final DownloadLinks links = new DownloadLinks(storage, sealer, clock, Duration.ofHours(24));
    private final DeviceId deviceA = DeviceId.random();
    private final DeviceId deviceB = DeviceId.random();

    @Test
    void aLinkOpensForTheDeviceAndPackageItWasMadeForUntilItExpires() {
        URI link = links.link(BASE, DownloadLinks.PACKAGES, deviceA, SHA);

        assertThat(link.toString()).startsWith(BASE + "/packages/" + SHA + "?device=" + deviceA.value() + "&expires=");
        assertThat(verify(DownloadLinks.PACKAGES, SHA, query(link)).device()).hasValue(deviceA);
        clock.advance(Duration.ofHours(24).minusSeconds(1));
        assertThat(verify(DownloadLinks.PACKAGES, SHA, query(link)).device()).hasValue(deviceA);
        clock.advance(Duration.ofSeconds(1));
        assertThat(verify(DownloadLinks.PACKAGES, SHA, query(link)).refusal()).hasValue(DownloadLinks.Refusal.EXPIRED);
    }

    @Test
    void aLinkWithAnyPartChangedIsForged() {
        Map<String, String> query = query(links.link(BASE, DownloadLinks.PACKAGES, deviceA, SHA));

        Map<String, String> otherDevice = new LinkedHashMap<>(query);
        otherDevice.put("device", deviceB.value().toString());
        assertThat(verify(DownloadLinks.PACKAGES, SHA, otherDevice).refusal()).hasValue(DownloadLinks.Refusal.FORGED);
        Map<String, String> later = new LinkedHashMap<>(query);
        later.put("expires", String.valueOf(Long.parseLong(query.get("expires")) + 86_400));
        assertThat(verify(DownloadLinks.PACKAGES, SHA, later).refusal()).hasValue(DownloadLinks.Refusal.FORGED);
        Map<String, String> flipped = new LinkedHashMap<>(query);
        String signature = query.get("signature");
        flipped.put("signature", (signature.charAt(0) == 'A' ? "B" : "A") + signature.substring(1));
        assertThat(verify(DownloadLinks.PACKAGES, SHA, flipped).refusal()).hasValue(DownloadLinks.Refusal.FORGED);
        assertThat(verify(DownloadLinks.PACKAGES, OTHER_SHA, query).refusal()).as("another package").hasValue(DownloadLinks.Refusal.FORGED);
        assertThat(verify(DownloadLinks.MANIFESTS, SHA, query).refusal()).as("a package link is no manifest link")
                .hasValue(DownloadLinks.Refusal.FORGED);
    }

    @Test
    void aLinkMissingAPartOrWithAMalformedOneIsMalformed() {
        Map<String, String> query = query(links.link(BASE, DownloadLinks.PACKAGES, deviceA, SHA));

        Map<String, String> noSignature = new LinkedHashMap<>(query);
        noSignature.remove("signature");
        assertThat(verify(DownloadLinks.PACKAGES, SHA, noSignature).refusal()).hasValue(DownloadLinks.Refusal.MALFORMED);
        Map<String, String> notADevice = new LinkedHashMap<>(query);
        notADevice.put("device", "../../etc");
        assertThat(verify(DownloadLinks.PACKAGES, SHA, notADevice).refusal()).hasValue(DownloadLinks.Refusal.MALFORMED);
    }

    @Test
    void theKeyIsMadeOnceKeptSealedAndSharedByEverySignerOfThePlugin() {
        URI link = links.link(BASE, DownloadLinks.PACKAGES, deviceA, SHA);
        byte[] sealed = storage.get(DownloadLinks.KEY).orElseThrow();
        assertThat(sealer.open(sealed)).hasSize(32);

        DownloadLinks otherNode = new DownloadLinks(storage, sealer, clock, Duration.ofHours(24));
        assertThat(otherNode.verify(DownloadLinks.PACKAGES, SHA, Optional.of(deviceA.value().toString()),
                Optional.of(query(link).get("expires")), Optional.of(query(link).get("signature"))).device()).hasValue(deviceA);
        assertThat(storage.get(DownloadLinks.KEY).orElseThrow()).isEqualTo(sealed);

        DownloadLinks otherServer = new DownloadLinks(new MemoryPluginStorage(), sealer, clock, Duration.ofHours(24));
        assertThat(otherServer.verify(DownloadLinks.PACKAGES, SHA, Optional.of(deviceA.value().toString()),
                Optional.of(query(link).get("expires")), Optional.of(query(link).get("signature"))).refusal())
                .hasValue(DownloadLinks.Refusal.FORGED);
    }

    private DownloadLinks.Verdict verify(String purpose, String sha256, Map<String, String> query) {
        return links.verify(purpose, sha256, Optional.ofNullable(query.get("device")), Optional.ofNullable(query.get("expires")),
                Optional.ofNullable(query.get("signature")));
    }

    static Map<String, String> query(URI link) {
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : link.getRawQuery().split("&")) {
            int equals = pair.indexOf('=');
            query.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        return query;
    }
}
