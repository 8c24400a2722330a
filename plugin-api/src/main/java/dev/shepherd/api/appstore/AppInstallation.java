package dev.shepherd.api.appstore;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * How a device installs an app: what it will report once installed, which version, where it gets it and the store's
 * options. The kernel turns it into the parameters of an {@code INSTALL_APP} or {@code UPDATE_APP} command with
 * {@link #toParameters()}; a platform plugin reads them back with {@link #fromParameters(Map)} and encodes its own
 * install command.
 *
 * <p>The canonical command parameters are:
 * <ul>
 *   <li>{@value #IDENTIFIER}: what the device reports once installed (bundle id, package name, MSI product code,
 *       package family name);</li>
 *   <li>{@value #VERSION}: the version to install, when the store names one;</li>
 *   <li>{@value #SOURCE}: {@code store}, {@code manifest} or {@code package};</li>
 *   <li>{@value #STORE_APP_ID} for {@code store}: the store's id of the app;</li>
 *   <li>{@value #MANIFEST_URL} for {@code manifest}: the manifest's URL;</li>
 *   <li>{@value #PACKAGE_URL}, {@value #SHA256} (lower-case hex), {@value #SIZE} (bytes) and {@value #PACKAGE_KIND}
 *       ({@code ipa}, {@code pkg}, {@code msi}, {@code msix}, {@code apk}) for {@code package};</li>
 *   <li>{@value #OPTIONS}: store-specific options as a JSON object, such as Apple's {@code purchaseMethod};</li>
 * </ul>
 * and the kernel adds {@value #STORE_ID} (the store's id), when an assignment has one, {@value #CONFIGURATION}
 * (the managed configuration, a JSON object), and {@value #OFFER} ({@code true}) when the app is to be offered to the
 * device's user rather than installed.
 *
 * @param identifier what the device reports once the app is installed
 * @param version the version to install, when the store names one
 * @param source where the device gets the app
 * @param options store-specific options, JSON-like values (strings, numbers, booleans, lists, maps)
 * @since 0.8.0
 */
public record AppInstallation(String identifier, Optional<String> version, Source source, Map<String, Object> options) {

    /** Parameter: what the device reports once installed. */
    public static final String IDENTIFIER = "identifier";
    /** Parameter: the version to install. */
    public static final String VERSION = "version";
    /** Parameter: {@code store}, {@code manifest} or {@code package}. */
    public static final String SOURCE = "source";
    /** Parameter: the store's id of the app, for {@code store}. */
    public static final String STORE_APP_ID = "storeAppId";
    /** Parameter: the manifest's URL, for {@code manifest}. */
    public static final String MANIFEST_URL = "manifestUrl";
    /** Parameter: the package's URL, for {@code package}. */
    public static final String PACKAGE_URL = "packageUrl";
    /** Parameter: the package's SHA-256 digest in lower-case hex, for {@code package}. */
    public static final String SHA256 = "sha256";
    /** Parameter: the package's size in bytes, for {@code package}. */
    public static final String SIZE = "size";
    /** Parameter: the package's kind in lower case, for {@code package}. */
    public static final String PACKAGE_KIND = "packageKind";
    /** Parameter: store-specific options, a JSON object. */
    public static final String OPTIONS = "options";
    /** Parameter the kernel adds: the id of the store the app comes from. */
    public static final String STORE_ID = "storeId";
    /** Parameter the kernel adds: the assignment's managed configuration, a JSON object. */
    public static final String CONFIGURATION = "configuration";
    /**
     * Parameter the kernel adds to an {@code INSTALL_APP}, {@code true}: offer the app to the device's user in the
     * platform's own store, where they install it themselves, instead of installing it. The kernel sends it only to
     * platforms whose plugin says it can ({@code PlatformSupport.offersAvailableApps()}), for AVAILABLE assignments.
     *
     * @since 0.10.0
     */
    public static final String OFFER = "offer";

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** Validates and copies every part. */
    public AppInstallation {
        requireText(identifier, IDENTIFIER);
        requireNonNull(version, "version is null");
        version.ifPresent(text -> requireText(text, VERSION));
        requireNonNull(source, "source is null");
        options = Map.copyOf(requireNonNull(options, "options is null"));
        options.keySet().forEach(key -> requireText(key, "an option's name"));
    }

    /**
     * An installation from the store, without options.
     *
     * @param identifier what the device reports once installed
     * @param storeAppId the store's id of the app
     * @return the installation
     * @since 0.8.0
     */
    public static AppInstallation fromStore(String identifier, String storeAppId) {
        return new AppInstallation(identifier, Optional.empty(), new FromStore(storeAppId), Map.of());
    }

    /**
     * The canonical parameters of the {@code INSTALL_APP} or {@code UPDATE_APP} command that carries this
     * installation (the kernel adds {@value #STORE_ID} and {@value #CONFIGURATION}).
     *
     * @return the parameters, in a stable order
     * @since 0.8.0
     */
    public Map<String, Object> toParameters() {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(IDENTIFIER, identifier);
        version.ifPresent(text -> parameters.put(VERSION, text));
        parameters.put(SOURCE, source.name());
        if (source instanceof FromStore store) {
            parameters.put(STORE_APP_ID, store.storeAppId());
        } else if (source instanceof FromManifest manifest) {
            parameters.put(MANIFEST_URL, manifest.manifest().toString());
        } else if (source instanceof FromPackage pack) {
            parameters.put(PACKAGE_URL, pack.url().toString());
            parameters.put(SHA256, pack.sha256());
            parameters.put(SIZE, pack.size());
            parameters.put(PACKAGE_KIND, pack.kind().parameter());
        }
        if (!options.isEmpty()) {
            parameters.put(OPTIONS, options);
        }
        return parameters;
    }

    /**
     * The canonical parameters of the {@code REMOVE_APP} command that removes what this installation installed:
     * {@value #IDENTIFIER}, {@value #SOURCE}, and {@value #STORE_APP_ID} or {@value #PACKAGE_KIND} where the source
     * has them (a platform may remove store apps and packages differently).
     *
     * @return the parameters, in a stable order
     * @since 0.8.0
     */
    public Map<String, Object> toRemovalParameters() {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(IDENTIFIER, identifier);
        parameters.put(SOURCE, source.name());
        if (source instanceof FromStore store) {
            parameters.put(STORE_APP_ID, store.storeAppId());
        } else if (source instanceof FromPackage pack) {
            parameters.put(PACKAGE_KIND, pack.kind().parameter());
        }
        return parameters;
    }

    /**
     * Reads an installation back from command parameters.
     *
     * @param parameters an {@code INSTALL_APP} or {@code UPDATE_APP} command's parameters
     * @return the installation, or empty when the parameters have no {@value #SOURCE} (a command in a platform's own
     *         parameters, such as Apple's {@code appStoreId} or Windows' {@code msiUrl})
     * @throws IllegalArgumentException when the parameters name a source but are not a valid installation; the
     *                                  message says what is wrong
     * @since 0.8.0
     */
    public static Optional<AppInstallation> fromParameters(Map<String, Object> parameters) {
        requireNonNull(parameters, "parameters is null");
        if (!parameters.containsKey(SOURCE)) {
            return Optional.empty();
        }
        String sourceName = text(parameters, SOURCE);
        Source source = switch (sourceName) {
            case FromStore.NAME -> new FromStore(text(parameters, STORE_APP_ID));
            case FromManifest.NAME -> new FromManifest(uri(parameters, MANIFEST_URL));
            case FromPackage.NAME -> new FromPackage(uri(parameters, PACKAGE_URL), text(parameters, SHA256),
                    integer(parameters, SIZE), PackageKind.fromParameter(text(parameters, PACKAGE_KIND)));
            default -> throw new IllegalArgumentException(SOURCE + " must be store, manifest or package: " + sourceName);
        };
        Optional<String> version = parameters.containsKey(VERSION) ? Optional.of(text(parameters, VERSION)) : Optional.empty();
        return Optional.of(new AppInstallation(text(parameters, IDENTIFIER), version, source, options(parameters)));
    }

    private static String text(Map<String, Object> parameters, String name) {
        Object value = parameters.get(name);
        if (!(value instanceof String text)) {
            throw new IllegalArgumentException(name + (value == null ? " is missing" : " is not text"));
        }
        return text;
    }

    private static URI uri(Map<String, Object> parameters, String name) {
        try {
            return new URI(text(parameters, name));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + " is not a URL: " + e.getMessage(), e);
        }
    }

    private static long integer(Map<String, Object> parameters, String name) {
        Object value = parameters.get(name);
        // parameters that travelled through JSON come back as whichever Number type fits the value
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())
                && Math.abs(number.doubleValue()) < 0x1p53) {
            return number.longValue();
        }
        throw new IllegalArgumentException(name + (value == null ? " is missing" : " is not a whole number"));
    }

    private static Map<String, Object> options(Map<String, Object> parameters) {
        Object value = parameters.get(OPTIONS);
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(OPTIONS + " is not an object");
        }
        Map<String, Object> options = new LinkedHashMap<>();
        map.forEach((key, option) -> {
            if (!(key instanceof String name) || option == null) {
                throw new IllegalArgumentException(OPTIONS + " must map names to values");
            }
            options.put(name, option);
        });
        return options;
    }

    private static void requireText(String text, String name) {
        requireNonNull(text, name + " is null");
        if (text.isBlank()) {
            throw new IllegalArgumentException(name + " is blank");
        }
    }

    private static URI requireWebUrl(URI url, String name) {
        requireNonNull(url, name + " is null");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("https") || scheme.equals("http")) || url.getHost() == null) {
            throw new IllegalArgumentException(name + " must be an absolute http(s) URL: " + url);
        }
        return url;
    }

    /**
     * Where a device gets an app.
     *
     * @since 0.8.0
     */
    public sealed interface Source permits FromStore, FromManifest, FromPackage {

        /**
         * The source's name in command parameters: {@code store}, {@code manifest} or {@code package}.
         *
         * @return the name
         * @since 0.8.0
         */
        String name();
    }

    /**
     * The device installs the app from its platform's store.
     *
     * @param storeAppId the store's id of the app (Apple's adam id, a Play package name, a Microsoft Store product id)
     * @since 0.8.0
     */
    public record FromStore(String storeAppId) implements Source {

        static final String NAME = "store";

        /** Validates every part. */
        public FromStore {
            requireText(storeAppId, STORE_APP_ID);
        }

        @Override
        public String name() {
            return NAME;
        }
    }

    /**
     * The device installs the app from a manifest (an Apple enterprise app's manifest plist).
     *
     * @param manifest the manifest's absolute http(s) URL
     * @since 0.8.0
     */
    public record FromManifest(URI manifest) implements Source {

        static final String NAME = "manifest";

        /** Validates every part. */
        public FromManifest {
            requireWebUrl(manifest, MANIFEST_URL);
        }

        @Override
        public String name() {
            return NAME;
        }
    }

    /**
     * The device downloads a package and checks its digest before installing it.
     *
     * @param url the package's absolute http(s) URL
     * @param sha256 the package's SHA-256 digest, hex (kept in lower case)
     * @param size the package's size in bytes
     * @param kind the package's format
     * @since 0.8.0
     */
    public record FromPackage(URI url, String sha256, long size, PackageKind kind) implements Source {

        static final String NAME = "package";

        /** Validates every part and keeps the digest in lower case. */
        public FromPackage {
            requireWebUrl(url, PACKAGE_URL);
            requireNonNull(sha256, "sha256 is null");
            sha256 = sha256.toLowerCase(Locale.ROOT);
            if (!SHA256_HEX.matcher(sha256).matches()) {
                throw new IllegalArgumentException(SHA256 + " must be 64 hex digits");
            }
            if (size <= 0) {
                throw new IllegalArgumentException(SIZE + " must be positive: " + size);
            }
            requireNonNull(kind, "kind is null");
        }

        @Override
        public String name() {
            return NAME;
        }
    }

    /**
     * The format of an app package.
     *
     * @since 0.8.0
     */
    public enum PackageKind {
        /** An iOS or iPadOS app archive. */
        IPA,
        /** A macOS installer package. */
        PKG,
        /** A Windows Installer package. */
        MSI,
        /** A Windows app package. */
        MSIX,
        /** An Android application package. */
        APK;

        /**
         * The kind's name in command parameters.
         *
         * @return the name in lower case, such as {@code msi}
         * @since 0.8.0
         */
        public String parameter() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Reads a kind from command parameters, in any case.
         *
         * @param parameter the kind's name, such as {@code msi}
         * @return the kind
         * @throws IllegalArgumentException when it names no kind
         * @since 0.8.0
         */
        public static PackageKind fromParameter(String parameter) {
            requireNonNull(parameter, "parameter is null");
            for (PackageKind kind : values()) {
                if (kind.name().equalsIgnoreCase(parameter)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException(PACKAGE_KIND + " must be ipa, pkg, msi, msix or apk: " + parameter);
        }
    }
}
