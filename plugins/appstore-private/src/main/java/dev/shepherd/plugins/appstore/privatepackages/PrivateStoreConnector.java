package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The store {@value #STORE_ID}: the packages admins uploaded. Its catalog is every package (no licences needed);
 * a device installs one over a link made for it alone.
 */
@Extension
public final class PrivateStoreConnector implements AppStoreConnector {

    /** The store's id in the catalog. */
    public static final String STORE_ID = "private";

    private final PrivatePackages packages;

    @Inject
    public PrivateStoreConnector(PrivatePackages packages) {
        this.packages = requireNonNull(packages, "packages is null");
    }

    @Override
    public String id() {
        return STORE_ID;
    }

    @Override
    public String displayName() {
        return "Private packages";
    }

    @Override
    public Set<Platform> platforms() {
        return Set.of(Platform.IOS, Platform.MACOS, Platform.WINDOWS);
    }

    @Override
    public StoreHealth health() {
        return StoreHealth.ready();
    }

    @Override
    public CatalogPage catalog(Optional<String> cursor) {
        return CatalogPage.last(packages.all().stream().map(pack -> pack.toStoreApp()).toList());
    }

    @Override
    public Optional<StoreApp> lookup(String storeAppId) {
        return packages.find(storeAppId).map(pack -> pack.toStoreApp());
    }

    @Override
    public AppInstallation installation(StoreApp app, Device device) throws AppStoreException {
        requireNonNull(app, "app is null");
        requireNonNull(device, "device is null");
        PrivatePackage pack = packages.find(app.storeAppId()).orElseThrow(() ->
                new AppStoreException("The package " + app.storeAppId() + " is no longer stored; upload it again."));
        if (!pack.platform().equals(device.platform())) {
            throw new AppStoreException("The package " + app.storeAppId() + " is for " + pack.platform() + ", not " + device.platform() + ".");
        }
        return packages.installation(pack, device.id());
    }
}
