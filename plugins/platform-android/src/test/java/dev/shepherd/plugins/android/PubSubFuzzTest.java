package dev.shepherd.plugins.android;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes what a Google Cloud Pub/Sub push goes through before it changes anything: the push envelope, its base64
 * {@code data}, and the inventory read from a reported Device. Whatever the bytes, the push is read or refused with
 * an {@link IllegalArgumentException} (the 400 that makes Pub/Sub retry), and the inventory of any object it
 * carries is a map of strings; nothing else escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code PubSubFuzzTestInputs/} (pushes as the AMAPI test double sends
 * them, attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in docs/plugin-guide.md).
 */
class PubSubFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void pushes(byte[] body) {
        PubSubEndpoint.Push push;
        try {
            push = PubSubEndpoint.Push.read(body);
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).startsWith("Not a Pub/Sub push");
            return;
        }
        if (push.data().isObject()) {
            Map<String, String> inventory = DeviceSync.inventory(push.data());
            assertThat(inventory).doesNotContainValue(null);
        }
    }
}
