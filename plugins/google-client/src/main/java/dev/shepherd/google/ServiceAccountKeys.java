package dev.shepherd.google;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;

import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The service account a plugin calls Google as: its JSON key, uploaded by an admin, checked by
 * {@link ServiceAccount#parse} and stored sealed with the server's secrets key under one key of the plugin's storage.
 * The key is never logged or shown again; admins see which account it is.
 *
 * <p>A plugin binds it to its storage key with a small subclass: a {@code @Singleton}, so every part of the plugin
 * sees the same account, whose {@code @Inject} constructor takes the plugin's {@link PluginStorage} and
 * {@link SecretSealer} and passes them on with the storage key and the fields the plugin requires.
 *
 * <p>Each upload yields a new {@link ServiceAccount} instance, which {@link AccessTokens} uses to tell that the key
 * changed and a cached token must not be reused.
 */
public class ServiceAccountKeys {

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final String storageKey;
    private final Set<String> requiredFields;
    /** Null until read from storage; then what is stored, kept in step by upload and remove. */
    private volatile Optional<ServiceAccount> cached;

    /**
     * @param storage the plugin's storage
     * @param sealer seals the key before it is stored
     * @param storageKey the storage key the sealed key is kept under; it must stay the same across versions of the
     *        plugin, or an uploaded key is lost
     * @param requiredFields fields of the key the plugin cannot work without, beyond those every key must have (see
     *        {@link ServiceAccount#parse})
     */
    public ServiceAccountKeys(PluginStorage storage, SecretSealer sealer, String storageKey, Set<String> requiredFields) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.storageKey = requireNonNull(storageKey, "storageKey is null");
        this.requiredFields = Set.copyOf(requireNonNull(requiredFields, "requiredFields is null"));
    }

    /**
     * Checks and stores a key, replacing any previous one; a key that is refused leaves the previous one in place.
     *
     * @param keyJson the key file's content
     * @return the account it is
     * @throws IllegalArgumentException saying what is wrong with the key, without repeating any of it
     */
    public final synchronized ServiceAccount upload(byte[] keyJson) {
        ServiceAccount account = ServiceAccount.parse(requireNonNull(keyJson, "keyJson is null"), requiredFields);
        storage.put(storageKey, sealer.seal(keyJson));
        cached = Optional.of(account);
        return account;
    }

    /** @return the stored account, if a key was uploaded */
    public final Optional<ServiceAccount> current() {
        Optional<ServiceAccount> known = cached;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (cached == null) {
                cached = storage.get(storageKey).map(sealed -> ServiceAccount.parse(sealer.open(sealed), requiredFields));
            }
            return cached;
        }
    }

    /** @return whether there was a key to remove */
    public final synchronized boolean remove() {
        boolean removed = storage.delete(storageKey);
        cached = Optional.empty();
        return removed;
    }
}
