package dev.shepherd.plugin;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An operator's view of one plugin file and what became of it. Holds only plain values, never plugin
 * objects, so it may be kept after the plugin is unloaded.
 *
 * @param id the plugin id, or the file name when the file could not be read far enough to tell
 * @param version the plugin version, empty when unknown
 * @param file the file name in the plugins directory
 * @param state started, out of service, failed, superseded or disabled
 * @param failureReason why it is not in service
 * @param requires the plugin-API range it declared, empty when unknown
 * @param description the plugin's own description
 * @param extensions extension points it implements, as {@code Point: implementation class}
 * @param since when it entered its state
 * @param retryAt for a plugin out of service, when its next trial call may go through
 */
public record PluginInfo(String id, String version, String file, PluginState state, Optional<String> failureReason,
                         String requires, String description, List<String> extensions, Instant since, Optional<Instant> retryAt) {

    public PluginInfo {
        requireNonNull(id, "id is null");
        requireNonNull(version, "version is null");
        requireNonNull(file, "file is null");
        requireNonNull(state, "state is null");
        requireNonNull(failureReason, "failureReason is null");
        requireNonNull(requires, "requires is null");
        requireNonNull(description, "description is null");
        extensions = List.copyOf(extensions);
        requireNonNull(since, "since is null");
        requireNonNull(retryAt, "retryAt is null");
    }

    /** A file that is not running, listed as of now. */
    static PluginInfo notRunning(String id, String version, String file, PluginState state, Optional<String> reason,
                                 String requires, String description) {
        return new PluginInfo(id, version, file, state, reason, requires, description, List.of(), Instant.now(), Optional.empty());
    }
}
