package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.device.Platform;

import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * What a package says about itself (or, for an MSI, what its uploader said).
 *
 * @param kind its format
 * @param identifier what a device reports once it is installed: bundle id, MSI product code, package family name
 * @param version its version
 * @param name its name
 * @param publisher who publishes it, empty when it does not say
 */
public record PackageInfo(PackageKind kind, String identifier, String version, String name, String publisher) {

    /** Validates every part with the catalog's own rules, so a package this plugin keeps is one the catalog takes. */
    public PackageInfo {
        requireNonNull(kind, "kind is null");
        storeApp(kind, identifier, version, name, publisher, OptionalLong.empty());
    }

    /**
     * The package as the catalog sees it: needs no licence, has no managed configuration.
     *
     * @param size the package's size in bytes
     * @return the app, under the id {@link PrivatePackage#storeAppId(PackageKind, String)}
     */
    public StoreApp toStoreApp(long size) {
        return storeApp(kind, identifier, version, name, publisher, OptionalLong.of(size));
    }

    private static StoreApp storeApp(PackageKind kind, String identifier, String version, String name, String publisher, OptionalLong size) {
        return new StoreApp(PrivateStoreConnector.STORE_ID, PrivatePackage.storeAppId(kind, identifier), platformOf(kind), identifier, name,
                publisher, Optional.of(requireNonNull(version, "version is null")), Optional.empty(), size, Optional.empty(), false, Optional.empty());
    }

    /**
     * The platform the package installs on.
     *
     * @return iOS for an {@code .ipa}, macOS for a {@code .pkg}, Windows for an {@code .msi} or {@code .msix}
     */
    public Platform platform() {
        return platformOf(kind);
    }

    static Platform platformOf(PackageKind kind) {
        return switch (kind) {
            case IPA -> Platform.IOS;
            case PKG -> Platform.MACOS;
            case MSI, MSIX -> Platform.WINDOWS;
            case APK -> Platform.ANDROID;
        };
    }
}
