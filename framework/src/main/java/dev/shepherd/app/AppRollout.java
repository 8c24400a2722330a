package dev.shepherd.app;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A staged rollout of an app's updates and how far it has come: devices of the pilot group follow the catalog's
 * newest version, every other device stays on the released version until an admin promotes the newest one.
 *
 * @param appId the app
 * @param pilotGroupId the group whose devices get a new version first
 * @param version the catalog's newest version, when the store names one
 * @param releasedVersion the version every other device is kept at, when one was released
 * @param pilot the REQUIRED devices of the pilot group
 * @param others the other REQUIRED devices
 * @param startedBy who started the rollout
 * @param startedAt when
 * @param promotedAt when a version was last promoted to everyone, if ever
 */
public record AppRollout(String appId, String pilotGroupId, Optional<String> version, Optional<String> releasedVersion,
                         Stage pilot, Stage others, String startedBy, Instant startedAt, Optional<Instant> promotedAt) {
    public AppRollout {
        requireNonNull(appId, "appId is null");
        requireNonNull(pilotGroupId, "pilotGroupId is null");
        requireNonNull(version, "version is null");
        requireNonNull(releasedVersion, "releasedVersion is null");
        requireNonNull(pilot, "pilot is null");
        requireNonNull(others, "others is null");
        requireNonNull(startedBy, "startedBy is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(promotedAt, "promotedAt is null");
    }

    /**
     * Progress of one part of the fleet.
     *
     * @param devices the devices that must keep the app (REQUIRED)
     * @param onNewest those reporting the catalog's newest version (or a later one)
     * @param failed those whose install or update failed
     */
    public record Stage(long devices, long onNewest, long failed) {
    }
}
