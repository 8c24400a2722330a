package dev.shepherd.app;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What one pass over a store's catalog did.
 *
 * @param storeId the store
 * @param listed how many apps the store listed
 * @param added how many entered the catalog
 * @param newVersions how many apps got a version the catalog had not seen
 * @param unlisted how many the store no longer lists (marked removed from the store)
 * @param failure why the pass failed, in the store's words; the catalog is then unchanged
 */
public record CatalogSync(String storeId, int listed, int added, int newVersions, int unlisted, Optional<String> failure) {
    public CatalogSync {
        requireNonNull(storeId, "storeId is null");
        requireNonNull(failure, "failure is null");
    }

    static CatalogSync failed(String storeId, String failure) {
        return new CatalogSync(storeId, 0, 0, 0, 0, Optional.of(failure));
    }
}
