package dev.shepherd.storage;

import java.util.List;
import java.util.Optional;

/** Durable key/value entries, partitioned by plugin id. Backs {@link dev.shepherd.api.config.PluginStorage}. */
public interface PluginKeyValueStore {

    Optional<byte[]> get(String pluginId, String key);

    void put(String pluginId, String key, byte[] value);

    boolean delete(String pluginId, String key);

    List<String> keys(String pluginId, String prefix);
}
