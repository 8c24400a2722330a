package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSString;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginDataDirectory;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The organisation's packages: received, checked, stored by content, recorded, and handed to devices over
 * per-device links. Shared by the plugin's connector and its endpoints.
 */
@Singleton
public final class PrivatePackages {

    private final PrivateStoreSettings settings;
    private final PackageBlobs blobs;
    private final PackageCatalog catalog;
    private final DownloadLinks links;
    private final PackageInspector inspector = new PackageInspector();
    private final ServerAddress server;
    private final String devicePath;
    private final Clock clock;
    /** Uploads and deletions change the catalog and the files together; one at a time on this node. */
    private final Object changes = new Object();

    @Inject
    public PrivatePackages(PluginConfig config, PluginStorage storage, SecretSealer sealer, Clock clock, PluginDataDirectory directory,
                           ServerAddress server, PluginIdentity identity) throws IOException {
        this(PrivateStoreSettings.from(requireNonNull(config, "config is null")), storage, sealer, clock,
                requireNonNull(directory, "directory is null").path(), server, requireNonNull(identity, "identity is null").devicePath());
    }

    /**
     * @param settings size limit and link lifetime
     * @param storage the plugin's storage: package metadata and the sealed link key
     * @param sealer seals the link key
     * @param clock the time of uploads and link expiry
     * @param directory where package files are stored
     * @param server where devices reach the server
     * @param devicePath the plugin's device endpoint mount, such as {@code /mdm/appstore-private}
     * @throws IOException when the directory cannot be prepared
     */
    public PrivatePackages(PrivateStoreSettings settings, PluginStorage storage, SecretSealer sealer, Clock clock, Path directory,
                           ServerAddress server, String devicePath) throws IOException {
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.blobs = new PackageBlobs(directory);
        this.catalog = new PackageCatalog(storage);
        this.links = new DownloadLinks(storage, sealer, clock, settings.linkLifetime());
        this.server = requireNonNull(server, "server is null");
        this.devicePath = requireNonNull(devicePath, "devicePath is null");
    }

    /** @return the size limit and link lifetime */
    public PrivateStoreSettings settings() {
        return settings;
    }

    /** @return the download links' signer */
    public DownloadLinks links() {
        return links;
    }

    /**
     * Receives a package: stores its bytes under their SHA-256 (once, however often uploaded), reads what it is,
     * and records it, replacing the previous version of the same app (whose file goes unless another package has
     * the same bytes).
     *
     * @param upload the uploaded file (the kernel's temporary file of the request body), taken over: moved or copied
     *        into the plugin's directory, never read whole into memory
     * @param fields what came with the upload ({@link PackageInspector})
     * @param uploadedBy the admin uploading it
     * @return the recorded package
     * @throws PackageRefusedException when it is too large (413), malformed (400) or not a package this plugin takes (415)
     * @throws IOException when it cannot be stored
     */
    public PrivatePackage upload(Path upload, Map<String, String> fields, String uploadedBy) throws PackageRefusedException, IOException {
        requireNonNull(uploadedBy, "uploadedBy is null");
        PackageBlobs.Incoming received;
        try {
            received = blobs.take(upload, settings.maxPackageBytes());
        } catch (PackageBlobs.TooLargeException e) {
            throw new PackageRefusedException(413, e.getMessage());
        }
        if (received.blob().size() == 0) {
            blobs.discard(received);
            throw new PackageRefusedException(400, "The upload is empty.");
        }
        PackageInfo info;
        try {
            info = inspector.inspect(received.file(), fields);
        } catch (PackageRefusedException | IOException | RuntimeException e) {
            blobs.discard(received);
            throw e;
        }
        synchronized (changes) {
            PackageBlobs.Blob blob = blobs.keep(received);
            PrivatePackage stored = new PrivatePackage(info, blob.sha256(), blob.size(), clock.instant(), uploadedBy);
            catalog.put(stored).filter(previous -> !previous.sha256().equals(blob.sha256())).ifPresent(this::deleteUnusedFile);
            return stored;
        }
    }

    /** @return every package, in catalog-id order */
    public List<PrivatePackage> all() {
        return catalog.all();
    }

