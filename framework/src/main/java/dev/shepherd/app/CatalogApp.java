package dev.shepherd.app;

import dev.shepherd.api.appstore.LicenceCount;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.device.Platform;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * An app in the kernel's catalog.
 *
 * @param id the catalog's id of the app
 * @param platform the platform it runs on
 * @param storeId the store (an app-store plugin's {@code AppStoreConnector.id()}) it comes from
 * @param storeAppId the store's id of it
 * @param identifier what devices report once it is installed (bundle id, package name, product code)
 * @param name its name
 * @param publisher its publisher, empty when the store does not say
 * @param icon its icon's URL, when the store has one
 * @param version the store's current version, when it names one
 * @param size its download size in bytes, when known
 * @param configurationSchema the managed configuration it accepts (JSON Schema text), when it has one
 * @param licensed whether a device needs a licence from the store to install it
 * @param removedFromStore whether the store stopped listing it (it stays in the catalog, with its assignments)
 * @param licences its licence pool as the store last reported it, for a licensed app
 * @param addedBy who added it: an admin, or the catalog sync
 * @param createdAt when it entered the catalog
 * @param updatedAt when the catalog last changed it
 */
public record CatalogApp(String id, Platform platform, String storeId, String storeAppId, String identifier, String name,
                         String publisher, Optional<String> icon, Optional<String> version, Optional<Long> size,
                         Optional<String> configurationSchema, boolean licensed, boolean removedFromStore,
                         Optional<LicencePool> licences, String addedBy, Instant createdAt, Instant updatedAt) {
    public CatalogApp {
        requireNonNull(id, "id is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(storeId, "storeId is null");
        requireNonNull(storeAppId, "storeAppId is null");
        requireNonNull(identifier, "identifier is null");
        requireNonNull(name, "name is null");
        requireNonNull(publisher, "publisher is null");
        requireNonNull(icon, "icon is null");
        requireNonNull(version, "version is null");
        requireNonNull(size, "size is null");
        requireNonNull(configurationSchema, "configurationSchema is null");
        requireNonNull(licences, "licences is null");
        requireNonNull(addedBy, "addedBy is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    /** @return the app as its store described it, for calls back into the store */
    public StoreApp toStoreApp() {
        return new StoreApp(storeId, storeAppId, platform, identifier, name, publisher, version, icon.map(URI::create),
                size.map(OptionalLong::of).orElse(OptionalLong.empty()), configurationSchema, licensed,
                licences.map(pool -> new LicenceCount(pool.total(), pool.assigned())));
    }
}
