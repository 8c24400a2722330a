package dev.shepherd.app;

import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;

import java.util.List;
import java.util.Optional;

/**
 * The catalog's way into the app-store plugins: the stores running now, and a guarded call into one of them. The
 * plugin host implements it; the catalog never sees a plugin.
 */
public interface AppStores {

    /** A call into one store. */
    @FunctionalInterface
    interface StoreCall<T> {
        T call(AppStoreConnector store) throws AppStoreException;
    }

    /** No store at all, as when no app-store plugin is installed. */
    AppStores NONE = new AppStores() {
        @Override
        public List<String> storeIds() {
            return List.of();
        }

        @Override
        public <T> T call(String storeId, String operation, StoreCall<T> call) throws AppStoreException {
            throw AppStoreException.retryable("No app-store plugin for store " + storeId + " is running.", Optional.empty());
        }
    };

    /** @return the ids of the stores whose plugins are running, in a stable order */
    List<String> storeIds();

    /**
     * Calls one store on its plugin's threads, bounded by the plugin call timeout. A store that fails, hangs, is out of
     * service or is not running is reported as a retryable {@link AppStoreException}, so a failing store never
     * blocks the others.
     *
     * @param operation what is called, for logs and failure reasons, such as {@code AppStoreConnector.catalog}
     * @throws AppStoreException the store's own failure, or the plugin's failure in its words
     */
    <T> T call(String storeId, String operation, StoreCall<T> call) throws AppStoreException;
}
