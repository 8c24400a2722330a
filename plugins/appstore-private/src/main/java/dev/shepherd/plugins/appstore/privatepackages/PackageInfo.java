package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.device.Platform;

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

    /** Bounded like the catalog's columns. */
    static final int MAX_TEXT = 512;

    /** Validates every part. */
    public PackageInfo {
        requireNonNull(kind, "kind is null");
        requireText(identifier, "identifier");
        requireText(version, "version");
        requireText(name, "name");
        requireNonNull(publisher, "publisher is null");
        if (publisher.length() > MAX_TEXT) {
            throw new IllegalArgumentException("publisher is longer than " + MAX_TEXT + " characters");
        }
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
