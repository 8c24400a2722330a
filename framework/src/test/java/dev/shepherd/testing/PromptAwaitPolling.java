package dev.shepherd.testing;

import org.awaitility.Awaitility;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.time.Duration;

/**
 * Awaitility's polling for every test JVM whose class path has the test kit (registered as a JUnit launcher session
 * listener in {@code META-INF/services}): the condition is checked at once and then every 50 ms. Awaitility's own
 * defaults wait 100 ms before the first check and 100 ms between checks, so every {@code await()} cost at least a tenth
 * of a second even when its condition already held, over the hundreds of awaits of a build on two engines. Tests that
 * pace their polling (a condition that sends a request) still set their own interval.
 */
public final class PromptAwaitPolling implements LauncherSessionListener {

    static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final String AWAITILITY = "org.awaitility.Awaitility";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        // Some modules take the test kit without Awaitility (their tests never wait): nothing to set there.
        if (onClassPath(AWAITILITY)) {
            Defaults.apply();
        }
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, PromptAwaitPolling.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError absent) {
            return false;
        }
    }

    /** Kept apart so that Awaitility is only resolved where it is on the class path. */
    private static final class Defaults {
        static void apply() {
            Awaitility.setDefaultPollDelay(Duration.ZERO);
            Awaitility.setDefaultPollInterval(POLL_INTERVAL);
        }
    }
}
