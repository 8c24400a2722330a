package dev.shepherd.api.config;

import java.nio.file.Path;

/**
 * A directory private to one plugin under the server's data directory ({@code <dataDir>/<pluginId>}), for files too
 * large for {@link PluginStorage}, such as uploaded app packages. Injectable into any extension. The kernel creates
 * it, readable by the server's account only, before the plugin gets it; it survives restarts and upgrades of the
 * plugin. It belongs to this node: in a cluster every node has its own, so a plugin that keeps files there serves
 * them from the node that has them or keeps them on shared storage mounted at the data directory.
 *
 * @since 0.9.0
 */
public interface PluginDataDirectory {

    /**
     * The plugin's directory.
     *
     * @return an absolute path to an existing directory
     * @since 0.9.0
     */
    Path path();
}
