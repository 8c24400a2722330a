package dev.shepherd.api.appstore;

import dev.shepherd.api.device.Platform;

import static java.util.Objects.requireNonNull;

/**
 * An application as an app store lists it.
 *
 * @param storeId the connector's id
 * @param appId the store's identifier of the app (bundle id, package name, product id)
 * @param name display name
 * @param version current version
 * @param publisher who publishes it
 * @param platform the platform it runs on
 */
public record AppListing(String storeId, String appId, String name, String version, String publisher,
                         Platform platform) {

    /** Validates every part. */
    public AppListing {
        requireNonNull(storeId, "storeId is null");
        requireNonNull(appId, "appId is null");
        requireNonNull(name, "name is null");
        requireNonNull(version, "version is null");
        requireNonNull(publisher, "publisher is null");
        requireNonNull(platform, "platform is null");
    }
}
