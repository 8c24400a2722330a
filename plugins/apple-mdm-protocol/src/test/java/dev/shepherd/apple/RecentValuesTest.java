package dev.shepherd.apple;

import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device's supervision, asked for on every command the MDM endpoint delivers, is read from the plugin's storage once
 * per {@link AppleCommandTranslator#SUPERVISION_FRESH_FOR}: what this node records is seen at once, what another node
 * (another instance over the same storage) records within that time.
 */
class RecentValuesTest {

    private static final String KEY = AppleCommandTranslator.SUPERVISED + "00008110-000A1B2C3D4E";
    private final CountingPluginStorage storage = new CountingPluginStorage();
    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T05:00:00Z"));
    /** The node the device talks to. */
    private final RecentValues here = new RecentValues(storage, AppleCommandTranslator.SUPERVISION_FRESH_FOR, 100, clock);
    /** Another node, over the same storage. */
    private final RecentValues elsewhere = new RecentValues(storage, AppleCommandTranslator.SUPERVISION_FRESH_FOR, 100, clock);

    @Test
    void aBurstOfMessagesReadsTheValueOnceAbsentOrPresent() {
        for (int message = 0; message < 10; message++) {
            assertThat(here.get(KEY)).isEmpty();
        }
        assertThat(storage.reads()).isEqualTo(1);

        here.put(KEY, bytes("false"));
        for (int message = 0; message < 10; message++) {
            assertThat(here.get(KEY)).hasValueSatisfying(value -> assertThat(text(value)).isEqualTo("false"));
        }
        assertThat(storage.reads()).isEqualTo(1);
    }

    @Test
    void aValueWrittenOnThisNodeIsSeenAtOnceAndOneWrittenElsewhereOnceItsTimeIsUp() {
        here.put(KEY, bytes("true"));
        assertThat(here.get(KEY).map(RecentValuesTest::text)).hasValue("true");

        elsewhere.put(KEY, bytes("false"));
        clock.advance(AppleCommandTranslator.SUPERVISION_FRESH_FOR.minusSeconds(1));
        assertThat(here.get(KEY).map(RecentValuesTest::text)).hasValue("true");
        clock.advance(Duration.ofSeconds(1));

        assertThat(here.get(KEY).map(RecentValuesTest::text)).hasValue("false");
        // Asking the storage itself (before a write that depends on it) renews what is kept.
        elsewhere.put(KEY, bytes("true"));
        assertThat(here.getFresh(KEY).map(RecentValuesTest::text)).hasValue("true");
        assertThat(here.get(KEY).map(RecentValuesTest::text)).hasValue("true");
    }

    @Test
    void withNoTimeToKeepEveryReadGoesToTheStorage() {
        RecentValues uncached = new RecentValues(storage, Duration.ZERO, 100, clock);
        uncached.put(KEY, bytes("false"));
        uncached.get(KEY);
        uncached.get(KEY);

        assertThat(storage.reads()).isEqualTo(2);
    }

    @Test
    void theLeastRecentlyUsedKeysMakeRoom() {
        RecentValues small = new RecentValues(storage, AppleCommandTranslator.SUPERVISION_FRESH_FOR, 2, clock);
        small.get("a");
        small.get("b");
        small.get("a");
        small.get("c"); // b goes
        assertThat(storage.reads()).isEqualTo(3);

        small.get("a");
        small.get("b");

        assertThat(storage.reads()).isEqualTo(4);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }
}
