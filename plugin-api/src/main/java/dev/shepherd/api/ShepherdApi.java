package dev.shepherd.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Facts about the plugin API itself.
 *
 * <p>The version is read at run time from the API jar the kernel ships, never compiled into a plugin,
 * so a plugin always sees the version of the API it is actually running against.
 */
public final class ShepherdApi {

    /** Java package prefix of the API; classes under it are always loaded from the kernel, never from a plugin file. */
    public static final String PACKAGE_PREFIX = "dev.shepherd.api.";

    private ShepherdApi() {
    }

    /**
     * The semantic version of the plugin API this kernel provides, such as {@code 0.1.0}.
     * Plugins state the range they accept in the {@code Plugin-Requires} manifest attribute.
     *
     * @return the API version
     */
    public static String version() {
        try (InputStream in = ShepherdApi.class.getResourceAsStream("api-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("api-version.properties is missing from the plugin API jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
