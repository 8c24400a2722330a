package dev.shepherd.api.appstore;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One page of a store's catalog.
 *
 * @param apps the apps on this page
 * @param nextCursor the cursor of the next page, empty on the last page
 * @since 0.8.0
 */
public record CatalogPage(List<StoreApp> apps, Optional<String> nextCursor) {

    /** Validates and copies every part. */
    public CatalogPage {
        apps = List.copyOf(requireNonNull(apps, "apps is null"));
        requireNonNull(nextCursor, "nextCursor is null");
        if (nextCursor.isPresent() && nextCursor.get().isEmpty()) {
            throw new IllegalArgumentException("nextCursor is present but empty");
        }
    }

    /**
     * The last (or only) page.
     *
     * @param apps the apps on it
     * @return the page
     * @since 0.8.0
     */
    public static CatalogPage last(List<StoreApp> apps) {
        return new CatalogPage(apps, Optional.empty());
    }
}
