package dev.shepherd.plugins.windows.syncml;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the SyncML reader, which reads every OMA-DM message a Windows client posts: whatever the bytes, it returns
 * a message or refuses it with a {@link SyncMlException} (the client's 400 or SyncML error status); nothing else
 * escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code SyncMlFuzzTestInputs/} (messages of the Windows DM client
 * simulator and MS-MDM's examples, attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing"
 * in docs/plugin-guide.md).
 */
class SyncMlFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void deviceMessages(byte[] body) {
        SyncMl message;
        try {
            message = SyncMlReader.read(body);
        } catch (SyncMlException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(message.header().sessionId()).isNotEmpty();
        assertThat(message.commands().size()).isLessThanOrEqualTo(body.length);
    }
}
