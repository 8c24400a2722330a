package dev.shepherd.plugins.android;

import jakarta.inject.Inject;
import org.pf4j.Plugin;

import static java.util.Objects.requireNonNull;

/** The plugin's lifecycle: stopping it (on removal or upgrade) stops its worker, so no thread outlives the generation. */
public final class AndroidPlugin extends Plugin {

    private final DeviceWork work;

    @Inject
    public AndroidPlugin(DeviceWork work) {
        this.work = requireNonNull(work, "work is null");
    }

    @Override
    public void stop() {
        work.close();
    }
}
