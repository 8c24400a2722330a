package dev.shepherd.plugins.appstore.privatepackages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.config.PluginStorage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The uploaded packages' metadata, one JSON value per package in the plugin's storage (shared by every node), keyed
 * by a digest of its catalog id so any id fits the storage's key length.
 */
public final class PackageCatalog {

    private static final String PREFIX = "package/";

    private final PluginStorage storage;
    private final ObjectMapper mapper = new ObjectMapper();

    /** @param storage the plugin's storage */
    public PackageCatalog(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
    }

    /**
     * Every package, in catalog-id order.
     *
     * @return the packages
     */
    public List<PrivatePackage> all() {
        List<PrivatePackage> packages = new ArrayList<>();
        for (String key : storage.keys(PREFIX)) {
            storage.get(key).map(this::read).ifPresent(packages::add);
        }
        packages.sort(Comparator.comparing(PrivatePackage::storeAppId));
        return packages;
    }

    /**
     * One package.
     *
     * @param storeAppId its catalog id
     * @return the package, or empty when none has that id
     */
    public Optional<PrivatePackage> find(String storeAppId) {
        return storage.get(key(storeAppId)).map(this::read);
    }

    /**
     * The package whose bytes have a digest.
     *
     * @param sha256 the digest, lower-case hex
     * @return the package, or empty when none has those bytes now
     */
    public Optional<PrivatePackage> findByContent(String sha256) {
        return all().stream().filter(stored -> stored.sha256().equals(sha256)).findFirst();
    }

    /**
     * Records a package, replacing the one with the same catalog id.
     *
     * @param stored the package
     * @return the package it replaced, if any
     */
    public Optional<PrivatePackage> put(PrivatePackage stored) {
        Optional<PrivatePackage> previous = find(stored.storeAppId());
        storage.put(key(stored.storeAppId()), write(stored));
        return previous;
    }

    /**
     * Forgets a package.
     *
     * @param storeAppId its catalog id
     * @return the package, if there was one
     */
    public Optional<PrivatePackage> remove(String storeAppId) {
        Optional<PrivatePackage> previous = find(storeAppId);
        previous.ifPresent(stored -> storage.delete(key(storeAppId)));
        return previous;
    }

    private static String key(String storeAppId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(requireNonNull(storeAppId, "storeAppId is null")
                    .getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private byte[] write(PrivatePackage stored) {
        try {
            return mapper.writeValueAsBytes(stored.describe());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private PrivatePackage read(byte[] bytes) {
        try {
            JsonNode json = mapper.readTree(bytes);
            PackageInfo info = new PackageInfo(PackageKind.fromParameter(json.path("kind").asText()), json.path("identifier").asText(),
                    json.path("version").asText(), json.path("name").asText(), json.path("publisher").asText());
            return new PrivatePackage(info, json.path("sha256").asText(), json.path("size").asLong(),
                    Instant.parse(json.path("uploadedAt").asText()), json.path("uploadedBy").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("a stored package's metadata is not JSON", e);
        }
    }
}
