package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.google.ServiceAccountKeys;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Set;

/**
 * The Google service account the plugin acts as, kept sealed under the storage key {@value #STORAGE_KEY}. Beyond
 * what every key has, nothing is required: a key without {@code token_uri} is sent to Google's token endpoint, and
 * the project and client id are only shown to admins.
 */
@Singleton
public final class ChromeOsServiceAccountKeys extends ServiceAccountKeys {

    /** Where the sealed key has always been stored; changing it would lose the key uploaded before. */
    static final String STORAGE_KEY = "service-account-key";

    @Inject
    public ChromeOsServiceAccountKeys(PluginStorage storage, SecretSealer sealer) {
        super(storage, sealer, STORAGE_KEY, Set.of());
    }
}