    /**
     * @param storeAppId a catalog id
     * @return the package, or empty
     */
    public Optional<PrivatePackage> find(String storeAppId) {
        return catalog.find(storeAppId);
    }

    /**
     * Deletes a package and, unless another package has the same bytes, its file.
     *
     * @param storeAppId its catalog id
     * @return the deleted package, or empty when there was none
     */
    public Optional<PrivatePackage> delete(String storeAppId) {
        synchronized (changes) {
            Optional<PrivatePackage> removed = catalog.remove(storeAppId);
            removed.ifPresent(this::deleteUnusedFile);
            return removed;
        }
    }

    /**
     * The package stored with some bytes, and where they are.
     *
     * @param sha256 the bytes' digest
     * @return the package and its file, or empty when no package has those bytes now
     */
    public Optional<Stored> stored(String sha256) {
        return blobs.find(sha256).flatMap(file -> catalog.findByContent(sha256).map(found -> new Stored(found, file)));
    }

    /**
     * A recorded package and its file.
     *
     * @param pack the package
     * @param file its bytes
     */
    public record Stored(PrivatePackage pack, Path file) {
        /** Validates every part. */
        public Stored {
            requireNonNull(pack, "pack is null");
            requireNonNull(file, "file is null");
        }
    }

    /**
     * How a device installs a package: an {@code .ipa} or {@code .pkg} through a manifest made for it (Apple's
     * {@code InstallApplication}, on a Mac {@code InstallEnterpriseApplication}, with {@code ManifestURL}), the others
     * as the package itself; both over links that work for this device only, for the configured lifetime.
     *
     * @param pack the package
     * @param device the device
     * @return the installation
     */
    public AppInstallation installation(PrivatePackage pack, DeviceId device) {
        AppInstallation.Source source = switch (pack.info().kind()) {
            case IPA, PKG -> new AppInstallation.FromManifest(links.link(base(), DownloadLinks.MANIFESTS, device, pack.sha256()));
            case MSI, MSIX, APK -> new AppInstallation.FromPackage(links.link(base(), DownloadLinks.PACKAGES, device, pack.sha256()),
                    pack.sha256(), pack.size(), pack.info().kind());
        };
        return new AppInstallation(pack.info().identifier(), Optional.of(pack.info().version()), source, Map.of());
    }

    /**
     * The manifest an Apple device reads before it installs an {@code .ipa} or {@code .pkg} ({@code ManifestURL} of Apple's
     * {@code InstallApplication}): the package's link for this device, expiring with the manifest's, the package's
     * SHA-256 (one chunk, the whole file) and its bundle id, version and name.
     *
     * @param pack the package
     * @param device the device the manifest link was made for
     * @param expires when the manifest link expires
     * @return the manifest, an XML property list
     */
    public byte[] manifest(PrivatePackage pack, DeviceId device, Instant expires) {
        NSDictionary asset = new NSDictionary();
        asset.put("kind", "software-package");
        asset.put("url", links.link(base(), DownloadLinks.PACKAGES, device, pack.sha256(), expires).toString());
        asset.put("sha256-size", pack.size());
        asset.put("sha256s", new NSArray(new NSString(pack.sha256())));
        NSDictionary metadata = new NSDictionary();
        metadata.put("bundle-identifier", pack.info().identifier());
        metadata.put("bundle-version", pack.info().version());
        metadata.put("kind", "software");
        metadata.put("title", pack.info().name());
        NSDictionary item = new NSDictionary();
        item.put("assets", new NSArray(asset));
        item.put("metadata", metadata);
        NSDictionary manifest = new NSDictionary();
        manifest.put("items", new NSArray(item));
        return manifest.toXMLPropertyList().getBytes(StandardCharsets.UTF_8);
    }

    private String base() {
        return server.publicUrl() + devicePath;
    }

    private void deleteUnusedFile(PrivatePackage removed) {
        if (catalog.findByContent(removed.sha256()).isEmpty()) {
            try {
                blobs.delete(removed.sha256());
            } catch (IOException e) {
                throw new UncheckedIOException("the file of " + removed.storeAppId() + " could not be deleted", e);
            }
        }
    }
}
