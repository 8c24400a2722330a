package dev.shepherd.storage;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Durable key/value entries, partitioned by plugin id. Backs {@link dev.shepherd.api.config.PluginStorage}. */
public interface PluginKeyValueStore {

    Optional<byte[]> get(String pluginId, String key);

    void put(String pluginId, String key, byte[] value);

    /** Writes a value only if the key has none, atomically; @return whether this call wrote it */
    boolean putIfAbsent(String pluginId, String key, byte[] value);

    boolean delete(String pluginId, String key);

    List<String> keys(String pluginId, String prefix);

    /** Which of the plugin's keys have a value; stores that can should answer in one query. */
    default Set<String> present(String pluginId, Collection<String> keys) {
        Set<String> present = new LinkedHashSet<>();
        for (String key : keys) {
            if (get(pluginId, key).isPresent()) {
                present.add(key);
            }
        }
        return present;
    }
}
