package dev.shepherd.api.config;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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

    /**
     * Which of some keys have a value: one look-up for several, such as the markers a plugin checks on every
     * message, where {@link #get} would cost one each. The kernel answers with a single query.
     *
     * @param keys the keys, each at most 200 characters
     * @return those of them that have a value
     */
    default Set<String> present(Collection<String> keys) {
        Set<String> present = new LinkedHashSet<>();
        for (String key : keys) {
            if (get(key).isPresent()) {
                present.add(key);
            }
        }
        return present;
    }
}
