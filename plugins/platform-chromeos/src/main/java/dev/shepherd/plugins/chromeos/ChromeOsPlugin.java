package dev.shepherd.plugins.chromeos;

import jakarta.inject.Inject;
import org.pf4j.Plugin;

import static java.util.Objects.requireNonNull;

/**
 * The lifecycle of the ChromeOS plugin: stopping it (on removal or upgrade) stops its worker thread, so the old
 * generation does not keep calling Google beside the new one.
 */
public final class ChromeOsPlugin extends Plugin {

    private final ChromeOsWorker worker;

    @Inject
    public ChromeOsPlugin(ChromeOsWorker worker) {
        this.worker = requireNonNull(worker, "worker is null");
    }

    @Override
    public void stop() {
        worker.close();
    }
}
