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
     * Writes a value only if the key has none: of several writers racing for one key (nodes of a cluster, or the old
     * and new version of a plugin during an upgrade), exactly one wins and the others see its value. Use it for what
     * must be created once and never replaced, such as a key pair devices encrypt to; then read the key back and use
     * what is stored, whoever wrote it.
     *
     * <p>The kernel's storage does this atomically in its database. The default, for simple stand-ins in tests, is a
     * look-up then a write and is not atomic.
     *
     * @param key the key, at most 200 characters
     * @param value the value
     * @return true when this call wrote the value, false when the key had one already (left as it was)
     * @since 0.9.0
     */
    default boolean putIfAbsent(String key, byte[] value) {
        if (get(key).isPresent()) {
            return false;
        }
        put(key, value);
        return true;
    }

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
