package dev.shepherd.api.appstore;

import org.pf4j.ExtensionPoint;

import java.util.List;
import java.util.Optional;

/** An app store (public store, volume purchasing, enterprise catalog) the app catalog draws from. */
public interface AppStoreConnector extends ExtensionPoint {

    /**
     * A short unique id of this store.
     *
     * @return the id
     */
    String id();

    /**
     * Searches the store.
     *
     * @param query free text
     * @param limit the most results to return
     * @return matching apps, best first
     */
    List<AppListing> search(String query, int limit);

    /**
     * Looks one app up.
     *
     * @param appId the store's identifier of the app
     * @return the app, or empty when the store does not know it
     */
    Optional<AppListing> lookup(String appId);
}
