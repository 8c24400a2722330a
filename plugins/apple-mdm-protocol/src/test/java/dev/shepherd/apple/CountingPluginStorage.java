package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.testing.MemoryPluginStorage;

import java.util.List;
import java.util.Optional;

/** A plugin's storage in memory that counts its reads and writes, for tests of how often a component goes to it. */
final class CountingPluginStorage implements PluginStorage {

    private final MemoryPluginStorage values = new MemoryPluginStorage();
    private int reads;
    private int writes;

    @Override
    public Optional<byte[]> get(String key) {
        reads++;
        return values.get(key);
    }

    @Override
    public void put(String key, byte[] value) {
        writes++;
        values.put(key, value);
    }

    @Override
    public boolean delete(String key) {
        return values.delete(key);
    }

    @Override
    public List<String> keys(String prefix) {
        return values.keys(prefix);
    }

    /** @return the values read so far */
    int reads() {
        return reads;
    }

    /** @return the values written so far */
    int writes() {
        return writes;
    }

    /** Starts counting again. */
    void resetCounts() {
        reads = 0;
        writes = 0;
    }
}
