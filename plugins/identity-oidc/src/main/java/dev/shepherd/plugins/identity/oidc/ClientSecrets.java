package dev.shepherd.plugins.identity.oidc;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The client secret of a confidential client, sealed with the server's key in the plugin's storage. It is set through
 * the plugin's admin endpoint and never returned by it; a public client (PKCE alone) has none.
 */
@Singleton
public final class ClientSecrets {

    private static final String KEY = "client-secret";
    /** Longer than any provider issues (Entra ID's are 40 characters, Okta's 64). */
    static final int MAX_CHARS = 512;

    private final PluginStorage storage;
    private final SecretSealer sealer;

    @Inject
    public ClientSecrets(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /** @return the secret, when one is set */
    public Optional<String> secret() {
        return storage.get(KEY).map(sealed -> new String(sealer.open(sealed), StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException for an empty, too long or non-printable secret */
    public void set(String secret) {
        requireNonNull(secret, "secret is null");
        if (secret.isEmpty() || secret.length() > MAX_CHARS || !secret.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("clientSecret must be 1 to " + MAX_CHARS + " printable ASCII characters");
        }
        storage.put(KEY, sealer.seal(secret.getBytes(StandardCharsets.UTF_8)));
    }

    /** @return whether there was one */
    public boolean clear() {
        return storage.delete(KEY);
    }
}
