package dev.shepherd.api.config;

import java.util.List;
import java.util.Optional;

/**
 * Durable key/value storage private to one plugin, kept in the kernel's database and surviving upgrades.
 * For relational data a plugin ships Flyway migrations under {@code shepherd/migration/} instead and reaches
 * its own schema through {@link PluginDatabase}.
 */
public interface PluginStorage {

    /**
     * Reads a value.
     *
     * @param key the key, at most 200 characters
     * @return the value, or empty when absent
     */
    Optional<byte[]> get(String key);

    /**
     * Writes a value, replacing any previous one; durable when this returns.
     *
     * @param key the key, at most 200 characters
     * @param value the value
     */
    void put(String key, byte[] value);

    /**
     * Removes a value.
     *
     * @param key the key
     * @return true when there was a value
     */
    boolean delete(String key);

    /**
     * The keys starting with a prefix, in order.
     *
     * @param prefix the prefix, empty for all
     * @return the keys
     */
    List<String> keys(String prefix);
}
