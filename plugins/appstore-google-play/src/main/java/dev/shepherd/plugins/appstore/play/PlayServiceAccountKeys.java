package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.google.ServiceAccountKeys;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Set;

/**
 * The Google Cloud service account the store calls the Android Management API as, kept sealed under the storage key
 * {@value #STORAGE_KEY}: usually the same key the Android plugin was given, since both manage one enterprise.
 */
@Singleton
public final class PlayServiceAccountKeys extends ServiceAccountKeys {

    /** Where the sealed key is stored; changing it would lose the key uploaded before. */
    static final String STORAGE_KEY = "service-account";

    @Inject
    public PlayServiceAccountKeys(PluginStorage storage, SecretSealer sealer) {
        super(storage, sealer, STORAGE_KEY, Set.of("token_uri"));
    }
}
