package dev.shepherd.apple;

import jakarta.inject.Inject;
import org.pf4j.Plugin;

import static java.util.Objects.requireNonNull;

/**
 * The lifecycle of an Apple platform plugin: stopping it (on removal or upgrade) stops its APNs sender and its ADE
 * sync schedule, so the old generation's threads do not outlive it. Both Apple plugins name this class as their {@code Plugin-Class}.
 */
public final class ApplePlugin extends Plugin {

    private final ApnsPusher pusher;
    private final AdeSyncScheduler adeSyncs;

    @Inject
    public ApplePlugin(ApnsPusher pusher, AdeSyncScheduler adeSyncs) {
        this.pusher = requireNonNull(pusher, "pusher is null");
        this.adeSyncs = requireNonNull(adeSyncs, "adeSyncs is null");
    }

    @Override
    public void stop() {
        adeSyncs.close();
        pusher.close();
    }
}
