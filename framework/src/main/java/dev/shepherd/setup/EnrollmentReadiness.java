package dev.shepherd.setup;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Whether devices of one platform can enroll with a link now, from the setup checklist.
 *
 * @param platform the platform's id
 * @param pluginRunning whether a running plugin enrolls that platform
 * @param ready whether nothing keeps such devices from enrolling (a plugin runs and no step it needs is open)
 * @param blocking the open steps without which such devices cannot enroll, each with what to do and where
 * @param advice open steps worth doing that do not stop a link from working (the Windows discovery name, which
 *        users typing only their e-mail address need)
 */
public record EnrollmentReadiness(String platform, boolean pluginRunning, boolean ready, List<SetupStep> blocking, List<SetupStep> advice) {

    public EnrollmentReadiness {
        requireNonNull(platform, "platform is null");
        blocking = List.copyOf(blocking);
        advice = List.copyOf(advice);
    }
}
