package dev.shepherd.testing;

import dev.shepherd.api.config.PluginStorage;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A plugin's key/value storage in memory, for unit tests of plugin components that keep their state there (the
 * kernel gives running plugins a durable one, {@code JdbcPluginKeyValueStore}).
 */
public final class MemoryPluginStorage implements PluginStorage {

    private final ConcurrentSkipListMap<String, byte[]> values = new ConcurrentSkipListMap<>();

    @Override
    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(values.get(key)).map(byte[]::clone);
    }

    @Override
    public void put(String key, byte[] value) {
        values.put(key, value.clone());
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value) {
        return values.putIfAbsent(key, value.clone()) == null;
    }

    @Override
    public boolean delete(String key) {
        return values.remove(key) != null;
    }

    @Override
    public List<String> keys(String prefix) {
        return values.keySet().stream().filter(key -> key.startsWith(prefix)).toList();
    }
}
