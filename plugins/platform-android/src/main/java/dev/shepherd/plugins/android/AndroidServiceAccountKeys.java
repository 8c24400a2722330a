package dev.shepherd.plugins.android;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.google.ServiceAccountKeys;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.Set;

/**
 * The Google Cloud service account Shepherd calls the Android Management API as, kept sealed under the storage key
 * {@value #STORAGE_KEY}. The key must name its project ({@code project_id}), which owns the enterprise unless the
 * {@code projectId} setting names another, and its token endpoint ({@code token_uri}).
 */
@Singleton
public final class AndroidServiceAccountKeys extends ServiceAccountKeys {

    /** Where the sealed key has always been stored; changing it would lose the key uploaded before. */
    static final String STORAGE_KEY = "service-account";

    @Inject
    public AndroidServiceAccountKeys(PluginStorage storage, SecretSealer sealer) {
        super(storage, sealer, STORAGE_KEY, Set.of("project_id", "token_uri"));
    }
}
