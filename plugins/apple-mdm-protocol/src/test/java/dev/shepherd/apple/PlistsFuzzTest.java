package dev.shepherd.apple;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes what an Apple device's body goes through before the server acts on it: the plist parser, then the
 * check-in and command-report readers. Whatever the bytes, each either returns or refuses them with a
 * {@link PlistException} (the device's 400); nothing else escapes, and what is returned is within the bounds.
 *
 * <p>{@code mvn verify} replays the corpus in {@code PlistsFuzzTestInputs/} (real messages of the device simulator,
 * attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in docs/plugin-guide.md).
 */
class PlistsFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void deviceMessages(byte[] body) {
        NSDictionary message;
        try {
            message = Plists.dictionary(body);
        } catch (PlistException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(body.length).isLessThanOrEqualTo(Plists.MAX_BYTES);
        assertThat(depth(message)).isLessThanOrEqualTo(Plists.MAX_DEPTH);
        try {
            CheckIn checkIn = CheckIn.parse(message);
            assertThat(checkIn.sender().id()).isNotEmpty();
        } catch (PlistException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
        try {
            CommandReport report = CommandReport.parse(message);
            assertThat(report.sender().id()).isNotEmpty();
        } catch (PlistException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    /** Levels of containers; each level is at least one element of the XML, so this is bounded by MAX_DEPTH. */
    private static int depth(NSObject object) {
        if (object instanceof NSDictionary dictionary) {
            int deepest = 0;
            for (NSObject value : dictionary.values()) {
                deepest = Math.max(deepest, depth(value));
            }
            return deepest + 1;
        }
        if (object instanceof NSArray array) {
            int deepest = 0;
            for (NSObject value : array.getArray()) {
                deepest = Math.max(deepest, depth(value));
            }
            return deepest + 1;
        }
        return 1;
    }
}
