package dev.shepherd.plugins.identity.ldap;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The service account's password, kept in the plugin's storage sealed with the server's secrets key: never in the
 * configuration file, never logged, never returned by an endpoint. Every node of a cluster reads the same sealed value.
 */
@Singleton
public final class BindPassword {

    static final String KEY = "bind-password";
    static final int MAX_LENGTH = 1024;

    private final PluginStorage storage;
    private final SecretSealer sealer;

    @Inject
    public BindPassword(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /**
     * Seals and stores a new password.
     *
     * @param password the password's UTF-8 bytes; the caller clears them
     * @throws IllegalArgumentException when it is empty or longer than {@value #MAX_LENGTH} bytes
     */
    public void set(byte[] password) {
        requireNonNull(password, "password is null");
        if (password.length == 0 || password.length > MAX_LENGTH) {
            throw new IllegalArgumentException("the bind password must be 1 to " + MAX_LENGTH + " bytes");
        }
        storage.put(KEY, sealer.seal(password));
    }

    /** @return true when there was a password to remove */
    public boolean clear() {
        return storage.delete(KEY);
    }

    /** @return the sealed form as stored, to tell whether it changed without opening it */
    Optional<byte[]> sealed() {
        return storage.get(KEY);
    }

    /**
     * @param sealed what {@link #sealed()} returned
     * @return the password's bytes; the caller clears them
     */
    byte[] open(byte[] sealed) {
        return sealer.open(sealed);
    }

    /** @return whether a password is stored */
    public boolean isSet() {
        return sealed().isPresent();
    }

    /** Overwrites a password's bytes once they are no longer needed. */
    static void wipe(byte[] password) {
        if (password != null) {
            Arrays.fill(password, (byte) 0);
        }
    }
}
