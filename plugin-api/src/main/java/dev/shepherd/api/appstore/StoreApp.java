package dev.shepherd.api.appstore;

import dev.shepherd.api.device.Platform;

import java.net.URI;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * An app as a store describes it.
 *
 * @param storeId the id of the store that holds it ({@link AppStoreConnector#id()})
 * @param storeAppId the store's id of the app (Apple's adam id, a Play package name, a private package's id); with
 *                   {@code storeId} and {@code platform} it names the app in the catalog
 * @param platform the platform it runs on
 * @param identifier what a device reports once it is installed: the bundle id, package name, MSI product code or
 *                   package family name; the kernel matches inventory {@code app.<identifier>} against it
 * @param name its name as the store shows it
 * @param publisher who publishes it, empty when the store does not say
 * @param version the store's current version, when it has one
 * @param icon an absolute URL of its icon, when the store has one
 * @param size its download size in bytes, when known
 * @param configurationSchema the managed configuration it accepts, as JSON Schema text, when it has one; properties
 *                            marked {@code "writeOnly": true} are secrets the kernel keeps sealed
 * @param licensed whether a device needs a licence from the store before it installs the app
 * @param licences the organisation's licence pool for a licensed app, when the store reports one
 * @since 0.8.0
 */
public record StoreApp(
        String storeId,
        String storeAppId,
        Platform platform,
        String identifier,
        String name,
        String publisher,
        Optional<String> version,
        Optional<URI> icon,
        OptionalLong size,
        Optional<String> configurationSchema,
        boolean licensed,
        Optional<LicenceCount> licences) {

    /** A store id has the form of a plugin id. */
    private static final Pattern STORE_ID = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    /** Ids and names are stored in bounded columns; longer text is a store's mistake, not an app. */
    private static final int MAX_TEXT = 512;

    /** Validates every part. */
    public StoreApp {
        requireNonNull(storeId, "storeId is null");
        if (!STORE_ID.matcher(storeId).matches()) {
            throw new IllegalArgumentException("store id must match " + STORE_ID + ": " + storeId);
        }
        requireText(storeAppId, "storeAppId");
        requireNonNull(platform, "platform is null");
        requireText(identifier, "identifier");
        requireText(name, "name");
        requireNonNull(publisher, "publisher is null");
        if (publisher.length() > MAX_TEXT) {
            throw new IllegalArgumentException("publisher is longer than " + MAX_TEXT + " characters");
        }
        requireNonNull(version, "version is null");
        version.ifPresent(text -> requireText(text, "version"));
        requireNonNull(icon, "icon is null");
        icon.ifPresent(uri -> {
            if (!uri.isAbsolute()) {
                throw new IllegalArgumentException("icon is not an absolute URL: " + uri);
            }
        });
        requireNonNull(size, "size is null");
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("size is negative: " + size.getAsLong());
        }
        requireNonNull(configurationSchema, "configurationSchema is null");
        configurationSchema.ifPresent(schema -> {
            if (schema.isBlank()) {
                throw new IllegalArgumentException("configurationSchema is present but blank");
            }
        });
        requireNonNull(licences, "licences is null");
        if (!licensed && licences.isPresent()) {
            throw new IllegalArgumentException("an app that needs no licence has no licence pool: " + storeAppId);
        }
    }

    /**
     * An app that needs no licence, with only the parts every store knows; the others are empty.
     *
     * @param storeId the store's id
     * @param storeAppId the store's id of the app
     * @param platform the platform it runs on
     * @param identifier what a device reports once it is installed
     * @param name its name
     * @param publisher who publishes it, empty when unknown
     * @return the app
     * @since 0.8.0
     */
    public static StoreApp free(String storeId, String storeAppId, Platform platform, String identifier, String name,
                                String publisher) {
        return new StoreApp(storeId, storeAppId, platform, identifier, name, publisher, Optional.empty(),
                Optional.empty(), OptionalLong.empty(), Optional.empty(), false, Optional.empty());
    }

    private static void requireText(String text, String name) {
        requireNonNull(text, name + " is null");
        if (text.isBlank()) {
            throw new IllegalArgumentException(name + " is blank");
        }
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException(name + " is longer than " + MAX_TEXT + " characters");
        }
    }
}
