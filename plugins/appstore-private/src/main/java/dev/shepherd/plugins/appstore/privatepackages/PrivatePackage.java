package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.device.Platform;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An uploaded package as the plugin keeps it.
 *
 * @param info what the package is
 * @param sha256 the SHA-256 of its bytes, lower-case hex: the name of its stored file
 * @param size its size in bytes
 * @param uploadedAt when it was uploaded
 * @param uploadedBy the admin who uploaded it
 */
public record PrivatePackage(PackageInfo info, String sha256, long size, Instant uploadedAt, String uploadedBy) {

    /** Validates every part. */
    public PrivatePackage {
        requireNonNull(info, "info is null");
        requireNonNull(sha256, "sha256 is null");
        if (!PackageBlobs.SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        requireNonNull(uploadedAt, "uploadedAt is null");
        requireNonNull(uploadedBy, "uploadedBy is null");
    }

    /**
     * The package's id in the catalog: its kind and what devices report, so a new version of the same app replaces
     * the old one in place (and reaches the devices as an update).
     *
     * @param kind the package's format
     * @param identifier what devices report
     * @return the id, such as {@code ipa:com.example.app} or {@code msi:{…}}
     */
    public static String storeAppId(PackageKind kind, String identifier) {
        return kind.parameter() + ":" + identifier;
    }

    /** @return the package's id in the catalog */
    public String storeAppId() {
        return storeAppId(info.kind(), info.identifier());
    }

    /** @return the platform it installs on */
    public Platform platform() {
        return info.platform();
    }

    /**
     * The package as the catalog sees it: needs no licence, has no managed configuration.
     *
     * @return the app in store {@value PrivateStoreConnector#STORE_ID}
     */
    public StoreApp toStoreApp() {
        return info.toStoreApp(size);
    }

    /**
     * The package's parts by name, as it is stored and shown to admins.
     *
     * @return the parts, in a stable order
     */
    public Map<String, Object> describe() {
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("kind", info.kind().parameter());
        parts.put("identifier", info.identifier());
        parts.put("version", info.version());
        parts.put("name", info.name());
        parts.put("publisher", info.publisher());
        parts.put("sha256", sha256);
        parts.put("size", size);
        parts.put("uploadedAt", uploadedAt.toString());
        parts.put("uploadedBy", uploadedBy);
        return parts;
    }
}
